"""``Client`` and ``connect``: one typed client over any backend."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from .backends import Backend, open_backend
from .edge import EdgeAPI

if TYPE_CHECKING:
    from .simulator.api import SimulatorAPI

__all__ = ["Client", "connect"]


class Client:
    """The k8sedge client: one attribute per surface, the same API on every backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._edge: EdgeAPI | None = None
        self._simulator: SimulatorAPI | None = None

    @property
    def edge(self) -> EdgeAPI:
        """The edge orchestrator surface."""
        if self._edge is None:
            self._edge = EdgeAPI(self.backend.edge)
        return self._edge

    @property
    def simulator(self) -> SimulatorAPI:
        """The scheduler-simulator surface."""
        if self._simulator is None:
            from .simulator.api import SimulatorAPI

            self._simulator = SimulatorAPI(self.backend.simulator)
        return self._simulator

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def connect(url: str | None = None, **options: Any) -> Client:
    """Connect to a backend: ``None`` or ``"memory://"`` embeds a simulated cluster.

    Memory options: ``clock``, ``grace_period`` (s, default 40), ``rollout_interval``
    (s, default 1), ``token_secret``, ``scheduler_config``, ``seed``.
    """
    return Client(open_backend(url, **options))
