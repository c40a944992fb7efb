"""Workloads, their pods, and the rollout controller of the memory cluster.

Deploying places every missing replica at once through the scheduler engine. Replacing
replicas (a new revision, or pods outside a new set of target nodes) goes in batches of
``max(1, ceil(25% of replicas))`` — Kubernetes' default ``maxUnavailable`` — one batch
per ``rollout_interval`` seconds of the injected clock, pods on active nodes first, then
on registered ones. Pods on offline nodes are skipped and replaced when their node comes
back (OpenYurt's AdvancedRollingUpdate). A replica that cannot be placed stays pending
with the scheduler's reason; nothing is silently under-replicated.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator

from ..engine import PodRequest, Scheduler, ScheduleResult
from ..errors import BadRequestError, ConflictError, NotFoundError
from ..models.edge import (
    DeploymentStatus,
    DeployStrategy,
    NodeStatus,
    Placement,
    ResourceRequirements,
    WorkloadSpec,
    WorkloadStatus,
    WorkloadType,
)
from .nodes import NodeRecord, NodeRegistry
from .placement import pod_template

__all__ = ["DeploymentRecord", "PodRecord", "WorkloadController", "WorkloadRecord"]

_ACTIVE = (DeploymentStatus.IN_PROGRESS, DeploymentStatus.WAITING, DeploymentStatus.PENDING)


class PodRecord:
    __slots__ = ("name", "node", "requests", "result", "revision")

    def __init__(self, name: str, revision: int, requests: dict[str, int]) -> None:
        self.name = name
        self.revision = revision
        self.requests = requests
        self.node: NodeRecord | None = None
        self.result: ScheduleResult | None = None


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
        self.template: PodRequest | None = None


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

    def __init__(
        self, registry: NodeRegistry, scheduler: Scheduler, rollout_interval: float = 1.0
    ) -> None:
        self.registry = registry
        self.scheduler = scheduler
        self.rollout_interval = rollout_interval
        self.by_id: dict[str, WorkloadRecord] = {}
        self.by_key: dict[tuple[str, str], WorkloadRecord] = {}
        self.deployments: dict[str, DeploymentRecord] = {}
        self._active: set[str] = set()
        self._dirty: set[str] = set()

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
        pending = [p for p in workload.pods if p.node is None]
        if pending:
            result = pending[0].result
            reason = result.message if result is not None else "waiting to be scheduled"
            return WorkloadStatus.PENDING, (
                f"{len(pending)} of {workload.replicas} replicas cannot be placed: {reason}"
            )
        if deployment is not None and deployment.status in _ACTIVE:
            status = (
                WorkloadStatus.DEPLOYING if deployment.kind == "deploy" else WorkloadStatus.UPDATING
            )
            return status, deployment.message
        offline = sorted(
            {
                p.node.id
                for p in workload.pods
                if p.node and not self.registry.is_reachable(p.node, now)
            }
        )
        if offline:
            return WorkloadStatus.RUNNING, f"replicas on offline nodes: {', '.join(offline)}"
        return WorkloadStatus.RUNNING, None

    def ready_replicas(self, workload: WorkloadRecord, now: float) -> int:
        return sum(
            1
            for p in workload.pods
            if p.node is not None and self.registry.is_reachable(p.node, now)
        )

    # -- commands ----------------------------------------------------------------------------

    def create(self, spec: WorkloadSpec, now: float) -> WorkloadRecord:
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
        new_revision = False
        if image is not None and image != workload.image:
            if not image.strip():
                raise BadRequestError("image: must not be empty", {"image": "must not be empty"})
            workload.image, new_revision = image, True
        if resources is not None and resources != workload.resources:
            workload.resources, new_revision = resources, True
        if placement is not None and placement != workload.placement:
            workload.placement, new_revision = placement, True
        if replicas is not None:
            if replicas < 0:
                raise BadRequestError("replicas: must not be negative", {"replicas": "negative"})
            workload.replicas = replicas
        workload.updated_at = now
        if new_revision:
            workload.revision += 1
            self._refresh_template(workload)
        if workload.deployed:
            self._start(workload, workload.strategy, "update", now)

    def delete(self, workload: WorkloadRecord) -> None:
        for pod in workload.pods:
            self._release(pod, workload.namespace)
        workload.pods.clear()
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
        """Pods on a deleted node are gone; their workloads get new replicas on reconcile."""
        for workload in self.by_id.values():
            kept = [p for p in workload.pods if p.node is not node]
            for pod in workload.pods:
                if pod.node is node:
                    self._release(pod, workload.namespace)
            if len(kept) != len(workload.pods):
                workload.pods = kept
                self._dirty.add(workload.id)
            if workload.target_nodes and node.id in workload.target_nodes:
                workload.target_nodes = [i for i in workload.target_nodes if i != node.id]
                self._refresh_template(workload)

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
                deployment.next_step_at = max(deployment.next_step_at, now - self.rollout_interval)
                deployment.next_step_at += self.rollout_interval
                if not changed:
                    break
            if deployment.status not in _ACTIVE:
                self._active.discard(deployment_id)
        for workload_id in list(self._dirty):
            self._dirty.discard(workload_id)
            workload = self.by_id.get(workload_id)
            if workload is not None and workload.deployed:
                self._scale(workload, workload.revision)
                self._retry_pending(workload)

    # -- internals ---------------------------------------------------------------------------

    def _refresh_template(self, workload: WorkloadRecord) -> None:
        names = None
        if workload.target_nodes is not None:
            names = [
                self.registry.by_id[i].name
                for i in workload.target_nodes
                if i in self.registry.by_id
            ]
        workload.template = pod_template(
            workload.name,
            workload.namespace,
            workload.resources,
            workload.placement,
            names,
            image=workload.image,
        )

    def _start(
        self, workload: WorkloadRecord, strategy: DeployStrategy, kind: str, now: float
    ) -> DeploymentRecord:
        previous = self.deployments.get(workload.deployment_id or "")
        if previous is not None and previous.status in _ACTIVE:
            previous.status = DeploymentStatus.SUPERSEDED
            previous.finished_at = now
            self._active.discard(previous.id)
        deployment = DeploymentRecord(workload, strategy, kind, now)
        self.deployments[deployment.id] = deployment
        workload.deployment_id = deployment.id
        self._active.add(deployment.id)
        self._step(workload, deployment, now)
        if not deployment.target_nodes:
            deployment.target_nodes = sorted({p.node.id for p in workload.pods if p.node})
        deployment.next_step_at = now + self.rollout_interval
        if deployment.status not in _ACTIVE:
            self._active.discard(deployment.id)
        return deployment

    def _place(self, workload: WorkloadRecord, pod: PodRecord) -> bool:
        assert workload.template is not None
        result = self.scheduler.schedule(workload.template)
        result.pod = pod.name
        pod.result = result
        if result.selected_node is None:
            return False
        self.scheduler.bind(result, workload.template, key=f"{workload.namespace}/{pod.name}")
        pod.node = self.registry.by_name[result.selected_node]
        return True

    def _release(self, pod: PodRecord, namespace: str) -> None:
        if pod.node is not None:
            self.scheduler.unbind(f"{namespace}/{pod.name}")
        pod.node = None

    def _new_pod(self, workload: WorkloadRecord) -> PodRecord:
        assert workload.template is not None
        workload.pod_seq += 1
        name = f"{workload.name}-{workload.revision}-{workload.pod_seq}"
        pod = PodRecord(name, workload.revision, dict(workload.template.requests))
        workload.pods.append(pod)
        self._place(workload, pod)
        return pod

    def _outdated(self, workload: WorkloadRecord, pod: PodRecord, revision: int) -> bool:
        if pod.revision != revision:
            return True
        targets = workload.target_nodes
        return targets is not None and pod.node is not None and pod.node.id not in targets

    def _retry_pending(self, workload: WorkloadRecord) -> bool:
        changed = False
        for pod in workload.pods:
            if pod.node is None:
                changed |= self._place(workload, pod)
        return changed

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
                key=lambda p: (p.node is not None, not self._outdated(workload, p, revision)),
            )
            for pod in order[:surplus]:
                self._release(pod, workload.namespace)
                workload.pods.remove(pod)
            changed = True
        return changed

    def _step(self, workload: WorkloadRecord, deployment: DeploymentRecord, now: float) -> bool:
        """One rollout batch; returns whether anything changed."""
        registry = self.registry
        registry.refresh(now, force=True)
        revision = deployment.revision
        changed = self._retry_pending(workload)
        changed |= self._scale(workload, revision)
        outdated = [p for p in workload.pods if self._outdated(workload, p, revision)]
        reachable = [p for p in outdated if p.node is None or registry.is_reachable(p.node, now)]
        reachable.sort(
            key=lambda p: (
                p.node is not None,
                p.node is not None and registry.status_of(p.node, now) is not NodeStatus.ACTIVE,
                p.node.name if p.node else "",
            )
        )
        if deployment.strategy is DeployStrategy.ROLLING:
            batch = reachable[: deployment.batch_size]
        else:
            batch = reachable
        for old in batch:
            self._release(old, workload.namespace)
            workload.pods.remove(old)
            self._new_pod(workload)
        if batch:
            deployment.batches_done += 1
            changed = True
        deployment.updated = sum(
            1
            for p in workload.pods
            if p.node is not None and not self._outdated(workload, p, revision)
        )
        left = [p for p in workload.pods if self._outdated(workload, p, revision)]
        deployment.waiting = sorted(
            {
                p.node.id
                for p in left
                if p.node is not None and not registry.is_reachable(p.node, now)
            }
        )
        pending = [p for p in workload.pods if p.node is None]
        if any(p.node is None or registry.is_reachable(p.node, now) for p in left):
            deployment.status = DeploymentStatus.IN_PROGRESS
            deployment.message = f"{deployment.updated}/{workload.replicas} replicas updated"
        elif left:
            deployment.status = DeploymentStatus.WAITING
            deployment.message = (
                f"waiting for offline nodes to return: {', '.join(deployment.waiting)}"
            )
        elif pending:
            deployment.status = DeploymentStatus.PENDING
            result = pending[0].result
            deployment.message = result.message if result is not None else None
        else:
            deployment.status = DeploymentStatus.COMPLETE
            deployment.message = f"{deployment.updated}/{workload.replicas} replicas updated"
            deployment.finished_at = now
        return changed
