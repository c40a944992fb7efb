"""Edge workloads and their rollout controller, over the memory cluster's pods.

A workload's replicas are Pods in the one store (``<name>-<revision>-<n>``, owned by the
workload), placed by the one scheduling queue: they carry scheduling results, show in the
simulator's export and in ``kubectl get pods``, and the current scheduler configuration
decides where they go. Deploying creates every missing replica at once. Replacing replicas
(a new revision, or pods outside a new set of target nodes) goes in batches of
``max(1, ceil(25% of replicas))`` — Kubernetes' default ``maxUnavailable`` — one batch per
``rollout_interval`` seconds of the injected clock, pods on active nodes first, then on
registered ones. Pods on offline nodes are skipped and replaced when their node comes back
(OpenYurt's AdvancedRollingUpdate). A replica that cannot be placed stays pending with the
scheduler's reason; a replica deleted from outside (kubectl, a node removed, preemption) is
replaced.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..engine.types import LabelSelector
from ..errors import BadRequestError, ConflictError, NotFoundError
from ..kube.store import copy_object
from ..surfaces.edge.models import (
    DeploymentStatus,
    DeployStrategy,
    Placement,
    ResourceRequirements,
    WorkloadSpec,
    WorkloadStatus,
    WorkloadType,
)
from ..surfaces.edge.placement import WORKLOAD_LABEL, pod_document
from .nodes import ACTIVE, NodeRecord

if TYPE_CHECKING:
    from .core import Cluster

__all__ = ["DeploymentRecord", "PodRecord", "WorkloadController", "WorkloadRecord"]

_ACTIVE = (DeploymentStatus.IN_PROGRESS, DeploymentStatus.WAITING, DeploymentStatus.PENDING)
REVISION_LABEL = "k8sedge.io/revision"


class PodRecord:
    """One replica: its pod's name and the revision it runs (its state is the Pod's)."""

    __slots__ = ("name", "revision")

    def __init__(self, name: str, revision: int) -> None:
        self.name = name
        self.revision = revision


class WorkloadRecord:
    __slots__ = (
        "created_at",
        "deployed",
        "deployment_id",
        "id",
        "image",
        "message",
        "name",
        "namespace",
        "placement",
        "pod_seq",
        "pods",
        "replicas",
        "resources",
        "revision",
        "strategy",
        "target_nodes",
        "template",
        "type",
        "updated_at",
    )

    def __init__(self, spec: WorkloadSpec, now: float) -> None:
        self.id = str(uuid.uuid4())
        self.name = spec.name
        self.namespace = spec.namespace
        self.type: WorkloadType = spec.type
        self.image = spec.image
        self.replicas = spec.replicas
        self.resources: ResourceRequirements = spec.resources
        self.placement: Placement = spec.placement
        self.created_at = now
        self.updated_at = now
        self.revision = 1
        self.deployed = False
        self.target_nodes: list[str] | None = None  # node ids
        self.strategy = DeployStrategy.ROLLING
        self.pods: list[PodRecord] = []
        self.pod_seq = 0
        self.deployment_id: str | None = None
        self.message: str | None = None
        self.template: dict[str, Any] = {}


class DeploymentRecord:
    __slots__ = (
        "batch_size",
        "batches_done",
        "finished_at",
        "id",
        "kind",
        "message",
        "next_step_at",
        "revision",
        "started_at",
        "status",
        "strategy",
        "target_nodes",
        "updated",
        "waiting",
        "workload_id",
    )

    def __init__(self, workload: WorkloadRecord, strategy: DeployStrategy, kind: str, now: float):
        self.id = str(uuid.uuid4())
        self.workload_id = workload.id
        self.strategy = strategy
        self.kind = kind
        self.revision = workload.revision
        self.target_nodes = list(workload.target_nodes or [])
        self.status = DeploymentStatus.IN_PROGRESS
        self.batch_size = max(1, math.ceil(workload.replicas * 0.25))
        self.batches_done = 0
        self.updated = 0
        self.waiting: list[str] = []
        self.message: str | None = None
        self.started_at = now
        self.finished_at: float | None = None
        self.next_step_at = now


class WorkloadController:
    """Stores workloads and moves their pods toward the desired state."""

    def __init__(self, core: Cluster, rollout_interval: float = 1.0) -> None:
        self.core = core
        self.rollout_interval = rollout_interval
        self.by_id: dict[str, WorkloadRecord] = {}
        self.by_key: dict[tuple[str, str], WorkloadRecord] = {}
        self.deployments: dict[str, DeploymentRecord] = {}
        self._active: set[str] = set()
        self._dirty: set[str] = set()
        self._removing: set[tuple[str, str]] = set()  # pods this controller deletes itself
        self.touched = False  # something changed since the data directory last saw it
        self._saved: dict[str, bytes] = {}  # what the data directory holds, per workload

    def clear(self) -> None:
        self.touched = True
        self.by_id.clear()
        self.by_key.clear()
        self.deployments.clear()
        self._active.clear()
        self._dirty.clear()

    # -- the pods' state, read from the cluster ------------------------------------------------

    def node_of(self, workload: WorkloadRecord, pod: PodRecord) -> NodeRecord | None:
        found = self.core.store.find("pods", pod.name, workload.namespace)
        node = (found or {}).get("spec", {}).get("nodeName") if found else None
        return self.core.nodes.by_name.get(node) if node else None

    def reason_of(self, workload: WorkloadRecord, pod: PodRecord) -> str | None:
        result = self.core.queue.results.get(f"{workload.namespace}/{pod.name}")
        return None if result is None else result.message

    def spread_selector(self, workload_id: str) -> LabelSelector | None:
        workload = self.by_id.get(workload_id)
        if workload is None:
            return None
        return LabelSelector(match_labels=((WORKLOAD_LABEL, workload.name),))

    # -- queries -----------------------------------------------------------------------------

    def get(self, workload_id: str) -> WorkloadRecord:
        workload = self.by_id.get(workload_id)
        if workload is None:
            raise NotFoundError(f"workload {workload_id!r} not found", {"workload_id": workload_id})
        return workload

    def get_deployment(self, deployment_id: str) -> DeploymentRecord:
        deployment = self.deployments.get(deployment_id)
        if deployment is None:
            raise NotFoundError(
                f"deployment {deployment_id!r} not found", {"deployment_id": deployment_id}
            )
        return deployment

    def __iter__(self) -> Iterator[WorkloadRecord]:
        return iter(self.by_id.values())

    def status_of(self, workload: WorkloadRecord, now: float) -> tuple[WorkloadStatus, str | None]:
        if not workload.deployed:
            return WorkloadStatus.CREATED, None
        deployment = self.deployments.get(workload.deployment_id or "")
        nodes = [(p, self.node_of(workload, p)) for p in workload.pods]
        pending = [p for p, node in nodes if node is None]
        if pending:
            reason = self.reason_of(workload, pending[0]) or "waiting to be scheduled"
            return WorkloadStatus.PENDING, (
                f"{len(pending)} of {workload.replicas} replicas cannot be placed: {reason}"
            )
        if deployment is not None and deployment.status in _ACTIVE:
            status = (
                WorkloadStatus.DEPLOYING if deployment.kind == "deploy" else WorkloadStatus.UPDATING
            )
            return status, deployment.message
        offline = sorted(
            {n.id for _, n in nodes if n is not None and not self.core.nodes.is_reachable(n, now)}
        )
        if offline:
            return WorkloadStatus.RUNNING, f"replicas on offline nodes: {', '.join(offline)}"
        return WorkloadStatus.RUNNING, None

    def ready_replicas(self, workload: WorkloadRecord, now: float) -> int:
        nodes = (self.node_of(workload, p) for p in workload.pods)
        return sum(1 for n in nodes if n is not None and self.core.nodes.is_reachable(n, now))

    def placed_nodes(self, workload: WorkloadRecord) -> list[str]:
        return sorted({n.id for p in workload.pods if (n := self.node_of(workload, p))})

    # -- commands ----------------------------------------------------------------------------

    def check_replicas(self, replicas: int) -> None:
        """Replicas within ``0..limits.max_replicas`` (each is a pod, created at once)."""
        cap = self.core.limits.max_replicas
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise BadRequestError(
                "replicas: must be an integer >= 0", {"replicas": "must be an integer >= 0"}
            )
        if replicas > cap:
            raise BadRequestError(
                f"replicas: must be at most {cap} (the server's cap on replicas)",
                {"replicas": f"must be at most {cap}"},
            )

    def create(self, spec: WorkloadSpec, now: float) -> WorkloadRecord:
        self.check_replicas(spec.replicas)
        self.touched = True
        key = (spec.namespace, spec.name)
        if key in self.by_key:
            raise ConflictError(
                f"workload {spec.name!r} already exists in namespace {spec.namespace!r}",
                {"name": "already exists"},
            )
        workload = WorkloadRecord(spec, now)
        self._refresh_template(workload)
        self.by_id[workload.id] = workload
        self.by_key[key] = workload
        return workload

    def update(
        self,
        workload: WorkloadRecord,
        *,
        image: str | None,
        replicas: int | None,
        resources: ResourceRequirements | None,
        placement: Placement | None,
        now: float,
    ) -> None:
        # everything is checked before anything changes
        if image is not None and not image.strip():
            raise BadRequestError("image: must not be empty", {"image": "must not be empty"})
        if replicas is not None:
            self.check_replicas(replicas)
        new_revision = False
        if image is not None and image != workload.image:
            workload.image, new_revision = image, True
        if resources is not None and resources != workload.resources:
            workload.resources, new_revision = resources, True
        if placement is not None and placement != workload.placement:
            workload.placement, new_revision = placement, True
        if replicas is not None:
            workload.replicas = replicas
        workload.updated_at = now
        self.touched = True
        if new_revision:
            workload.revision += 1
            self._refresh_template(workload)
        if workload.deployed:
            self._start(workload, workload.strategy, "update", now)

    def delete(self, workload: WorkloadRecord) -> None:
        self.touched = True
        for pod in list(workload.pods):
            self._remove(workload, pod)
        del self.by_id[workload.id]
        del self.by_key[(workload.namespace, workload.name)]
        self._active.discard(workload.deployment_id or "")
        self._dirty.discard(workload.id)

    def deploy(
        self,
        workload: WorkloadRecord,
        target_nodes: list[NodeRecord] | None,
        strategy: DeployStrategy,
        now: float,
    ) -> DeploymentRecord:
        workload.target_nodes = None if target_nodes is None else [n.id for n in target_nodes]
        workload.strategy = strategy
        if workload.deployed:
            workload.revision += 1  # a redeploy restarts every replica
        workload.deployed = True
        workload.updated_at = now
        self._refresh_template(workload)
        return self._start(workload, strategy, "deploy", now)

    def node_removed(self, node: NodeRecord) -> None:
        """A deleted node is no longer a target (its pods are deleted by the cluster)."""
        self.touched = True
        for workload in self.by_id.values():
            if workload.target_nodes and node.id in workload.target_nodes:
                workload.target_nodes = [i for i in workload.target_nodes if i != node.id]
                self._refresh_template(workload)

    def pod_deleted(self, pod: dict[str, Any]) -> None:
        """A replica went away without this controller asking: it is replaced on reconcile."""
        self.touched = True
        meta = pod.get("metadata") or {}
        key = (str(meta.get("namespace")), str(meta.get("name")))
        if key in self._removing:
            return
        for ref in meta.get("ownerReferences") or ():
            workload = (
                self.by_id.get(str(ref.get("uid"))) if ref.get("kind") == "Workload" else None
            )
            if workload is None:
                continue
            workload.pods = [p for p in workload.pods if p.name != key[1]]
            self._dirty.add(workload.id)

    def node_returned(self) -> None:
        """A node is reachable again (or new): waiting or blocked rollouts retry now."""
        for deployment_id in self._active:
            deployment = self.deployments[deployment_id]
            if deployment.status in (DeploymentStatus.WAITING, DeploymentStatus.PENDING):
                deployment.next_step_at = -math.inf

    def reconcile(self, now: float) -> None:
        """Run every rollout step that is due, and replace lost replicas."""
        for deployment_id in list(self._active):
            deployment = self.deployments[deployment_id]
            workload = self.by_id.get(deployment.workload_id)
            if workload is None or workload.deployment_id != deployment.id:
                self._active.discard(deployment_id)
                continue
            while deployment.status in _ACTIVE and deployment.next_step_at <= now:
                changed = self._step(workload, deployment, now)
                # one batch per interval: after a jump of the clock, the batches that were
                # due in the meantime are all done now
                due = deployment.next_step_at
                deployment.next_step_at = (due if math.isfinite(due) else now) + (
                    self.rollout_interval
                )
                if not changed:
                    break
            if deployment.status not in _ACTIVE:
                self._active.discard(deployment_id)
        for workload_id in list(self._dirty):
            self._dirty.discard(workload_id)
            workload = self.by_id.get(workload_id)
            if workload is not None and workload.deployed:
                self._scale(workload, workload.revision)

    # -- internals ---------------------------------------------------------------------------

    def _refresh_template(self, workload: WorkloadRecord) -> None:
        names = None
        if workload.target_nodes is not None:
            by_id = self.core.nodes.by_id
            names = [by_id[i].name for i in workload.target_nodes if i in by_id]
        workload.template = pod_document(
            workload_id=workload.id,
            name=workload.name,
            namespace=workload.namespace,
            image=workload.image,
            resources=workload.resources,
            placement=workload.placement,
            target_nodes=names,
        )

    def _start(
        self, workload: WorkloadRecord, strategy: DeployStrategy, kind: str, now: float
    ) -> DeploymentRecord:
        previous = self.deployments.get(workload.deployment_id or "")
        if previous is not None and previous.status in _ACTIVE:
            previous.status = DeploymentStatus.SUPERSEDED
            previous.finished_at = now
            self._active.discard(previous.id)
        self.touched = True
        deployment = DeploymentRecord(workload, strategy, kind, now)
        self.deployments[deployment.id] = deployment
        workload.deployment_id = deployment.id
        self._active.add(deployment.id)
        self._step(workload, deployment, now)
        if not deployment.target_nodes:
            deployment.target_nodes = self.placed_nodes(workload)
        deployment.next_step_at = now + self.rollout_interval
        if deployment.status not in _ACTIVE:
            self._active.discard(deployment.id)
        return deployment

    def _remove(self, workload: WorkloadRecord, pod: PodRecord) -> None:
        self.touched = True
        workload.pods.remove(pod)
        key = (workload.namespace, pod.name)
        self._removing.add(key)
        try:
            if self.core.store.find("pods", pod.name, workload.namespace) is not None:
                self.core.delete("pods", pod.name, workload.namespace)
        finally:
            self._removing.discard(key)

    def _new_pod(self, workload: WorkloadRecord) -> PodRecord:
        self.touched = True
        workload.pod_seq += 1
        name = f"{workload.name}-{workload.revision}-{workload.pod_seq}"
        pod = PodRecord(name, workload.revision)
        document = copy_object(workload.template)
        document["metadata"]["name"] = name
        document["metadata"]["labels"][REVISION_LABEL] = str(workload.revision)
        workload.pods.append(pod)
        self.core.create("pods", document)
        return pod

    def _outdated(self, workload: WorkloadRecord, pod: PodRecord, revision: int) -> bool:
        if pod.revision != revision:
            return True
        targets = workload.target_nodes
        if targets is None:
            return False
        node = self.node_of(workload, pod)
        return node is not None and node.id not in targets

    def _scale(self, workload: WorkloadRecord, revision: int) -> bool:
        """Add missing replicas at once; remove surplus ones (pending, then outdated, first)."""
        changed = False
        while len(workload.pods) < workload.replicas:
            self._new_pod(workload)
            changed = True
        surplus = len(workload.pods) - workload.replicas
        if surplus > 0:
            order = sorted(
                workload.pods,
                key=lambda p: (
                    self.node_of(workload, p) is not None,
                    not self._outdated(workload, p, revision),
                ),
            )
            for pod in order[:surplus]:
                self._remove(workload, pod)
            changed = True
        return changed

    def _step(self, workload: WorkloadRecord, deployment: DeploymentRecord, now: float) -> bool:
        """One rollout batch; returns whether anything changed."""
        self.touched = True
        nodes = self.core.nodes
        nodes.refresh(now, force=True)
        revision = deployment.revision
        changed = self._scale(workload, revision)
        outdated = [p for p in workload.pods if self._outdated(workload, p, revision)]
        placed = {p.name: self.node_of(workload, p) for p in outdated}
        reachable = [
            p for p in outdated if (node := placed[p.name]) is None or nodes.is_reachable(node, now)
        ]

        def order(p: PodRecord) -> tuple[bool, bool, str]:
            node = placed[p.name]
            if node is None:
                return (False, False, "")
            return (True, nodes.status_of(node, now) != ACTIVE, node.name)

        reachable.sort(key=order)
        batch = (
            reachable[: deployment.batch_size]
            if deployment.strategy is DeployStrategy.ROLLING
            else reachable
        )
        for old in batch:
            self._remove(workload, old)
            self._new_pod(workload)
        if batch:
            deployment.batches_done += 1
            changed = True
        current = {p.name: self.node_of(workload, p) for p in workload.pods}
        deployment.updated = sum(
            1
            for p in workload.pods
            if current[p.name] is not None and not self._outdated(workload, p, revision)
        )
        left = [p for p in workload.pods if self._outdated(workload, p, revision)]
        deployment.waiting = sorted(
            {
                node.id
                for p in left
                if (node := current[p.name]) is not None and not nodes.is_reachable(node, now)
            }
        )
        pending = [p for p in workload.pods if current[p.name] is None]
        if any((node := current[p.name]) is None or nodes.is_reachable(node, now) for p in left):
            deployment.status = DeploymentStatus.IN_PROGRESS
            deployment.message = f"{deployment.updated}/{workload.replicas} replicas updated"
        elif left:
            deployment.status = DeploymentStatus.WAITING
            deployment.message = (
                f"waiting for offline nodes to return: {', '.join(deployment.waiting)}"
            )
        elif pending:
            deployment.status = DeploymentStatus.PENDING
            deployment.message = self.reason_of(workload, pending[0])
        else:
            deployment.status = DeploymentStatus.COMPLETE
            deployment.message = f"{deployment.updated}/{workload.replicas} replicas updated"
            deployment.finished_at = now
        return changed


# -- durability -------------------------------------------------------------------------------

_WORKLOAD_FIELDS = (
    "id",
    "name",
    "namespace",
    "image",
    "replicas",
    "created_at",
    "updated_at",
    "revision",
    "deployed",
    "target_nodes",
    "pod_seq",
    "deployment_id",
    "message",
)
_DEPLOYMENT_FIELDS = (
    "id",
    "workload_id",
    "kind",
    "revision",
    "target_nodes",
    "batch_size",
    "batches_done",
    "updated",
    "waiting",
    "message",
    "started_at",
    "finished_at",
    "next_step_at",
)


def workload_state(controller: WorkloadController, workload: WorkloadRecord) -> dict[str, Any]:
    """A workload, its replicas and its deployments, as the data directory keeps them."""
    from ..serde import unstructure

    deployments = [d for d in controller.deployments.values() if d.workload_id == workload.id]
    return {
        **{f: getattr(workload, f) for f in _WORKLOAD_FIELDS},
        "type": workload.type.value,
        "strategy": workload.strategy.value,
        "resources": unstructure(workload.resources),
        "placement": unstructure(workload.placement),
        "pods": [[p.name, p.revision] for p in workload.pods],
        "deployments": [
            {
                **{f: getattr(d, f) for f in _DEPLOYMENT_FIELDS},
                "strategy": d.strategy.value,
                "status": d.status.value,
                "next_step_at": d.next_step_at if math.isfinite(d.next_step_at) else None,
            }
            for d in deployments
        ],
        "active": [d.id for d in deployments if d.id in controller._active],
    }


def save_workloads(controller: WorkloadController, journal: Any) -> None:
    """Write the workloads that changed since the last save."""
    import orjson

    if not controller.touched:
        return
    controller.touched = False
    for workload in controller.by_id.values():
        state = workload_state(controller, workload)
        encoded = orjson.dumps(state)
        if controller._saved.get(workload.id) != encoded:
            controller._saved[workload.id] = encoded
            journal.record("workload", workload.id, state)
    for gone in set(controller._saved) - set(controller.by_id):
        del controller._saved[gone]
        journal.record("workload", gone, None)


def restore_workloads(controller: WorkloadController, states: dict[str, Any]) -> None:
    """Bring back workloads kept by the data directory; their rollouts go on."""
    import orjson

    from ..serde import structure

    for workload_id, state in states.items():
        spec = WorkloadSpec(
            name=state["name"],
            namespace=state["namespace"],
            type=WorkloadType(state["type"]),
            image=state["image"],
            replicas=state["replicas"],
            resources=structure(state["resources"], ResourceRequirements),
            placement=structure(state["placement"], Placement),
        )
        workload = WorkloadRecord(spec, state["created_at"])
        for f in _WORKLOAD_FIELDS:
            setattr(workload, f, state[f])
        workload.strategy = DeployStrategy(state["strategy"])
        workload.pods = [PodRecord(name, revision) for name, revision in state["pods"]]
        controller.by_id[workload.id] = workload
        controller.by_key[(workload.namespace, workload.name)] = workload
        for d in state["deployments"]:
            deployment = DeploymentRecord(workload, DeployStrategy(d["strategy"]), d["kind"], 0.0)
            for f in _DEPLOYMENT_FIELDS:
                setattr(deployment, f, d[f])
            deployment.status = DeploymentStatus(d["status"])
            if d["next_step_at"] is None:
                deployment.next_step_at = -math.inf
            controller.deployments[deployment.id] = deployment
        controller._active.update(state["active"])
        controller._refresh_template(workload)
        controller._saved[workload_id] = orjson.dumps(state)
        controller._dirty.add(workload.id)  # replicas lost while down are replaced
    controller.touched = False
