"""The node table: every node's scheduling state as numpy columns.

Plugins read whole columns, so filtering and scoring one pod against thousands of
nodes is a handful of array operations. Labels are stored per key as integer codes
(``-1`` for a missing label), which makes the node-affinity operators vectorised too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from .types import DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, Taint

__all__ = ["NodeTable", "normalized_image", "zone_key"]

_ZONE = "topology.kubernetes.io/zone"
_BETA_ZONE = "failure-domain.beta.kubernetes.io/zone"
_REGION = "topology.kubernetes.io/region"
_BETA_REGION = "failure-domain.beta.kubernetes.io/region"


def zone_key(labels: Mapping[str, str]) -> str:
    """``utilnode.GetZoneKey``: region and zone (GA labels first, then beta), or ""."""
    zone = labels.get(_ZONE)
    if zone is None:
        zone = labels.get(_BETA_ZONE, "")
    region = labels.get(_REGION)
    if region is None:
        region = labels.get(_BETA_REGION, "")
    if not region and not zone:
        return ""
    return region + ":\x00:" + zone


def normalized_image(name: str) -> str:
    """kube-scheduler's image key: a name without a tag gets ``:latest``."""
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_MAX_PODS = 110


class _LabelColumn:
    """One label key across all nodes: codes into a table of distinct values."""

    __slots__ = ("_ints", "codes", "index", "values")

    def __init__(self, capacity: int) -> None:
        self.codes: npt.NDArray[np.int32] = np.full(capacity, -1, dtype=np.int32)
        self.values: list[str] = []
        self.index: dict[str, int] = {}
        self._ints: npt.NDArray[np.float64] | None = None

    def code_for(self, value: str) -> int:
        code = self.index.get(value)
        if code is None:
            code = len(self.values)
            self.values.append(value)
            self.index[value] = code
            self._ints = None
        return code

    def grow(self, capacity: int) -> None:
        grown = np.full(capacity, -1, dtype=np.int32)
        grown[: len(self.codes)] = self.codes
        self.codes = grown

    def as_numbers(self) -> npt.NDArray[np.float64]:
        """Each node's label parsed as an integer (NaN when missing or not an integer)."""
        if self._ints is None or len(self._ints) != len(self.values) + 1:
            table = np.full(len(self.values) + 1, np.nan)
            for code, value in enumerate(self.values):
                with contextlib.suppress(ValueError):
                    table[code] = int(value)
            self._ints = table
        # code -1 indexes the trailing NaN
        return self._ints[self.codes]


