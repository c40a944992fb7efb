"""The edge lens on the memory cluster: nodes are the cluster's Nodes, workloads' replicas
its Pods, metrics and tokens its stores."""

from __future__ import annotations

from collections.abc import Sequence

from ..._version import __version__
from ...errors import BadRequestError, NotFoundError
from ...memory import Cluster
from ...memory.nodes import NodeRecord
from ...memory.tokens import ADMIN_SUBJECT, MAX_CACHED
from ...memory.workloads import DeploymentRecord, WorkloadRecord
from ...pagination import check_page, page_of
from ...timeutil import to_datetime
from .models import (
    AggregatedMetrics,
    Deployment,
    DeployRequest,
    DeployResult,
    Health,
    IssuedToken,
    MetricsSample,
    Node,
    NodeMetrics,
    NodeRegistration,
    NodeStatus,
    NodeStatusUpdate,
    OperationResult,
    Page,
    RecordResult,
    TokenRequest,
    TokenValidation,
    Workload,
    WorkloadSpec,
    WorkloadStatus,
    WorkloadUpdate,
)
from .placement import (
    validate_placement,
    validate_replicas,
    validate_resources,
    validate_spec,
)
from .views import (
    aggregate_view,
    node_metrics_view,
    record_samples,
    token_validation,
    window,
    workload_view,
)

__all__ = ["MemoryEdge"]


