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
from ._display import to_pandas
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
    from .surfaces.cello.api import CelloAPI
    from .surfaces.cello.models import Cluster as CelloCluster, Host as CelloHost
    from .surfaces.mlbench.api import MLBenchAPI
    from .surfaces.mlbench.models import (
        AllMetrics as MLBenchMetrics,
        KubePod as MLBenchPod,
        MetricSeries as MLBenchMetricSeries,
        Run as MLBenchRun,
        RunState as MLBenchRunState,
    )
    from .surfaces.pool.api import PoolAPI
    from .surfaces.pool.models import (
        Container as PoolContainer,
        JobResult as PoolJob,
        MemInfo as PoolMemInfo,
        PoolNode,
        Process as PoolProcess,
    )

# Heavier parts (numpy, the engine, the other surfaces) load on first use, so that
# `import k8sedge` stays light. name -> "module" (same name) or "module:attribute".
_LAZY = {
    "HttpBackend": "k8sedge.backends.http",
    "AsyncHttpBackend": "k8sedge.backends.http",
    "RetryPolicy": "k8sedge.backends.http",
    "KubernetesBackend": "k8sedge.backends.kubernetes",
    "MemoryBackend": "k8sedge.backends.memory",
    "Cluster": "k8sedge.memory",
    "Scheduler": "k8sedge.engine",
    "ScheduleResult": "k8sedge.engine",
    "PoolAPI": "k8sedge.surfaces.pool.api",
    "PoolNode": "k8sedge.surfaces.pool.models",
    "PoolContainer": "k8sedge.surfaces.pool.models:Container",
    "PoolJob": "k8sedge.surfaces.pool.models:JobResult",
    "PoolMemInfo": "k8sedge.surfaces.pool.models:MemInfo",
    "PoolProcess": "k8sedge.surfaces.pool.models:Process",
    "MLBenchAPI": "k8sedge.surfaces.mlbench.api",
    "MLBenchRun": "k8sedge.surfaces.mlbench.models:Run",
    "MLBenchRunState": "k8sedge.surfaces.mlbench.models:RunState",
    "MLBenchPod": "k8sedge.surfaces.mlbench.models:KubePod",
    "MLBenchMetrics": "k8sedge.surfaces.mlbench.models:AllMetrics",
    "MLBenchMetricSeries": "k8sedge.surfaces.mlbench.models:MetricSeries",
    "CelloAPI": "k8sedge.surfaces.cello.api",
    "CelloCluster": "k8sedge.surfaces.cello.models:Cluster",
    "CelloHost": "k8sedge.surfaces.cello.models:Host",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, _, attribute = _LAZY[name].partition(":")
        return getattr(importlib.import_module(module), attribute or name)
    raise AttributeError(f"module 'k8sedge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AggregatedMetrics",
    "AsyncClient",
    "AsyncHttpBackend",
    "BadRequestError",
    "CelloAPI",
    "CelloCluster",
    "CelloHost",
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
    "MLBenchAPI",
    "MLBenchMetricSeries",
    "MLBenchMetrics",
    "MLBenchPod",
    "MLBenchRun",
    "MLBenchRunState",
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
    "PoolAPI",
    "PoolContainer",
    "PoolJob",
    "PoolMemInfo",
    "PoolNode",
    "PoolProcess",
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
    "to_pandas",
]
