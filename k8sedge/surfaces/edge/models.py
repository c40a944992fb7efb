"""Models of the edge orchestrator API: nodes, workloads, deployments, metrics, tokens.

Field names are the spec's JSON fields; requests are what the client sends, the other
classes are what every backend returns.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, TypeVar

from attrs import field, frozen

from ..._display import Model, frame
from ...pagination import Page, Pagination
from ...quantity import Quantity

__all__ = [
    "AggregatedMetrics",
    "ContainerMetrics",
    "DeployRequest",
    "DeployResult",
    "DeployStrategy",
    "Deployment",
    "DeploymentStatus",
    "Health",
    "IssuedToken",
    "MetricPoint",
    "MetricsSample",
    "NetworkStats",
    "Node",
    "NodeMetrics",
    "NodeMetricsSummary",
    "NodeRegistration",
    "NodeStatus",
    "NodeStatusUpdate",
    "OperationResult",
    "Operator",
    "Page",
    "Pagination",
    "Placement",
    "PlacementConstraint",
    "PlacementStrategy",
    "RecordResult",
    "ResourceRequirements",
    "TokenRequest",
    "TokenValidation",
    "Workload",
    "WorkloadSpec",
    "WorkloadStatus",
    "WorkloadType",
    "WorkloadUpdate",
]

T = TypeVar("T")


@frozen(kw_only=True, repr=False)
class Health(Model):
    """What ``health()`` answers: ``healthy`` and the server's version."""

    summary = ("status", "version")
    status: str
    version: str
    timestamp: datetime


@frozen(kw_only=True)
class OperationResult:
    """The ``{"success", "message"}`` body of deletes and revocations."""

    success: bool
    message: str = ""


# -- nodes -----------------------------------------------------------------------------------


class NodeStatus(enum.StrEnum):
    """``registered`` until the first heartbeat; ``offline`` after the grace period of silence."""

    REGISTERED = "registered"
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    OFFLINE = "offline"


@frozen(kw_only=True)
class NodeRegistration:
    """The body of ``POST /nodes``: what ``nodes.register`` sends."""

    name: str
    address: str
    capabilities: list[str] = field(factory=list)
    resources: dict[str, Quantity] = field(factory=dict)
    labels: dict[str, str] = field(factory=dict)


@frozen(kw_only=True)
class NodeStatusUpdate:
    """The body of ``PUT /nodes/{id}/status``: a status, a heartbeat, reported usage."""

    status: NodeStatus | None = None
    heartbeat: bool = False
    resources: dict[str, Quantity] = field(factory=dict)


@frozen(kw_only=True, repr=False)
class Node(Model):
    """An edge node: its registration, status, liveness and resources."""

    summary = ("name", "status", "address", "id")
    id: str
    name: str
    address: str = ""
    status: NodeStatus = NodeStatus.REGISTERED
    capabilities: list[str] = field(factory=list)
    resources: dict[str, Quantity] = field(factory=dict)
    labels: dict[str, str] = field(factory=dict)
    usage: dict[str, Quantity] = field(factory=dict)
    registered_at: datetime | None = None
    last_heartbeat: datetime | None = None


# -- workloads -------------------------------------------------------------------------------


class WorkloadType(enum.StrEnum):
    """What runs a workload's replicas: a ``deployment`` or a ``statefulset``."""

    DEPLOYMENT = "deployment"
    STATEFULSET = "statefulset"


class Operator(enum.StrEnum):
    """Kubernetes node-affinity operators."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    GT = "Gt"
    LT = "Lt"


class PlacementStrategy(enum.StrEnum):
    """Where replicas go: a node is a cloud node when labelled ``k8sedge.io/tier=cloud``."""

    EDGE_FIRST = "edge-first"
    CLOUD_FIRST = "cloud-first"
    EDGE_ONLY = "edge-only"
    CLOUD_ONLY = "cloud-only"
    ANY = "any"


@frozen(kw_only=True)
class PlacementConstraint:
    """One node-label requirement of a placement (``key``, ``operator``, ``values``)."""

    key: str
    operator: Operator
    values: list[str] = field(factory=list)


@frozen(kw_only=True)
class Placement:
    """A workload's placement: a strategy and node-label constraints."""

    strategy: PlacementStrategy = PlacementStrategy.EDGE_FIRST
    constraints: list[PlacementConstraint] = field(factory=list)


