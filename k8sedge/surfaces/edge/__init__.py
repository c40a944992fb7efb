"""The edge orchestrator surface (``edge-framework-api.md``): nodes, heartbeats, workloads,
deployments, metrics and JWT tokens, under ``/api/v1``."""

from ..._wire import Dialect, Surface
from .api import EdgeAPI
from .service import EdgeService


class EdgeDialect(Dialect):
    """``{"error": true, "code", "message", "details"}`` error bodies, bare JSON answers."""

    prefixes = ("/api/v1",)


SURFACE = Surface(
    "edge",
    service=EdgeService,
    api=EdgeAPI,
    dialect=EdgeDialect(),
    memory="k8sedge.surfaces.edge.memory:MemoryEdge",
    kubernetes="k8sedge.surfaces.edge.kubernetes:KubernetesEdge",
    summary="Edge orchestrator: nodes, heartbeats, workloads, metrics, tokens",
)

__all__ = ["SURFACE", "EdgeAPI", "EdgeService"]
