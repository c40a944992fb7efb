"""The memory cluster: one store of nodes, workloads, metrics and tokens, and its controllers."""

from __future__ import annotations

import threading

from ..clock import Clock, SystemClock
from ..engine import NodeTable, Scheduler, SchedulerConfiguration
from .metrics import MetricsStore
from .nodes import NodeRegistry
from .tokens import TokenService
from .workloads import WorkloadController

__all__ = ["Cluster"]


class Cluster:
    """The simulated cluster behind the memory backend; every surface is a lens on it.

    Controllers run lazily: each operation first calls ``tick()``, which applies node
    liveness and every rollout step that is due at the clock's current time.
    """

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
    ) -> None:
        if grace_period <= 0:
            raise ValueError("grace_period must be positive")
        if rollout_interval < 0:
            raise ValueError("rollout_interval must not be negative")
        self.clock = clock or SystemClock()
        self.lock = threading.RLock()
        self.table = NodeTable()
        self.scheduler = Scheduler(self.table, scheduler_config, seed=seed)
        self.nodes = NodeRegistry(self.table, grace_period)
        self.workloads = WorkloadController(self.nodes, self.scheduler, rollout_interval)
        self.metrics = MetricsStore(retention=metrics_retention)
        self.tokens = TokenService(self.clock, token_secret)

    def now(self) -> float:
        return self.clock.now()

    def tick(self) -> float:
        """Bring controllers up to the clock; returns the time used."""
        now = self.clock.now()
        if self.nodes.refresh(now):
            self.workloads.node_returned()
        self.workloads.reconcile(now)
        return now
