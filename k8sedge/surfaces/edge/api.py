"""``client.edge``: the edge orchestrator, typed and convenient, over any backend.

Keyword arguments are the spec's JSON fields. They are checked by the same structuring
the server applies to request bodies, so bad input raises the same ``BadRequestError``
(naming the field) on every backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from ..._facade import Facade, Runner
from ...errors import BadRequestError
from ...pagination import DEFAULT_LIMIT, MAX_LIMIT, check_page
from ...serde import structure, unstructure
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
    NodeStatusUpdate,
    OperationResult,
    Page,
    RecordResult,
    TokenRequest,
    TokenValidation,
    Workload,
    WorkloadSpec,
    WorkloadUpdate,
)
from .service import EdgeService as S

__all__ = ["EdgeAPI", "MetricsAPI", "NodesAPI", "TokensAPI", "WorkloadsAPI"]

T = TypeVar("T")


def build(cls: type[T], **fields: Any) -> T:
    """Build a request model from keyword arguments (models and dicts both accepted)."""
    data = {
        k: unstructure(v) if attrs.has(type(v)) else v for k, v in fields.items() if v is not None
    }
    return structure(data, cls, what="arguments")


def identifier(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadRequestError(f"{field} must be a non-empty string", {field: "must be a string"})
    return value


def registration(
    name: str,
    address: str,
    capabilities: Sequence[str],
    resources: Mapping[str, Any] | None,
    labels: Mapping[str, str] | None,
) -> NodeRegistration:
    return build(
        NodeRegistration,
        name=name,
        address=address,
        capabilities=list(capabilities) if not isinstance(capabilities, str) else capabilities,
        resources=dict(resources) if resources is not None else None,
        labels=dict(labels) if labels is not None else None,
    )


def status_update(
    status: str | None, heartbeat: bool, resources: Mapping[str, Any] | None
) -> NodeStatusUpdate:
    return build(
        NodeStatusUpdate,
        status=status,
        heartbeat=heartbeat,
        resources=dict(resources) if resources is not None else None,
    )


def deploy_request(nodes: Sequence[str] | None, strategy: str) -> DeployRequest:
    return build(
        DeployRequest,
        nodes=list(nodes) if nodes is not None and not isinstance(nodes, str) else nodes,
        strategy=strategy,
    )


def metrics_sample(containers: Iterable[Any] | None, **fields: Any) -> MetricsSample:
    plain = (
        None
        if containers is None
        else [unstructure(c) if attrs.has(type(c)) else c for c in containers]
    )
    return build(MetricsSample, containers=plain, **fields)


def metrics_samples(samples: Iterable[MetricsSample | Mapping[str, Any]]) -> list[MetricsSample]:
    return [
        s if isinstance(s, MetricsSample) else structure(dict(s), MetricsSample, what="sample")
        for s in samples
    ]


class NodesAPI(Facade):
    """Edge nodes: register, list, read, heartbeat and status, delete."""

    def register(
        self,
        *,
        name: str,
        address: str,
        capabilities: Sequence[str] = (),
        resources: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> Node:
        """Register a node; a duplicate name raises ``ConflictError``."""
        request = registration(name, address, capabilities, resources, labels)
        return self._call(S.register_node, request)

    def list(self, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page[Node]:
        """One page of nodes, in registration order (``limit`` at most 100)."""
        check_page(page, limit)
        return self._call(S.list_nodes, page, limit)

    def iter(self, limit: int = MAX_LIMIT) -> Iterator[Node]:
        """Every node, fetching page after page."""
        return self._pages(S.list_nodes, limit)

    def get(self, node_id: str) -> Node:
        """One node by id; ``NotFoundError`` if there is none."""
        return self._call(S.get_node, identifier(node_id, "node_id"))

    def update_status(
        self,
        node_id: str,
        *,
        status: str | None = None,
        heartbeat: bool = False,
        resources: Mapping[str, Any] | None = None,
    ) -> Node:
        """Report status and usage; ``heartbeat=True`` marks the node alive now."""
        update = status_update(status, heartbeat, resources)
        return self._call(S.update_node_status, identifier(node_id, "node_id"), update)

    def heartbeat(self, node_id: str) -> Node:
        """Shorthand for ``update_status(node_id, heartbeat=True)``."""
        return self.update_status(node_id, heartbeat=True)

    def delete(self, node_id: str) -> OperationResult:
        """Remove a node; the pods bound to it go, and their controllers replace them elsewhere."""
        return self._call(S.delete_node, identifier(node_id, "node_id"))


class WorkloadsAPI(Facade):
    """Workloads: define, list, read, update, delete and deploy."""

    def create(
        self,
        *,
        name: str,
        image: str,
        namespace: str = "default",
        type: str = "deployment",
        replicas: int = 1,
        resources: Mapping[str, Any] | Any = None,
        placement: Mapping[str, Any] | Any = None,
    ) -> Workload:
        """Define a workload (status ``created``); ``deploy`` places its replicas."""
        spec = build(
            WorkloadSpec,
            name=name,
            image=image,
            namespace=namespace,
            type=type,
            replicas=replicas,
            resources=resources,
            placement=placement,
        )
        return self._call(S.create_workload, spec)

    def list(
        self,
        page: int = 1,
        limit: int = DEFAULT_LIMIT,
        *,
        namespace: str | None = None,
        status: str | None = None,
    ) -> Page[Workload]:
        """One page of workloads (``page`` from 1, ``limit`` 1 to 100), optionally of one
        ``namespace`` or ``status``."""
        check_page(page, limit)
        return self._call(S.list_workloads, page, limit, namespace, status)

    def iter(
        self, limit: int = MAX_LIMIT, *, namespace: str | None = None, status: str | None = None
    ) -> Iterator[Workload]:
        """Every workload, page after page (fetched as needed)."""
        return self._pages(S.list_workloads, limit, namespace, status)

    def get(self, workload_id: str) -> Workload:
        """One workload by id, with its status, ready replicas and nodes."""
        return self._call(S.get_workload, identifier(workload_id, "workload_id"))

    def update(
        self,
        workload_id: str,
        *,
        replicas: int | None = None,
        resources: Mapping[str, Any] | Any = None,
        image: str | None = None,
        placement: Mapping[str, Any] | Any = None,
    ) -> Workload:
        """Change the given fields; a deployed workload rolls out the change."""
        update = build(
            WorkloadUpdate, replicas=replicas, resources=resources, image=image, placement=placement
        )
        return self._call(S.update_workload, identifier(workload_id, "workload_id"), update)

    def delete(self, workload_id: str) -> OperationResult:
        """Delete a workload and its replicas."""
        return self._call(S.delete_workload, identifier(workload_id, "workload_id"))

    def deploy(
        self, workload_id: str, *, nodes: Sequence[str] | None = None, strategy: str = "rolling"
    ) -> DeployResult:
        """Place the workload's replicas (on ``nodes`` only, if given) with a rollout."""
        request = deploy_request(nodes, strategy)
        return self._call(S.deploy_workload, identifier(workload_id, "workload_id"), request)

    def deployment(self, workload_id: str, deployment_id: str) -> Deployment:
        """A rollout's progress: batches done, replicas updated, nodes waited for."""
        return self._call(
            S.get_deployment,
            identifier(workload_id, "workload_id"),
            identifier(deployment_id, "deployment_id"),
        )


