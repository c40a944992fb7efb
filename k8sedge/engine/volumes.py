"""The volume plugins: VolumeBinding, VolumeZone, VolumeRestrictions, NodeVolumeLimits.

They read claims, volumes and storage classes through the scheduler state's
``VolumeSource`` (the simulator's store). Binding claims to volumes happens when a pod is
bound (``bind_claims``), as VolumeBinding's PreBind does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..quantity import engine_units
from .plugins import FilterFailure, Plugin, Rows, _any_term
from .table import NodeTable
from .types import NodeSelectorRequirement, NodeSelectorTerm, PodRequest

__all__ = ["NodeVolumeLimits", "VolumeBinding", "VolumeRestrictions", "VolumeZone", "pick_volume"]

BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
NODE_CONFLICT = "node(s) had volume node affinity conflict"
ZONE_CONFLICT = "node(s) had no available volume zone"
RWOP_CONFLICT = (
    "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"
)
NO_PROVISIONER = "kubernetes.io/no-provisioner"
ZONE_LABELS = (
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
)


def _terms(pv: dict[str, Any]) -> tuple[NodeSelectorTerm, ...] | None:
    required = ((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required")
    if not required:
        return None
    return tuple(
        NodeSelectorTerm(
            match_expressions=tuple(
                NodeSelectorRequirement(
                    str(r.get("key", "")),
                    str(r.get("operator", "")),
                    tuple(str(v) for v in r.get("values") or ()),
                )
                for r in term.get("matchExpressions") or ()
            ),
            match_fields=tuple(
                NodeSelectorRequirement(
                    str(r.get("key", "")),
                    str(r.get("operator", "")),
                    tuple(str(v) for v in r.get("values") or ()),
                )
                for r in term.get("matchFields") or ()
            ),
        )
        for term in required.get("nodeSelectorTerms") or ()
    )


def _storage(obj: dict[str, Any], path: str) -> int:
    spec = obj.get("spec") or {}
    raw = (
        spec.get("capacity")
        if path == "capacity"
        else (spec.get("resources") or {}).get("requests") or {}
    )
    value = (raw or {}).get("storage")
    return engine_units(value, milli=False) if value is not None else 0


def _fits(pv: dict[str, Any], pvc: dict[str, Any]) -> bool:
    """A volume that could serve an unbound claim (class, size, modes, availability)."""
    pv_spec, pvc_spec = pv.get("spec") or {}, pvc.get("spec") or {}
    ref = pv_spec.get("claimRef")
    meta = pvc.get("metadata") or {}
    if ref and (
        ref.get("name") != meta.get("name") or ref.get("namespace") != meta.get("namespace")
    ):
        return False
    if (pv.get("status") or {}).get("phase") in ("Released", "Failed"):
        return False
    if (pv_spec.get("storageClassName") or "") != (pvc_spec.get("storageClassName") or ""):
        return False
    if (pv_spec.get("volumeMode") or "Filesystem") != (pvc_spec.get("volumeMode") or "Filesystem"):
        return False
    if not set(pvc_spec.get("accessModes") or ()) <= set(pv_spec.get("accessModes") or ()):
        return False
    return _storage(pv, "capacity") >= _storage(pvc, "requests")


def pick_volume(
    state_volumes: Any, pvc: dict[str, Any], table: NodeTable, node: str
) -> dict[str, Any] | None:
    """The smallest available volume that fits ``pvc`` and can be used on ``node``."""
    row = table.row_of[node]
    rows = np.array([row])
    best = None
    for pv in state_volumes.volumes():
        if not _fits(pv, pvc):
            continue
        terms = _terms(pv)
        if terms is not None and not _any_term(terms, table, rows)[0]:
            continue
        if best is None or _storage(pv, "capacity") < _storage(best, "capacity"):
            best = pv
    return best


class _VolumePlugin(Plugin):
    def skip_filter(self, pod: PodRequest) -> bool:
        return not pod.claims or self.state.volumes is None

    def skip_score(self, pod: PodRequest) -> bool:
        return True

    def _claims(self, pod: PodRequest) -> list[tuple[str, dict[str, Any] | None]]:
        volumes = self.state.volumes
        assert volumes is not None
        return [(name, volumes.claim(pod.namespace, name)) for name in pod.claims]


class VolumeBinding(_VolumePlugin):
    name = "VolumeBinding"

    def prefilter(self, pod: PodRequest) -> str | None:
        volumes = self.state.volumes
        assert volumes is not None
        for name, pvc in self._claims(pod):
            if pvc is None:
                return f'persistentvolumeclaim "{name}" not found'
            spec = pvc.get("spec") or {}
            if spec.get("volumeName"):
                if volumes.volume(spec["volumeName"]) is None:
                    return f'persistentvolume "{spec["volumeName"]}" not found'
                continue
            class_name = spec.get("storageClassName") or ""
            storage_class = volumes.storage_class(class_name) if class_name else None
            if class_name and storage_class is None:
                return f'storageclass.storage.k8s.io "{class_name}" not found'
            if (
                storage_class is None
                or storage_class.get("volumeBindingMode") != "WaitForFirstConsumer"
            ):
                return "pod has unbound immediate PersistentVolumeClaims"
        return None

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        volumes = self.state.volumes
        assert volumes is not None
        node_conflict = np.zeros(len(rows), dtype=np.bool_)
        bind_conflict = np.zeros(len(rows), dtype=np.bool_)
        for _, pvc in self._claims(pod):
            assert pvc is not None
            spec = pvc.get("spec") or {}
            if spec.get("volumeName"):
                pv = volumes.volume(spec["volumeName"])
                terms = _terms(pv) if pv is not None else None
                if terms is not None:
                    node_conflict |= ~_any_term(terms, table, rows)
                continue
            storage_class = volumes.storage_class(spec.get("storageClassName") or "") or {}
            if (storage_class.get("provisioner") or NO_PROVISIONER) != NO_PROVISIONER:
                continue  # dynamically provisioned where the pod lands
            usable = np.zeros(len(rows), dtype=np.bool_)
            for pv in volumes.volumes():
                if _fits(pv, pvc):
                    terms = _terms(pv)
                    usable |= True if terms is None else _any_term(terms, table, rows)
            bind_conflict |= ~usable
        return [(node_conflict, NODE_CONFLICT), (bind_conflict & ~node_conflict, BIND_CONFLICT)]


_GA = {
    "failure-domain.beta.kubernetes.io/zone": "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region": "topology.kubernetes.io/region",
}
# upstream's order: beta zone, beta region, GA zone, GA region
_TOPOLOGY_LABELS = (
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
)


class VolumeZone(_VolumePlugin):
    name = "VolumeZone"

    def _topologies(self, pod: PodRequest) -> tuple[list[tuple[str, set[str]]], str | None]:
        """``getPVbyPod``: (label key, allowed values) of the pod's bound volumes, or a
        PreFilter failure."""
        volumes = self.state.volumes
        assert volumes is not None
        out: list[tuple[str, set[str]]] = []
        for name, pvc in self._claims(pod):
            if pvc is None:
                return [], f'persistentvolumeclaim "{name}" not found'
            spec = pvc.get("spec") or {}
            pv_name = spec.get("volumeName") or ""
            if not pv_name:
                class_name = spec.get("storageClassName") or (
                    (pvc.get("metadata") or {}).get("annotations") or {}
                ).get("volume.beta.kubernetes.io/storage-class", "")
                if not class_name:
                    return [], "PersistentVolumeClaim had no pv name and storageClass name"
                storage_class = volumes.storage_class(class_name)
                if storage_class is None:
                    return [], f'storageclass.storage.k8s.io "{class_name}" not found'
                mode = storage_class.get("volumeBindingMode")
                if mode is None:
                    return [], f'VolumeBindingMode not set for StorageClass "{class_name}"'
                if mode == "WaitForFirstConsumer":
                    continue
                return [], "PersistentVolume had no name"
            pv = volumes.volume(pv_name)
            if pv is None:
                return [], f'persistentvolume "{pv_name}" not found'
            labels = (pv.get("metadata") or {}).get("labels") or {}
            for key in _TOPOLOGY_LABELS:
                if key in labels:
                    zones = [z.strip() for z in str(labels[key]).split("__")]
                    if any(not z for z in zones):
                        continue  # LabelZonesToSet fails: the label is ignored
                    out.append((key, set(zones)))
        return out, None

    def skip_filter(self, pod: PodRequest) -> bool:
        if super().skip_filter(pod):
            return True
        topologies, error = self._topologies(pod)
        return error is None and not topologies

    def prefilter(self, pod: PodRequest) -> str | None:
        return self._topologies(pod)[1]

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        topologies, _ = self._topologies(pod)
        # a node without any zone or region label fits (single-zone clusters)
        constrained = np.zeros(len(rows), dtype=np.bool_)
        for key in _TOPOLOGY_LABELS:
            constrained |= table.label_codes(key)[1][rows] >= 0
        conflict = np.zeros(len(rows), dtype=np.bool_)
        for key, allowed in topologies:
            column, codes = table.label_codes(key)
            node_codes = codes[rows]
            ok = np.isin(node_codes, [column.index[v] for v in allowed if v in column.index])
            ga = _GA.get(key)
            if ga is not None:  # a beta label on the PV matches the node's GA label
                ga_column, ga_codes = table.label_codes(ga)
                fallback = np.isin(
                    ga_codes[rows], [ga_column.index[v] for v in allowed if v in ga_column.index]
                )
                ok = np.where(node_codes >= 0, ok, fallback)
            conflict |= ~ok
        return [(conflict & constrained, ZONE_CONFLICT)]


class VolumeRestrictions(_VolumePlugin):
    name = "VolumeRestrictions"

    def prefilter(self, pod: PodRequest) -> str | None:
        for name, pvc in self._claims(pod):
            modes = ((pvc or {}).get("spec") or {}).get("accessModes") or ()
            if "ReadWriteOncePod" in modes and self.state.pods.claims.get(
                f"{pod.namespace}/{name}"
            ):
                return RWOP_CONFLICT
        return None


class NodeVolumeLimits(_VolumePlugin):
    """CSI attach limits come from CSINode objects, which the memory cluster does not model:
    with no published limit, upstream enforces none either."""

    name = "NodeVolumeLimits"

    def skip_filter(self, pod: PodRequest) -> bool:
        return True