class NodeTable:
    """Columns of node state, indexed by a stable row number per node."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = capacity
        self.size = 0
        self.names: list[str | None] = []
        self.row_of: dict[str, int] = {}
        self.alive = np.zeros(capacity, dtype=np.bool_)
        self.unschedulable = np.zeros(capacity, dtype=np.bool_)
        self.has_taints = np.zeros(capacity, dtype=np.bool_)
        self.taints: list[tuple[Taint, ...]] = []
        self.labels: list[dict[str, str]] = []
        self._columns: dict[str, _LabelColumn] = {}
        # allocatable and requested, per resource; cpu in millicores
        self.allocatable: dict[str, IntArray] = {}
        self.requested: dict[str, IntArray] = {}
        self.nonzero_requested: dict[str, IntArray] = {
            "cpu": np.zeros(capacity, dtype=np.int64),
            "memory": np.zeros(capacity, dtype=np.int64),
        }
        self.pod_count = np.zeros(capacity, dtype=np.int64)
        self.max_pods = np.zeros(capacity, dtype=np.int64)
        self._free_rows: list[int] = []
        # image name -> (size in bytes, rows that have it), for ImageLocality
        self.images: dict[str, tuple[int, set[int]]] = {}
        self._row_images: dict[int, list[str]] = {}
        # the scheduler cache's node tree: zones in order of appearance, nodes per zone
        self._zone_of: dict[int, str] = {}
        self._zones: dict[str, list[int]] = {}
        self._order: npt.NDArray[np.intp] | None = None

    # -- growth ------------------------------------------------------------------------------

    def _grow(self) -> None:
        capacity = self.capacity * 2

        def grown(arr: Any) -> Any:
            out = np.zeros(capacity, dtype=arr.dtype)
            out[: self.capacity] = arr
            return out

        self.alive = grown(self.alive)
        self.unschedulable = grown(self.unschedulable)
        self.has_taints = grown(self.has_taints)
        self.pod_count = grown(self.pod_count)
        self.max_pods = grown(self.max_pods)
        for store in (self.allocatable, self.requested, self.nonzero_requested):
            for key in store:
                store[key] = grown(store[key])
        for column in self._columns.values():
            column.grow(capacity)
        self.capacity = capacity

    def _column_array(self, store: dict[str, IntArray], resource: str) -> IntArray:
        arr = store.get(resource)
        if arr is None:
            arr = store[resource] = np.zeros(self.capacity, dtype=np.int64)
        return arr

    # -- mutation ----------------------------------------------------------------------------

    def add(
        self,
        name: str,
        allocatable: Mapping[str, int],
        labels: Mapping[str, str] | None = None,
        taints: Iterable[Taint] = (),
        unschedulable: bool = False,
    ) -> int:
        """Add a node and return its row."""
        if name in self.row_of:
            raise KeyError(f"node {name!r} is already in the table")
        if self._free_rows:
            row = self._free_rows.pop()
        else:
            if self.size == self.capacity:
                self._grow()
            row = self.size
            self.size += 1
            self.names.append(None)
            self.taints.append(())
            self.labels.append({})
        self.names[row] = name
        self.row_of[name] = row
        self.alive[row] = True
        self.pod_count[row] = 0
        for store in (self.requested, self.nonzero_requested):
            for arr in store.values():
                arr[row] = 0
        self.set_allocatable(row, allocatable)
        self._tree_add(row, zone_key(labels or {}))
        self.set_labels(row, labels or {})
        self.set_taints(row, taints)
        self.unschedulable[row] = unschedulable
        return row

    def set_images(self, row: int, images: Iterable[tuple[Iterable[str], int]]) -> None:
        """A node's images: (names, size in bytes) pairs, as in ``node.status.images``."""
        for name in self._row_images.pop(row, []):
            entry = self.images.get(name)
            if entry is not None:
                entry[1].discard(row)
                if not entry[1]:
                    del self.images[name]
        names: list[str] = []
        for aliases, size in images:
            for name in aliases:  # as reported: the cache does not normalise node images
                entry = self.images.setdefault(name, (size, set()))
                entry[1].add(row)
                names.append(name)
        if names:
            self._row_images[row] = names

    def _tree_add(self, row: int, zone: str) -> None:
        self._zone_of[row] = zone
        self._zones.setdefault(zone, []).append(row)
        self._order = None

    def _tree_remove(self, row: int) -> None:
        zone = self._zone_of.pop(row, None)
        if zone is None:
            return
        members = self._zones[zone]
        members.remove(row)
        if not members:
            del self._zones[zone]
        self._order = None

    def node_order(self) -> npt.NDArray[np.intp]:
        """Live rows in the node tree's order (``nodeTree.list``): zones visited round-robin,
        one node of each zone per round, zones and nodes in the order they were added."""
        if self._order is None:
            columns = list(self._zones.values())
            order: list[int] = []
            depth = max((len(c) for c in columns), default=0)
            for i in range(depth):
                for column in columns:
                    if i < len(column):
                        order.append(column[i])
            self._order = np.array(order, dtype=np.intp)
        return self._order

    def remove(self, name: str) -> None:
        row = self.row_of.pop(name)
        self._tree_remove(row)
        self.set_images(row, ())
        self.alive[row] = False
        self.names[row] = None
        self.set_labels(row, {})
        self.set_taints(row, ())
        self._free_rows.append(row)

    def set_allocatable(self, row: int, allocatable: Mapping[str, int]) -> None:
        for arr in self.allocatable.values():
            arr[row] = 0
        for resource, amount in allocatable.items():
            if resource == "pods":
                continue
            self._column_array(self.allocatable, resource)[row] = amount
        self.max_pods[row] = allocatable.get("pods", DEFAULT_MAX_PODS)

    def set_labels(self, row: int, labels: Mapping[str, str]) -> None:
        old = self.labels[row]
        if row in self._zone_of:
            zone = zone_key(labels)
            if zone != self._zone_of[row]:  # nodeTree.updateNode: moves to the end of its zone
                self._tree_remove(row)
                self._tree_add(row, zone)
        for key in old:
            if key not in labels and key in self._columns:
                self._columns[key].codes[row] = -1
        for key, value in labels.items():
            column = self._columns.get(key)
            if column is not None:
                column.codes[row] = column.code_for(value)
        self.labels[row] = dict(labels)

    def set_taints(self, row: int, taints: Iterable[Taint]) -> None:
        self.taints[row] = tuple(taints)
        self.has_taints[row] = bool(self.taints[row])

    def assume(
        self,
        row: int,
        requests: Mapping[str, int],
        sign: int = 1,
        nonzero: tuple[int, int] | None = None,
    ) -> None:
        """Account a pod's requests on a node (``sign=-1`` to release them).

        ``nonzero`` is the pod's (cpu, memory) with the per-container non-zero defaults;
        without it the summed requests stand for one container."""
        for resource, amount in requests.items():
            self._column_array(self.requested, resource)[row] += sign * amount
        if nonzero is None:
            nonzero = (
                requests.get("cpu", 0) or DEFAULT_MILLI_CPU_REQUEST,
                requests.get("memory", 0) or DEFAULT_MEMORY_REQUEST,
            )
        self.nonzero_requested["cpu"][row] += sign * nonzero[0]
        self.nonzero_requested["memory"][row] += sign * nonzero[1]
        self.pod_count[row] += sign

    # -- reads -------------------------------------------------------------------------------

    def label_codes(self, key: str) -> tuple[_LabelColumn, npt.NDArray[np.int32]]:
        """The column for ``key`` (built on first use) and its codes over the live rows."""
        column = self._columns.get(key)
        if column is None:
            column = _LabelColumn(self.capacity)
            for row, labels in enumerate(self.labels):
                value = labels.get(key)
                if value is not None:
                    column.codes[row] = column.code_for(value)
            self._columns[key] = column
        return column, column.codes[: self.size]

    def column(self, store: dict[str, IntArray], resource: str) -> IntArray:
        arr = store.get(resource)
        if arr is None:
            return np.zeros(self.size, dtype=np.int64)
        return arr[: self.size]

    def live_rows(self) -> npt.NDArray[np.intp]:
        return np.flatnonzero(self.alive[: self.size])