class MetricsAPI(Facade):
    """Node metrics: record samples, query windows downsampled into buckets."""

    def record(
        self,
        node_id: str,
        *,
        timestamp: datetime | str | None = None,
        cpu_usage: float | None = None,
        memory_usage: float | None = None,
        memory_total: float | None = None,
        disk_usage: float | None = None,
        disk_total: float | None = None,
        network: Mapping[str, int] | Any = None,
        containers: Iterable[Mapping[str, Any] | Any] | None = None,
    ) -> RecordResult:
        """Record one sample; ``timestamp`` defaults to now."""
        sample = metrics_sample(
            containers,
            timestamp=timestamp,
            cpu_usage=cpu_usage,
            memory_usage=memory_usage,
            memory_total=memory_total,
            disk_usage=disk_usage,
            disk_total=disk_total,
            network=network,
        )
        return self._call(S.record_metrics, identifier(node_id, "node_id"), [sample])

    def record_batch(
        self, node_id: str, samples: Iterable[MetricsSample | Mapping[str, Any]]
    ) -> RecordResult:
        """Record many samples of one node in one call (the fast path for ingest)."""
        return self._call(
            S.record_metrics, identifier(node_id, "node_id"), metrics_samples(samples)
        )

    def node(self, node_id: str, timeframe: str = "1h", resolution: str = "5m") -> NodeMetrics:
        """One node's series over ``timeframe``, averaged into ``resolution`` buckets."""
        return self._call(S.node_metrics, identifier(node_id, "node_id"), timeframe, resolution)

    def all(self, timeframe: str = "1h", resolution: str = "5m") -> AggregatedMetrics:
        """Cross-node averages per bucket (Σsum/Σcount) and per-node averages."""
        return self._call(S.all_metrics, timeframe, resolution)


class TokensAPI(Facade):
    """JWT tokens for nodes: generate, validate, revoke."""

    def generate(self, node_id: str, expiration: str = "24h") -> IssuedToken:
        """Issue a node token (an HS256 JWT) valid for ``expiration`` (e.g. ``"24h"``)."""
        request = build(TokenRequest, node_id=node_id, expiration=expiration)
        return self._call(S.generate_token, request)

    def validate(self, token: str) -> TokenValidation:
        """Never raises for a bad token: ``valid`` is false and ``reason`` says why."""
        return self._call(S.validate_token, token if isinstance(token, str) else "")

    def revoke(self, token: str) -> OperationResult:
        """Revoke a valid token until it expires; ``BadRequestError`` for an invalid one."""
        return self._call(S.revoke_token, identifier(token, "token"))


class EdgeAPI(Facade):
    """The edge orchestrator surface: ``nodes``, ``workloads``, ``metrics``, ``tokens``."""

    nodes: NodesAPI
    workloads: WorkloadsAPI
    metrics: MetricsAPI
    tokens: TokensAPI

    def __init__(self, runner: Runner) -> None:
        super().__init__(runner)
        self.nodes = NodesAPI(runner)
        self.workloads = WorkloadsAPI(runner)
        self.metrics = MetricsAPI(runner)
        self.tokens = TokensAPI(runner)

    def health(self) -> Health:
        """The service's health, version and time."""
        return self._call(S.health)
