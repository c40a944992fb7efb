"""Edge workloads on a Kubernetes cluster: Deployments and StatefulSets.

A workload is a Deployment (or StatefulSet) labelled ``k8sedge.io/workload-id``, its spec kept
whole in the ``k8sedge.io/spec`` annotation. Its pod template carries the placement as node
affinity (the same terms the memory backend gives the engine), the requests and limits, and
``schedulerName: k8sedge-scheduler``, so the backend's engine places the pods the cluster's
controllers create. ``deploy`` sets the replicas and the target nodes and bumps the template
(a rolling update of the controller; ``recreate`` maps to the ``Recreate`` strategy).
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from ...errors import BadRequestError, ConflictError, NotFoundError
from ...pagination import check_page, page_of
from ...serde import structure, unstructure
from ...timeutil import to_datetime
from .models import (
    Deployment,
    DeploymentStatus,
    DeployRequest,
    DeployResult,
    DeployStrategy,
    NodeStatus,
    OperationResult,
    Page,
    Workload,
    WorkloadSpec,
    WorkloadStatus,
    WorkloadType,
    WorkloadUpdate,
)
from .placement import (
    pod_document,
    validate_placement,
    validate_replicas,
    validate_resources,
    validate_spec,
)
from .views import workload_view

if TYPE_CHECKING:
    from ..simulator.kubernetes import KubernetesSimulator
    from .kubernetes import KubernetesEdge

__all__ = ["KubernetesWorkloads"]

P = "k8sedge.io/"
WID = f"{P}workload-id"
_PLURAL = {WorkloadType.DEPLOYMENT: "deployments", WorkloadType.STATEFULSET: "statefulsets"}


class KubernetesWorkloads:
    def __init__(self, edge: KubernetesEdge, simulator: KubernetesSimulator) -> None:
        self.edge = edge
        self.rest = edge.rest
        self.simulator = simulator

    # -- objects -----------------------------------------------------------------------------

    def _path(self, plural: str, namespace: str, name: str | None = None) -> str:
        path = f"/apis/apps/v1/namespaces/{namespace}/{plural}"
        return f"{path}/{name}" if name else path

    def _all(self, selector: str = WID) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for plural in ("deployments", "statefulsets"):
            for obj in self.rest.request(
                "GET", f"/apis/apps/v1/{plural}", query=[("labelSelector", selector)]
            )["items"]:
                obj["_plural"] = plural
                items.append(obj)
        return items

    def _find(self, workload_id: str) -> dict[str, Any]:
        found = self._all(f"{WID}={workload_id}") if workload_id.replace("-", "").isalnum() else []
        if not found:
            raise NotFoundError(f"workload {workload_id!r} not found", {"workload_id": workload_id})
        return found[0]

    @staticmethod
    def _ann(obj: dict[str, Any]) -> dict[str, str]:
        annotations: dict[str, str] = obj["metadata"].setdefault("annotations", {})
        return annotations

    def _spec(self, obj: dict[str, Any]) -> WorkloadSpec:
        return structure(orjson.loads(self._ann(obj)[f"{P}spec"]), WorkloadSpec)

    def _template(
        self, spec: WorkloadSpec, workload_id: str, targets: list[str] | None, revision: int
    ) -> dict[str, Any]:
        names = None if targets is None else [self.edge.name_of(i) for i in targets]
        pod = pod_document(
            workload_id=workload_id,
            name=spec.name,
            namespace=spec.namespace,
            image=spec.image,
            resources=spec.resources,
            placement=spec.placement,
            target_nodes=names,
        )
        pod["spec"]["schedulerName"] = "k8sedge-scheduler"
        return {
            "metadata": {
                "labels": {WID: workload_id, f"{P}workload": spec.name},
                "annotations": {f"{P}revision": str(revision)},
            },
            "spec": pod["spec"],
        }

    def _ensure_namespace(self, namespace: str) -> None:
        try:
            self.rest.request("GET", f"/api/v1/namespaces/{namespace}")
        except NotFoundError:
            with contextlib.suppress(ConflictError):
                self.rest.request(
                    "POST",
                    "/api/v1/namespaces",
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
                )

    def _write(self, obj: dict[str, Any], spec: WorkloadSpec) -> dict[str, Any]:
        plural = obj.pop("_plural")
        ann = self._ann(obj)
        ann[f"{P}spec"] = orjson.dumps(unstructure(spec)).decode()
        ann[f"{P}updated-at"] = repr(self.edge.clock.now())
        targets = orjson.loads(ann.get(f"{P}target-nodes", "null"))
        deployed = ann.get(f"{P}deployed") == "true"
        revision = int(ann.get(f"{P}revision", "1"))
        obj["spec"]["replicas"] = spec.replicas if deployed else 0
        obj["spec"]["template"] = self._template(
            spec, obj["metadata"]["labels"][WID], targets, revision
        )
        if plural == "deployments":
            strategy = ann.get(f"{P}strategy", DeployStrategy.ROLLING.value)
            obj["spec"]["strategy"] = (
                {"type": "Recreate"}
                if strategy == DeployStrategy.RECREATE.value
                else {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
                }
            )
        stored: dict[str, Any] = self.rest.request(
            "PUT", self._path(plural, spec.namespace, spec.name), obj
        )
        stored["_plural"] = plural
        self.simulator._schedule_pending()
        return stored

    # -- views -------------------------------------------------------------------------------

    def _pods(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        namespace = obj["metadata"]["namespace"]
        pods: list[dict[str, Any]] = self.rest.request(
            "GET",
            f"/api/v1/namespaces/{namespace}/pods",
            query=[("labelSelector", f"{WID}={obj['metadata']['labels'][WID]}")],
        )["items"]
        return pods

    def _view(self, obj: dict[str, Any]) -> Workload:
        spec = self._spec(obj)
        ann = self._ann(obj)
        status, message, nodes, ready = self._state(obj, spec)
        return workload_view(
            spec,
            workload_id=obj["metadata"]["labels"][WID],
            status=status,
            message=message,
            nodes=nodes,
            ready=ready,
            revision=int(ann.get(f"{P}revision", "1")),
            deployment_id=ann.get(f"{P}deployment-id"),
            created_at=float(ann.get(f"{P}created-at", "0")),
            updated_at=float(ann.get(f"{P}updated-at", "0")),
        )

    def _state(
        self, obj: dict[str, Any], spec: WorkloadSpec
    ) -> tuple[WorkloadStatus, str | None, list[str], int]:
        ann = self._ann(obj)
        if ann.get(f"{P}deployed") != "true":
            return WorkloadStatus.CREATED, None, [], 0
        pods = self._pods(obj)
        ids = self.edge.ids_by_name()
        statuses = self.edge.statuses()
        bound = [p for p in pods if (p.get("spec") or {}).get("nodeName")]
        nodes = sorted({ids[p["spec"]["nodeName"]] for p in bound if p["spec"]["nodeName"] in ids})
        offline = sorted(
            {
                ids[p["spec"]["nodeName"]]
                for p in bound
                if statuses.get(p["spec"]["nodeName"]) is NodeStatus.OFFLINE
                and p["spec"]["nodeName"] in ids
            }
        )
        ready = len(bound) - sum(
            1 for p in bound if statuses.get(p["spec"]["nodeName"]) is NodeStatus.OFFLINE
        )
        pending = [p for p in pods if not (p.get("spec") or {}).get("nodeName")]
        missing = spec.replicas - len(bound)
        if pending or missing > 0:
            reason = "waiting to be scheduled"
            for condition in (
                ((pending[0].get("status") or {}).get("conditions") or ()) if pending else ()
            ):
                if condition.get("type") == "PodScheduled" and condition.get("message"):
                    reason = condition["message"]
            count = max(len(pending), missing)
            return (
                WorkloadStatus.PENDING,
                f"{count} of {spec.replicas} replicas cannot be placed: {reason}",
                nodes,
                ready,
            )
        revision = ann.get(f"{P}revision", "1")
        stale = [
            p
            for p in bound
            if (p["metadata"].get("annotations") or {}).get(f"{P}revision") != revision
        ]
        if stale:
            kind = ann.get(f"{P}deploy-kind", "deploy")
            status = WorkloadStatus.DEPLOYING if kind == "deploy" else WorkloadStatus.UPDATING
            return (
                status,
                f"{spec.replicas - len(stale)}/{spec.replicas} replicas updated",
                nodes,
                ready,
            )
        if offline:
            return (
                WorkloadStatus.RUNNING,
                f"replicas on offline nodes: {', '.join(offline)}",
                nodes,
                ready,
            )
        return WorkloadStatus.RUNNING, None, nodes, ready

    # -- operations --------------------------------------------------------------------------

    def create(self, spec: WorkloadSpec) -> Workload:
        validate_spec(spec)
        self._ensure_namespace(spec.namespace)
        for plural in _PLURAL.values():
            with contextlib.suppress(NotFoundError):
                self.rest.request("GET", self._path(plural, spec.namespace, spec.name))
                raise ConflictError(
                    f"workload {spec.name!r} already exists in namespace {spec.namespace!r}",
                    {"name": "already exists"},
                )
        workload_id = str(uuid.uuid4())
        plural = _PLURAL[spec.type]
        now = self.edge.clock.now()
        obj: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "Deployment" if plural == "deployments" else "StatefulSet",
            "metadata": {
                "name": spec.name,
                "namespace": spec.namespace,
                "labels": {WID: workload_id, f"{P}workload": spec.name},
                "annotations": {
                    f"{P}spec": orjson.dumps(unstructure(spec)).decode(),
                    f"{P}created-at": repr(now),
                    f"{P}updated-at": repr(now),
                    f"{P}revision": "1",
                    f"{P}sequence": str(time.time_ns()),
                },
            },
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {WID: workload_id}},
                "template": self._template(spec, workload_id, None, 1),
            },
        }
        if plural == "statefulsets":
            obj["spec"]["serviceName"] = spec.name
        try:
            created = self.rest.request("POST", self._path(plural, spec.namespace), obj)
        except ConflictError:
            raise ConflictError(
                f"workload {spec.name!r} already exists in namespace {spec.namespace!r}",
                {"name": "already exists"},
            ) from None
        created["_plural"] = plural
        return self._view(created)

    def list(
        self, page: int, limit: int, namespace: str | None, status: str | None
    ) -> Page[Workload]:
        check_page(page, limit)
        if status is not None and status not in WorkloadStatus.__members__.values():
            raise BadRequestError("unknown status", {"status": "unknown status"})
        objs = self._all()
        objs.sort(key=lambda o: int(self._ann(o).get(f"{P}sequence", "0")))
        views = [
            self._view(o)
            for o in objs
            if namespace is None or o["metadata"]["namespace"] == namespace
        ]
        if status is not None:
            views = [v for v in views if v.status == status]
        return page_of(views, page, limit)

    def get(self, workload_id: str) -> Workload:
        return self._view(self._find(workload_id))

    def update(self, workload_id: str, update: WorkloadUpdate) -> Workload:
        if update.resources is not None:
            validate_resources(update.resources)
        if update.placement is not None:
            validate_placement(update.placement)
        if update.replicas is not None:
            validate_replicas(update.replicas)
        if update.image is not None and not update.image.strip():
            raise BadRequestError("image: must not be empty", {"image": "must not be empty"})
        obj = self._find(workload_id)
        spec = self._spec(obj)
        from attrs import evolve

        changed: dict[str, Any] = {
            k: v
            for k, v in (
                ("image", update.image),
                ("resources", update.resources),
                ("placement", update.placement),
            )
            if v is not None
        }
        new_spec = evolve(spec, **changed)
        if update.replicas is not None:
            new_spec = evolve(new_spec, replicas=update.replicas)
        ann = self._ann(obj)
        if any(getattr(spec, k) != v for k, v in changed.items()):
            ann[f"{P}revision"] = str(int(ann.get(f"{P}revision", "1")) + 1)
        ann[f"{P}deploy-kind"] = "update"
        return self._view(self._write(obj, new_spec))

    def delete(self, workload_id: str) -> OperationResult:
        obj = self._find(workload_id)
        meta = obj["metadata"]
        self.rest.request("DELETE", self._path(obj["_plural"], meta["namespace"], meta["name"]))
        return OperationResult(success=True, message="Workload successfully removed")

    def deploy(self, workload_id: str, request: DeployRequest) -> DeployResult:
        obj = self._find(workload_id)
        spec = self._spec(obj)
        targets = None
        if request.nodes is not None:
            if not request.nodes:
                raise BadRequestError(
                    "nodes must not be empty (omit it to deploy anywhere)",
                    {"nodes": "must not be empty"},
                )
            names = self.edge.ids_by_name()
            known = set(names.values())
            targets = []
            for i, node_id in enumerate(request.nodes):
                if node_id not in known:
                    raise NotFoundError(
                        f"node {node_id!r} not found", {f"nodes[{i}]": "no such node"}
                    )
                if node_id not in targets:
                    targets.append(node_id)
        ann = self._ann(obj)
        if ann.get(f"{P}deployed") == "true":
            ann[f"{P}revision"] = str(
                int(ann.get(f"{P}revision", "1")) + 1
            )  # restart every replica
        deployment_id = str(uuid.uuid4())
        now = self.edge.clock.now()
        ann.update(
            {
                f"{P}deployed": "true",
                f"{P}target-nodes": orjson.dumps(targets).decode(),
                f"{P}strategy": request.strategy.value,
                f"{P}deployment-id": deployment_id,
                f"{P}deploy-started-at": repr(now),
                f"{P}deploy-kind": "deploy",
            }
        )
        stored = self._write(obj, spec)
        view = self._view(stored)
        return DeployResult(
            id=view.id,
            name=view.name,
            status=view.status,
            deployment_id=deployment_id,
            target_nodes=list(targets) if targets is not None else view.nodes,
            started_at=to_datetime(now),
        )

    def deployment(self, workload_id: str, deployment_id: str) -> Deployment:
        obj = self._find(workload_id)
        ann = self._ann(obj)
        if ann.get(f"{P}deployment-id") != deployment_id:
            raise NotFoundError(
                f"deployment {deployment_id!r} not found for workload {workload_id!r}",
                {"deployment_id": deployment_id},
            )
        spec = self._spec(obj)
        status, message, nodes, _ = self._state(obj, spec)
        revision = ann.get(f"{P}revision", "1")
        updated = sum(
            1
            for p in self._pods(obj)
            if (p.get("spec") or {}).get("nodeName")
            and (p["metadata"].get("annotations") or {}).get(f"{P}revision") == revision
        )
        phase = {
            WorkloadStatus.PENDING: DeploymentStatus.PENDING,
            WorkloadStatus.RUNNING: DeploymentStatus.COMPLETE,
        }.get(status, DeploymentStatus.IN_PROGRESS)
        targets = orjson.loads(ann.get(f"{P}target-nodes", "null"))
        return Deployment(
            id=deployment_id,
            workload_id=workload_id,
            strategy=DeployStrategy(ann.get(f"{P}strategy", "rolling")),
            status=phase,
            revision=int(revision),
            target_nodes=targets if targets is not None else nodes,
            desired_replicas=spec.replicas,
            updated_replicas=updated,
            batch_size=max(1, math.ceil(spec.replicas * 0.25)),
            batches_done=1 if phase is DeploymentStatus.COMPLETE else 0,
            message=message,
            started_at=to_datetime(float(ann.get(f"{P}deploy-started-at", "0"))),
        )
