"""The Cello lens on the memory cluster.

A host is a set of the cluster's nodes; a blockchain cluster is a namespace with a
Deployment per component, whose pods the one scheduling queue places on the host's nodes
(so they show in ``simulator.export()`` and ``kubectl``); the records are ConfigMaps of
``cello-system``. Each operation holds the cluster's lock from its first read to its last
write, so concurrent calls (threads, server requests) are serialised.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ...kube.store import copy_object
from ...memory import Cluster
from .pool import CelloPool
from .state import NodeView

__all__ = ["MemoryCello"]


class _ClusterObjects:
    """The pool's ``Objects`` on the memory cluster."""

    scheduler_name: str | None = None  # the cluster's own queue places the pods

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.seed = cluster.seed

    @contextmanager
    def transaction(self) -> Iterator[float]:
        with self.cluster.writing() as now:
            yield now

    def get(self, plural: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        found = self.cluster.store.find(plural, name, namespace)
        return None if found is None else copy_object(found)

    def select(
        self, plural: str, namespace: str | None, labels: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        wanted = labels.items()
        return [  # the stored objects themselves: the pool only reads them, under the lock
            obj
            for obj in self.cluster.store.items(plural, namespace)
            if all((obj["metadata"].get("labels") or {}).get(k) == v for k, v in wanted)
        ]

    def create(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.cluster.create(plural, obj)

    def update(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.cluster.update(plural, obj)

    def delete(self, plural: str, name: str, namespace: str | None) -> None:
        if self.cluster.store.find(plural, name, namespace) is not None:
            self.cluster.delete(plural, name, namespace)

    def nodes(self, now: float) -> list[NodeView]:
        nodes, labels = self.cluster.nodes, self.cluster.table.labels
        return [
            NodeView(r.name, labels[r.row], nodes.is_reachable(r, now)) for r in nodes.records()
        ]

    def settle(self) -> bool:
        return False  # pods are scheduled as soon as they are created

    def serves(self, plural: str) -> bool:
        return plural in self.cluster.store.objects


class MemoryCello(CelloPool):
    """The Cello surface over the memory cluster's ``Cluster``."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(_ClusterObjects(cluster))
        self.cluster = cluster
