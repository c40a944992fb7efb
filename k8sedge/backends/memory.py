"""The memory backend: the embedded default, one simulated cluster in this process."""

from __future__ import annotations

import os
from typing import Any

from .._wire import load
from ..clock import Clock
from ..limits import Limits
from ..memory import Cluster
from ..surfaces import get_surface
from ..surfaces.simulator.config import SchedulerConfiguration

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """The embedded backend: ``k8sedge.connect()`` or ``connect("memory://")``.

    Every surface is a view of one ``Cluster`` (``self.cluster``): one clock, one store, one
    scheduler. With ``data_dir`` its state is kept in SQLite there and survives a restart
    (``connect("memory:///path/to/dir")``). ``job_run_time``: seconds a Job's pod runs
    before it succeeds (``k8sedge.io/run-seconds`` overrides it per pod); ``max_events``:
    the events kept (the oldest go first).
    """

    blocking = False

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        grace_period: float = 40.0,
        rollout_interval: float = 1.0,
        token_secret: bytes | str | None = None,
        scheduler_config: SchedulerConfiguration | None = None,
        seed: int = 0,
        metrics_retention: float = 7 * 86400,
        data_dir: str | os.PathLike[str] | None = None,
        limits: Limits | None = None,
        job_run_time: float = 1.0,
        max_events: int = 2000,
    ) -> None:
        self.cluster = Cluster(
            clock=clock,
            grace_period=grace_period,
            rollout_interval=rollout_interval,
            token_secret=token_secret,
            scheduler_config=scheduler_config,
            seed=seed,
            metrics_retention=metrics_retention,
            data_dir=data_dir,
            limits=limits,
            job_run_time=job_run_time,
            max_events=max_events,
        )
        self._services: dict[str, Any] = {}

    def service(self, name: str) -> Any:
        """The memory view of surface ``name`` over the one cluster."""
        view = self._services.get(name)
        if view is None:
            view = self._services[name] = load(get_surface(name).memory)(self.cluster)
        return view

    def close(self) -> None:
        """Release the data directory, if any (the cluster lives as long as this object)."""
        self.cluster.close()
