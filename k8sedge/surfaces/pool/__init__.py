"""The resource-pool surface (``resource-pool-api.md``, the Zero-OS resourcepool RAML):
nodes, containers, jobs and processes, under ``/nodes``."""

from ..._wire import Surface
from .api import PoolAPI
from .service import PoolService
from .wire import PoolDialect

SURFACE = Surface(
    "pool",
    service=PoolService,
    api=PoolAPI,
    dialect=PoolDialect(),
    memory="k8sedge.surfaces.pool.memory:MemoryPool",
    kubernetes="k8sedge.surfaces.pool.kubernetes:KubernetesPool",
    summary="Resource pool: nodes, memory, reboot, containers, jobs, processes",
)

__all__ = ["SURFACE", "PoolAPI", "PoolService"]