class MemoryEdge:
    """The edge surface over the memory cluster's ``Cluster``."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._validations: dict[str, TokenValidation] = {}  # answers for valid tokens

    # -- views -------------------------------------------------------------------------------

    def _node(self, record: NodeRecord, now: float) -> Node:
        return Node(
            id=record.id,
            name=record.name,
            address=record.address,
            status=NodeStatus(self.cluster.nodes.status_of(record, now)),
            capabilities=list(record.capabilities),
            resources=dict(record.resources),
            labels=dict(record.labels),
            usage=dict(record.usage),
            registered_at=to_datetime(record.registered_at),
            last_heartbeat=None
            if record.last_heartbeat is None
            else to_datetime(record.last_heartbeat),
        )

    def _workload(self, record: WorkloadRecord, now: float) -> Workload:
        workloads = self.cluster.workloads
        status, message = workloads.status_of(record, now)
        return workload_view(
            record,
            workload_id=record.id,
            status=status,
            message=message,
            nodes=workloads.placed_nodes(record),
            ready=workloads.ready_replicas(record, now),
            revision=record.revision,
            deployment_id=record.deployment_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )

    @staticmethod
    def _deployment(record: DeploymentRecord, replicas: int) -> Deployment:
        return Deployment(
            id=record.id,
            workload_id=record.workload_id,
            strategy=record.strategy,
            status=record.status,
            revision=record.revision,
            target_nodes=list(record.target_nodes),
            desired_replicas=replicas,
            updated_replicas=record.updated,
            batch_size=record.batch_size,
            batches_done=record.batches_done,
            waiting_nodes=list(record.waiting),
            message=record.message,
            started_at=to_datetime(record.started_at),
            finished_at=None if record.finished_at is None else to_datetime(record.finished_at),
        )

    # -- health and nodes --------------------------------------------------------------------

    def health(self) -> Health:
        return Health(
            status="healthy", version=__version__, timestamp=to_datetime(self.cluster.now())
        )

    def register_node(self, request: NodeRegistration) -> Node:
        with self.cluster.writing() as now:
            record = self.cluster.nodes.register(
                name=request.name,
                address=request.address,
                capabilities=list(request.capabilities),
                resources=dict(request.resources),
                labels=dict(request.labels),
                now=now,
            )
            self.cluster.node_added(record.name)
            return self._node(record, now)

    def list_nodes(self, page: int, limit: int) -> Page[Node]:
        check_page(page, limit)
        with self.cluster.lock:
            now = self.cluster.tick()
            nodes = self.cluster.nodes
            chunk = page_of(nodes.ordered_names(), page, limit)
            return Page([self._node(nodes.by_name[n], now) for n in chunk.items], chunk.pagination)

    def get_node(self, node_id: str) -> Node:
        with self.cluster.lock:
            now = self.cluster.tick()
            return self._node(self.cluster.nodes.require(node_id), now)

    def update_node_status(self, node_id: str, update: NodeStatusUpdate) -> Node:
        if update.heartbeat and not update.resources and update.status in (None, NodeStatus.ACTIVE):
            beat = self._heartbeat(node_id)  # the fast path: no write unless something changes
            if beat is not None:
                return beat
        with self.cluster.writing() as now:
            nodes = self.cluster.nodes
            record = nodes.require(node_id)
            for key, quantity in update.resources.items():
                if quantity.value < 0:
                    raise BadRequestError(
                        f"resources.{key} must not be negative", {f"resources.{key}": "negative"}
                    )
            if update.status is NodeStatus.REGISTERED:
                raise BadRequestError(
                    "status cannot be set back to 'registered'",
                    {"status": "must be one of 'active', 'maintenance', 'offline'"},
                )
            came_back = nodes.heartbeat(record, now) if update.heartbeat else False
            if update.status is not None:
                nodes.set_reported(record, update.status.value, now)
            if update.resources:
                nodes.set_usage(record, dict(update.resources))
            if came_back:
                self.cluster.nodes_changed()
                self.cluster.workloads.reconcile(now)
            return self._node(record, now)

    def _heartbeat(self, node_id: str) -> Node | None:
        """A plain heartbeat of an active node, or None when it changes the node (it was
        registered or offline: then the full path runs)."""
        cluster = self.cluster
        with cluster.lock:
            now = cluster.tick_lazily()
            record = cluster.nodes.require(node_id)
            if (
                record.reported != "active"
                or not record.monitored
                or cluster.nodes.is_offline(record)
            ):
                return None
            cluster.nodes.heartbeat(record, now)
            return self._node(record, now)

    def delete_node(self, node_id: str) -> OperationResult:
        with self.cluster.writing() as now:
            record = self.cluster.nodes.require(node_id)
            self.cluster.workloads.node_removed(record)
            removed = self.cluster.store.delete("nodes", record.name)
            self.cluster.after("nodes", "DELETED", removed)
            self.cluster.metrics.forget(record.id)
            self.cluster.workloads.reconcile(now)
            return OperationResult(success=True, message="Node successfully removed")

    # -- workloads ---------------------------------------------------------------------------

    def create_workload(self, spec: WorkloadSpec) -> Workload:
        validate_spec(spec)
        with self.cluster.writing() as now:
            self.cluster.ensure_namespace(spec.namespace)
            return self._workload(self.cluster.workloads.create(spec, now), now)

    def list_workloads(
        self, page: int, limit: int, namespace: str | None, status: str | None
    ) -> Page[Workload]:
        check_page(page, limit)
        if status is not None and status not in WorkloadStatus.__members__.values():
            allowed = ", ".join(s.value for s in WorkloadStatus)
            raise BadRequestError(f"status must be one of {allowed}", {"status": "unknown status"})
        with self.cluster.lock:
            now = self.cluster.tick()
            views = [
                self._workload(w, now)
                for w in self.cluster.workloads
                if namespace is None or w.namespace == namespace
            ]
            if status is not None:
                views = [w for w in views if w.status == status]
            return page_of(views, page, limit)

    def get_workload(self, workload_id: str) -> Workload:
        with self.cluster.lock:
            now = self.cluster.tick()
            return self._workload(self.cluster.workloads.get(workload_id), now)

    def update_workload(self, workload_id: str, update: WorkloadUpdate) -> Workload:
        if update.resources is not None:
            validate_resources(update.resources)
        if update.placement is not None:
            validate_placement(update.placement)
        if update.replicas is not None:
            validate_replicas(update.replicas)
        with self.cluster.writing() as now:
            workloads = self.cluster.workloads
            record = workloads.get(workload_id)
            workloads.update(
                record,
                image=update.image,
                replicas=update.replicas,
                resources=update.resources,
                placement=update.placement,
                now=now,
            )
            return self._workload(record, now)

    def delete_workload(self, workload_id: str) -> OperationResult:
        with self.cluster.writing():
            workloads = self.cluster.workloads
            workloads.delete(workloads.get(workload_id))
            return OperationResult(success=True, message="Workload successfully removed")

    def deploy_workload(self, workload_id: str, request: DeployRequest) -> DeployResult:
        with self.cluster.writing() as now:
            workloads = self.cluster.workloads
            record = workloads.get(workload_id)
            targets = None
            if request.nodes is not None:
                if not request.nodes:
                    raise BadRequestError(
                        "nodes must not be empty (omit it to deploy anywhere)",
                        {"nodes": "must not be empty"},
                    )
                targets = []
                for i, node_id in enumerate(request.nodes):
                    node = self.cluster.nodes.by_id.get(node_id)
                    if node is None:
                        raise NotFoundError(
                            f"node {node_id!r} not found", {f"nodes[{i}]": "no such node"}
                        )
                    if node not in targets:
                        targets.append(node)
            deployment = workloads.deploy(record, targets, request.strategy, now)
            status, _ = workloads.status_of(record, now)
            return DeployResult(
                id=record.id,
                name=record.name,
                status=status,
                deployment_id=deployment.id,
                target_nodes=list(deployment.target_nodes),
                started_at=to_datetime(deployment.started_at),
            )

    def get_deployment(self, workload_id: str, deployment_id: str) -> Deployment:
        with self.cluster.lock:
            self.cluster.tick()
            workloads = self.cluster.workloads
            record = workloads.get(workload_id)
            deployment = workloads.get_deployment(deployment_id)
            if deployment.workload_id != record.id:
                raise NotFoundError(
                    f"deployment {deployment_id!r} not found for workload {workload_id!r}",
                    {"deployment_id": deployment_id},
                )
            return self._deployment(deployment, record.replicas)

    # -- metrics -----------------------------------------------------------------------------

    def record_metrics(self, node_id: str, samples: Sequence[MetricsSample]) -> RecordResult:
        with self.cluster.lock:
            self.cluster.nodes.require(node_id)
            return record_samples(self.cluster.metrics, node_id, samples, self.cluster.now())

    def node_metrics(self, node_id: str, timeframe: str, resolution: str) -> NodeMetrics:
        query = window(self.cluster.now(), timeframe, resolution)
        with self.cluster.lock:
            record = self.cluster.nodes.require(node_id)
            return node_metrics_view(
                self.cluster.metrics, record.id, record.name, query, timeframe, resolution
            )

    def all_metrics(self, timeframe: str, resolution: str) -> AggregatedMetrics:
        query = window(self.cluster.now(), timeframe, resolution)
        with self.cluster.lock:
            names = {i: n.name for i, n in self.cluster.nodes.by_id.items()}
            return aggregate_view(self.cluster.metrics, names, query, timeframe, resolution)

    # -- tokens ------------------------------------------------------------------------------

    def generate_token(self, request: TokenRequest) -> IssuedToken:
        with self.cluster.lock:
            self.cluster.nodes.require(request.node_id)
            token, expires = self.cluster.tokens.issue(request.node_id, request.expiration)
            return IssuedToken(token=token, expires_at=to_datetime(expires))

    def validate_token(self, token: str) -> TokenValidation:
        with self.cluster.lock:
            claims, reason = self.cluster.tokens.decode(token)  # expiry, revocation: each time
            by_id = self.cluster.nodes.by_id
            known = self._validations.get(token) if claims is not None else None
            if known is not None and (known.node_id is None or known.node_id in by_id):
                return known  # frozen: the same answer for a token still valid
            result = token_validation(claims, reason, by_id.__contains__)
            if result.valid:
                if len(self._validations) >= MAX_CACHED:
                    self._validations.clear()
                self._validations[token] = result
            return result

    def revoke_token(self, token: str) -> OperationResult:
        with self.cluster.lock:
            self.cluster.tokens.revoke(token)
            return OperationResult(success=True, message="Token successfully revoked")

    def issue_admin_token(self, expiration: str = "365d") -> IssuedToken:
        """A token with the admin scope (what ``k8sedge serve`` prints at start)."""
        with self.cluster.lock:
            token, expires = self.cluster.tokens.issue(ADMIN_SUBJECT, expiration, scope="admin")
            return IssuedToken(token=token, expires_at=to_datetime(expires))