@frozen(kw_only=True)
class ResourceRequirements:
    """A workload's per-replica ``requests`` and ``limits`` (Kubernetes quantities)."""

    requests: dict[str, Quantity] = field(factory=dict)
    limits: dict[str, Quantity] = field(factory=dict)


@frozen(kw_only=True)
class WorkloadSpec:
    """The body of ``POST /workloads``."""

    name: str
    image: str
    namespace: str = "default"
    type: WorkloadType = WorkloadType.DEPLOYMENT
    replicas: int = 1
    resources: ResourceRequirements = field(factory=ResourceRequirements)
    placement: Placement = field(factory=Placement)


@frozen(kw_only=True)
class WorkloadUpdate:
    """The body of ``PUT /workloads/{id}``: only the fields given change."""

    image: str | None = None
    replicas: int | None = None
    resources: ResourceRequirements | None = None
    placement: Placement | None = None


class WorkloadStatus(enum.StrEnum):
    """A workload's status: ``created``, ``deploying`` or ``updating`` while a rollout is under
    way, ``running``, or ``pending`` when replicas cannot be placed."""

    CREATED = "created"
    DEPLOYING = "deploying"
    UPDATING = "updating"
    RUNNING = "running"
    PENDING = "pending"


@frozen(kw_only=True, repr=False)
class Workload(Model):
    """A workload: its spec, status, ready replicas and the nodes its replicas run on."""

    summary = ("name", "namespace", "status", "replicas", "ready_replicas", "id")
    id: str
    name: str
    namespace: str = "default"
    type: WorkloadType = WorkloadType.DEPLOYMENT
    image: str = ""
    replicas: int = 0
    resources: ResourceRequirements = field(factory=ResourceRequirements)
    placement: Placement = field(factory=Placement)
    status: WorkloadStatus = WorkloadStatus.CREATED
    nodes: list[str] = field(factory=list)
    ready_replicas: int = 0
    message: str | None = None
    revision: int = 0
    deployment_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class DeployStrategy(enum.StrEnum):
    """``rolling`` replaces replicas in batches; ``recreate`` replaces them all at once."""

    ROLLING = "rolling"
    RECREATE = "recreate"


@frozen(kw_only=True)
class DeployRequest:
    """The body of ``POST /workloads/{id}/deploy``: target nodes and strategy."""

    nodes: list[str] | None = None
    strategy: DeployStrategy = DeployStrategy.ROLLING


@frozen(kw_only=True, repr=False)
class DeployResult(Model):
    """The documented answer of ``POST /workloads/{id}/deploy``."""

    summary = ("name", "status", "deployment_id")

    id: str
    name: str
    status: WorkloadStatus
    deployment_id: str
    target_nodes: list[str] = field(factory=list)
    started_at: datetime | None = None


class DeploymentStatus(enum.StrEnum):
    """A rollout's status: ``in_progress``, ``waiting`` (for offline nodes), ``complete``,
    ``pending`` (cannot be placed) or ``superseded`` by a newer one."""

    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    COMPLETE = "complete"
    PENDING = "pending"
    SUPERSEDED = "superseded"


@frozen(kw_only=True, repr=False)
class Deployment(Model):
    """A rollout: its batches, what is updated, and what waits for offline nodes."""

    summary = ("status", "updated_replicas", "desired_replicas", "batches_done", "id")

    id: str
    workload_id: str
    strategy: DeployStrategy
    status: DeploymentStatus
    revision: int
    target_nodes: list[str] = field(factory=list)
    desired_replicas: int = 0
    updated_replicas: int = 0
    batch_size: int = 1
    batches_done: int = 0
    waiting_nodes: list[str] = field(factory=list)
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


