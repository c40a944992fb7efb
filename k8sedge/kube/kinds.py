"""The Kubernetes kinds the memory cluster stores, and object metadata helpers."""

from __future__ import annotations

from typing import Any

from attrs import frozen

from ..errors import BadRequestError

__all__ = [
    "KINDS",
    "SIMULATOR_KINDS",
    "VIEWS",
    "KindInfo",
    "kind_info",
    "meta",
    "object_key",
    "served_kinds",
]


@frozen
class KindInfo:
    plural: str
    kind: str
    api_version: str
    namespaced: bool
    short: str  # the key the simulator's export/import uses


SIMULATOR_KINDS: dict[str, KindInfo] = {
    k.plural: k
    for k in (
        KindInfo("namespaces", "Namespace", "v1", False, "namespaces"),
        KindInfo(
            "priorityclasses", "PriorityClass", "scheduling.k8s.io/v1", False, "priorityClasses"
        ),
        KindInfo("storageclasses", "StorageClass", "storage.k8s.io/v1", False, "storageClasses"),
        KindInfo("persistentvolumeclaims", "PersistentVolumeClaim", "v1", True, "pvcs"),
        KindInfo("nodes", "Node", "v1", False, "nodes"),
        KindInfo("pods", "Pod", "v1", True, "pods"),
        KindInfo("persistentvolumes", "PersistentVolume", "v1", False, "pvs"),
    )
}
# kinds the Kubernetes API facade serves besides the simulator's
KINDS: dict[str, KindInfo] = {
    **SIMULATOR_KINDS,
    **{
        k.plural: k
        for k in (
            KindInfo("configmaps", "ConfigMap", "v1", True, "configMaps"),
            KindInfo("secrets", "Secret", "v1", True, "secrets"),
            KindInfo("events", "Event", "v1", True, "events"),
            KindInfo("leases", "Lease", "coordination.k8s.io/v1", True, "leases"),
            KindInfo("deployments", "Deployment", "apps/v1", True, "deployments"),
            KindInfo("replicasets", "ReplicaSet", "apps/v1", True, "replicaSets"),
            KindInfo("statefulsets", "StatefulSet", "apps/v1", True, "statefulSets"),
            KindInfo("jobs", "Job", "batch/v1", True, "jobs"),
            KindInfo("services", "Service", "v1", True, "services"),
            KindInfo("serviceaccounts", "ServiceAccount", "v1", True, "serviceAccounts"),
            KindInfo("daemonsets", "DaemonSet", "apps/v1", True, "daemonSets"),
            KindInfo(
                "controllerrevisions", "ControllerRevision", "apps/v1", True, "controllerRevisions"
            ),
            KindInfo("cronjobs", "CronJob", "batch/v1", True, "cronJobs"),
            KindInfo(
                "poddisruptionbudgets",
                "PodDisruptionBudget",
                "policy/v1",
                True,
                "podDisruptionBudgets",
            ),
        )
    },
}
# another group version of a stored kind: the same objects, converted when read and written
# (events.k8s.io/v1 Events are the core/v1 Events, as the API server stores them once)
VIEWS: tuple[KindInfo, ...] = (KindInfo("events", "Event", "events.k8s.io/v1", True, "events"),)
_ALIASES = {
    **{k.kind.lower(): k.plural for k in KINDS.values()},
    **{k.short.lower(): k.plural for k in KINDS.values()},
    "pv": "persistentvolumes",
    "pvc": "persistentvolumeclaims",
    "sc": "storageclasses",
    "pc": "priorityclasses",
    "ns": "namespaces",
    "po": "pods",
    "no": "nodes",
    "storage_classes": "storageclasses",
    "priority_classes": "priorityclasses",
    "svc": "services",
    "sa": "serviceaccounts",
    "ds": "daemonsets",
    "cj": "cronjobs",
    "pdb": "poddisruptionbudgets",
    "ev": "events",
}


def kind_info(kind: str) -> KindInfo:
    """The kind for a plural, a kind name, a short name or the export key."""
    plural = kind if kind in KINDS else _ALIASES.get(kind.lower())
    if plural is None:
        raise BadRequestError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}", {"kind": kind})
    return KINDS[plural]


def served_kinds() -> tuple[KindInfo, ...]:
    """Every kind the Kubernetes API facade serves: the stored kinds, then the views."""
    return (*KINDS.values(), *VIEWS)


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata")
    if metadata is None:
        metadata = obj["metadata"] = {}
    if not isinstance(metadata, dict):
        raise BadRequestError("metadata must be an object", {"metadata": "not an object"})
    return metadata


def object_key(info: KindInfo, name: str, namespace: str | None) -> str:
    return f"{namespace}/{name}" if info.namespaced else name
