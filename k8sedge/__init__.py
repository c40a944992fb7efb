"""k8sedge: one typed client for edge clusters, scheduling experiments and cluster pools.

>>> import k8sedge
>>> client = k8sedge.connect()          # the embedded memory backend
>>> client.edge.health().status
'healthy'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._client import AsyncClient, Client, connect, connect_async
from ._version import __version__
from .clock import Clock, ManualClock, SystemClock
from .errors import (
    BadRequestError,
    ConflictError,
    ExpiredError,
    ForbiddenError,
    InternalError,
    K8sEdgeError,
    NotFoundError,
    RateLimitedError,
    ServiceUnavailableError,
    TransportError,
    UnauthorizedError,
    UnsupportedError,
)
from .quantity import Quantity, QuantityFormat, parse_quantity
from .surfaces.edge.api import EdgeAPI
from .surfaces.edge.models import (
    AggregatedMetrics,
    ContainerMetrics,
    Deployment,
    DeploymentStatus,
    DeployRequest,
    DeployResult,
    DeployStrategy,
    Health,
    IssuedToken,
    MetricPoint,
    MetricsSample,
    NetworkStats,
    Node,
    NodeMetrics,
    NodeMetricsSummary,
    NodeRegistration,
    NodeStatus,
    NodeStatusUpdate,
    OperationResult,
    Operator,
    Page,
    Pagination,
    Placement,
    PlacementConstraint,
    PlacementStrategy,
    RecordResult,
    ResourceRequirements,
    TokenRequest,
    TokenValidation,
    Workload,
    WorkloadSpec,
    WorkloadStatus,
    WorkloadType,
    WorkloadUpdate,
)
from .surfaces.simulator.api import SimulatorAPI
from .surfaces.simulator.compare import Comparison, ConfigOutcome
from .surfaces.simulator.config import SchedulerConfiguration, default_configuration
from .surfaces.simulator.models import (
    ImportResult,
    KubeObject,
    ResourcesForLoad,
    SchedulingResult,
    WatchEvent,
)

if TYPE_CHECKING:
    from .backends.http import AsyncHttpBackend, HttpBackend, RetryPolicy
    from .backends.kubernetes import KubernetesBackend
    from .backends.memory import MemoryBackend
    from .engine import Scheduler, ScheduleResult
    from .memory import Cluster

# Heavier parts (numpy, the engine) load on first use, so `import k8sedge` stays light.
_LAZY = {
    "HttpBackend": "k8sedge.backends.http",
    "AsyncHttpBackend": "k8sedge.backends.http",
    "RetryPolicy": "k8sedge.backends.http",
    "KubernetesBackend": "k8sedge.backends.kubernetes",
    "MemoryBackend": "k8sedge.backends.memory",
    "Cluster": "k8sedge.memory",
    "Scheduler": "k8sedge.engine",
    "ScheduleResult": "k8sedge.engine",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'k8sedge' has no attribute {name!r}")


__all__ = [
    "AggregatedMetrics",
    "AsyncClient",
    "AsyncHttpBackend",
    "BadRequestError",
    "Client",
    "Clock",
    "Cluster",
    "Comparison",
    "ConfigOutcome",
    "ConflictError",
    "ContainerMetrics",
    "DeployRequest",
    "DeployResult",
    "DeployStrategy",
    "Deployment",
    "DeploymentStatus",
    "EdgeAPI",
    "ExpiredError",
    "ForbiddenError",
    "Health",
    "HttpBackend",
    "ImportResult",
    "InternalError",
    "IssuedToken",
    "K8sEdgeError",
    "KubeObject",
    "KubernetesBackend",
    "ManualClock",
    "MemoryBackend",
    "MetricPoint",
    "MetricsSample",
    "NetworkStats",
    "Node",
    "NodeMetrics",
    "NodeMetricsSummary",
    "NodeRegistration",
    "NodeStatus",
    "NodeStatusUpdate",
    "NotFoundError",
    "OperationResult",
    "Operator",
    "Page",
    "Pagination",
    "Placement",
    "PlacementConstraint",
    "PlacementStrategy",
    "Quantity",
    "QuantityFormat",
    "RateLimitedError",
    "RecordResult",
    "ResourceRequirements",
    "ResourcesForLoad",
    "RetryPolicy",
    "ScheduleResult",
    "Scheduler",
    "SchedulerConfiguration",
    "SchedulingResult",
    "ServiceUnavailableError",
    "SimulatorAPI",
    "SystemClock",
    "TokenRequest",
    "TokenValidation",
    "TransportError",
    "UnauthorizedError",
    "UnsupportedError",
    "WatchEvent",
    "Workload",
    "WorkloadSpec",
    "WorkloadStatus",
    "WorkloadType",
    "WorkloadUpdate",
    "__version__",
    "connect",
    "connect_async",
    "default_configuration",
    "parse_quantity",
]
