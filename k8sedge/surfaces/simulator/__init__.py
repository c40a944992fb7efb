"""The scheduler-simulator surface (``scheduler-simulator-api.md``): scheduler configuration,
reset, export/import, the list-watch stream, and the cluster's objects."""

from ..._wire import Dialect, Surface
from .api import SimulatorAPI
from .service import SimulatorService


class SimulatorDialect(Dialect):
    """The edge server's error bodies; the real simulator's ``{"message": …}`` is read too."""

    prefixes = ("/api/v1/simulator",)


SURFACE = Surface(
    "simulator",
    service=SimulatorService,
    api=SimulatorAPI,
    dialect=SimulatorDialect(),
    memory="k8sedge.surfaces.simulator.memory:MemorySimulator",
    kubernetes="k8sedge.surfaces.simulator.kubernetes:KubernetesSimulator",
    summary="Scheduler simulator: configuration, reset, export/import, list-watch, objects",
)

__all__ = ["SURFACE", "SimulatorAPI", "SimulatorService"]
