"""The MLBench dashboard surface (``mlbench-api.rst``): worker pods, benchmark runs and their
metrics, under ``/api/`` (Django REST Framework conventions)."""

from ..._wire import Surface
from .api import MLBenchAPI
from .models import (
    AllMetrics,
    KubePod,
    Metric,
    MetricPost,
    MetricType,
    MetricValue,
    Run,
    RunRequest,
    RunState,
)
from .service import MLBenchService
from .wire import MLBenchDialect

SURFACE = Surface(
    "mlbench",
    service=MLBenchService,
    api=MLBenchAPI,
    dialect=MLBenchDialect(),
    memory="k8sedge.surfaces.mlbench.memory:MemoryMLBench",
    kubernetes="k8sedge.surfaces.mlbench.kubernetes:KubernetesMLBench",
    summary="MLBench: worker pods, benchmark runs and their metrics",
)

__all__ = [
    "SURFACE",
    "AllMetrics",
    "KubePod",
    "MLBenchAPI",
    "MLBenchDialect",
    "MLBenchService",
    "Metric",
    "MetricPost",
    "MetricType",
    "MetricValue",
    "Run",
    "RunRequest",
    "RunState",
]