# -- metrics ---------------------------------------------------------------------------------


@frozen(kw_only=True)
class NetworkStats:
    """A metrics sample's network counters (bytes received and sent)."""

    rx_bytes: int = 0
    tx_bytes: int = 0


@frozen(kw_only=True)
class ContainerMetrics:
    """One container's usage in a metrics sample."""

    name: str
    cpu_usage: float = 0.0
    memory_usage: float = 0.0


@frozen(kw_only=True)
class MetricsSample:
    """The body of ``POST /metrics/nodes/{id}``; ``timestamp`` defaults to now."""

    timestamp: datetime | None = None
    cpu_usage: float | None = None
    memory_usage: float | None = None
    memory_total: float | None = None
    disk_usage: float | None = None
    disk_total: float | None = None
    network: NetworkStats | None = None
    containers: list[ContainerMetrics] = field(factory=list)


@frozen(kw_only=True)
class RecordResult:
    """What recording metrics answers: success and the recording time."""

    success: bool
    recorded_at: datetime


@frozen(kw_only=True)
class MetricPoint:
    """One bucket of a metric series: its start time and mean value."""

    timestamp: datetime
    value: float


@frozen(kw_only=True, repr=False)
class NodeMetrics(Model):
    """A node's metric series over a time frame, bucketed at a resolution."""

    summary = ("node_name", "timeframe", "resolution")

    def to_pandas(self) -> Any:
        """One row per bucket, one column per metric (a pandas DataFrame)."""
        rows: dict[Any, dict[str, Any]] = {}
        for name, points in self.metrics.items():
            for point in points:
                rows.setdefault(point.timestamp, {"timestamp": point.timestamp})[name] = point.value
        return frame(sorted(rows.values(), key=lambda r: r["timestamp"]))

    node_id: str
    node_name: str
    timeframe: str
    resolution: str
    metrics: dict[str, list[MetricPoint]] = field(factory=dict)
    containers: list[ContainerMetrics] = field(factory=list)


@frozen(kw_only=True)
class NodeMetricsSummary:
    """One node's averages in an ``AggregatedMetrics`` answer."""

    name: str
    cpu_usage_avg: float | None = None
    memory_usage_avg: float | None = None


@frozen(kw_only=True, repr=False)
class AggregatedMetrics(Model):
    """Every node's metrics averaged per bucket (Σsum/Σcount), and each node's averages."""

    summary = ("nodes_count", "timeframe", "resolution")

    def to_pandas(self) -> Any:
        """One row per bucket, one column per cross-node average (a pandas DataFrame)."""
        rows: dict[Any, dict[str, Any]] = {}
        for name, points in self.aggregated.items():
            for point in points:
                rows.setdefault(point.timestamp, {"timestamp": point.timestamp})[name] = point.value
        return frame(sorted(rows.values(), key=lambda r: r["timestamp"]))

    timeframe: str
    resolution: str
    nodes_count: int
    aggregated: dict[str, list[MetricPoint]] = field(factory=dict)
    nodes: dict[str, NodeMetricsSummary] = field(factory=dict)


# -- tokens ----------------------------------------------------------------------------------


@frozen(kw_only=True)
class TokenRequest:
    """The body of ``POST /security/tokens``: a node and an expiration."""

    node_id: str
    expiration: str = "24h"


@frozen(kw_only=True, repr=False)
class IssuedToken(Model):
    """A node token (an HS256 JWT) and when it expires."""

    summary = ("expires_at",)
    token: str
    expires_at: datetime


@frozen(kw_only=True, repr=False)
class TokenValidation(Model):
    """``valid`` is false for a tampered, expired or revoked token; ``reason`` says which."""

    summary = ("valid", "node_id", "scope", "reason")

    valid: bool
    node_id: str | None = None
    expires_at: datetime | None = None
    scope: str | None = None
    reason: str | None = None
