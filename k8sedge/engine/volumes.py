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


class VolumeZone(_VolumePlugin):
    name = "VolumeZone"

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        volumes = self.state.volumes
        assert volumes is not None
        conflict = np.zeros(len(rows), dtype=np.bool_)
        for _, pvc in self._claims(pod):
            name = ((pvc or {}).get("spec") or {}).get("volumeName")
            pv = volumes.volume(name) if name else None
            if pv is None:
                continue
            labels = (pv.get("metadata") or {}).get("labels") or {}
            for key in ZONE_LABELS:
                if key in labels:
                    allowed = tuple(labels[key].split("__"))
                    column, codes = table.label_codes(key)
                    wanted = [column.index[v] for v in allowed if v in column.index]
                    conflict |= ~np.isin(codes[rows], wanted)
        return [(conflict, ZONE_CONFLICT)]


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
