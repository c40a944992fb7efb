"""Evicting a pod from the memory cluster: the disruption budget check and charge, then the
delete, in one change (``pkg/registry/core/pod/storage/eviction.go``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kube.disruption import check_eviction
from ..kube.store import MODIFIED

if TYPE_CHECKING:
    from .core import Cluster

__all__ = ["evict_pod"]


def evict_pod(
    cluster: Cluster,
    namespace: str,
    name: str,
    preconditions: dict[str, Any] | None = None,
    dry_run: bool = False,
) -> None:
    """Delete the pod if its disruption budget allows (charging the budget), else raise
    ``TooManyRequestsError`` (429); a dry run checks and changes nothing."""
    with cluster.writing() as now:
        pod = cluster.store.get("pods", name, namespace)
        budgets = list(cluster.store.items("poddisruptionbudgets", namespace))
        charged, guarded = check_eviction(pod, budgets, now)
        if dry_run:
            return
        conditions = dict(preconditions or {})
        if guarded and conditions.get("resourceVersion") is None:
            conditions["resourceVersion"] = pod["metadata"]["resourceVersion"]
        if charged is not None:
            stored = cluster.store.update("poddisruptionbudgets", charged, check_version=False)
            cluster.after("poddisruptionbudgets", MODIFIED, stored)
        cluster.delete("pods", name, namespace, preconditions=conditions)
