"""What plugins read besides the pod: nodes, placed pods, volumes, namespaces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .pods import PodIndex
from .table import NodeTable
from .types import Budget

__all__ = ["ClusterState", "VolumeSource"]


class VolumeSource(Protocol):
    """Read access to claims, volumes and storage classes (the simulator's store)."""

    def claim(self, namespace: str, name: str) -> dict[str, Any] | None: ...

    def volume(self, name: str) -> dict[str, Any] | None: ...

    def storage_class(self, name: str) -> dict[str, Any] | None: ...

    def volumes(self) -> list[dict[str, Any]]: ...


class ClusterState:
    """The scheduler's snapshot: node table, pod index, and optional sources."""

    def __init__(
        self,
        table: NodeTable,
        pods: PodIndex | None = None,
        volumes: VolumeSource | None = None,
        namespace_labels: Callable[[str], dict[str, str]] | None = None,
        node_object: Callable[[str], dict[str, Any]] | None = None,
        budgets: Callable[[], list[Budget]] | None = None,
    ) -> None:
        self.table = table
        self.pods = pods or PodIndex()
        self.volumes = volumes
        self.namespace_labels = namespace_labels or (lambda name: {})
        self.node_object = node_object or (lambda name: {"metadata": {"name": name}})
        self.budgets = budgets or (list)  # disruption budgets, for preemption
