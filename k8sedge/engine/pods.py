"""The pod index: every placed pod's node row, namespace, priority and labels as columns.

Inter-pod affinity, topology spread and preemption ask "how many pods matching this
selector are on each node / in each domain"; with labels stored per key as integer codes
that is a few array operations over all pods and one ``bincount``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from .types import LabelSelector, PodRequest

__all__ = ["PodIndex"]

BoolArray = npt.NDArray[np.bool_]


class _Codes:
    __slots__ = ("codes", "index")

    def __init__(self, capacity: int) -> None:
        self.codes = np.full(capacity, -1, dtype=np.int32)
        self.index: dict[str, int] = {}

    def code(self, value: str) -> int:
        code = self.index.get(value)
        if code is None:
            code = self.index[value] = len(self.index)
        return code


class PodIndex:
    """Placed pods, by slot; ``slot_of`` maps a pod key (``namespace/name``) to its slot."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self.size = 0
        self.slot_of: dict[str, int] = {}
        self.keys: list[str | None] = []
        self.pods: list[PodRequest | None] = []
        self.alive = np.zeros(capacity, dtype=np.bool_)
        self.row = np.full(capacity, -1, dtype=np.int64)
        self.priority = np.zeros(capacity, dtype=np.int64)
        self.order = np.zeros(capacity, dtype=np.int64)  # bind order, for preemption ties
        self.namespace = _Codes(capacity)
        self._labels: dict[str, _Codes] = {}
        self._free: list[int] = []
        self._seq = 0
        self.by_row: dict[int, set[int]] = {}
        self.with_anti_affinity: set[int] = set()
        self.with_affinity_terms: set[int] = set()
        # (protocol, port) -> {slot: (row, host IP)}, for NodePorts
        self.host_ports: dict[tuple[str, int], dict[int, tuple[int, str]]] = {}
        self.claims: dict[str, set[int]] = {}  # "namespace/claim" -> slots using it

    def _grow(self) -> None:
        capacity = self.capacity * 2
        self.alive = np.resize(self.alive, capacity)
        self.alive[self.capacity :] = False
        for name in ("row", "priority", "order"):
            setattr(self, name, np.resize(getattr(self, name), capacity))
        for codes in (self.namespace, *self._labels.values()):
            grown = np.full(capacity, -1, dtype=np.int32)
            grown[: self.capacity] = codes.codes
            codes.codes = grown
        self.capacity = capacity

    def add(self, key: str, row: int, pod: PodRequest) -> int:
        if key in self.slot_of:
            self.remove(key)
        if self._free:
            slot = self._free.pop()
        else:
            if self.size == self.capacity:
                self._grow()
            slot = self.size
            self.size += 1
            self.keys.append(None)
            self.pods.append(None)
        self.slot_of[key] = slot
        self.keys[slot] = key
        self.pods[slot] = pod
        self.alive[slot] = True
        self.row[slot] = row
        self.priority[slot] = pod.priority
        self._seq += 1
        self.order[slot] = self._seq
        self.namespace.codes[slot] = self.namespace.code(pod.namespace)
        for key_name, codes in self._labels.items():
            value = pod.labels.get(key_name)
            codes.codes[slot] = -1 if value is None else codes.code(value)
        self._index(slot, row, pod)
        return slot

    def remove(self, key: str) -> PodRequest | None:
        slot = self.slot_of.pop(key, None)
        if slot is None:
            return None
        pod = self.pods[slot]
        self.alive[slot] = False
        self.by_row.get(int(self.row[slot]), set()).discard(slot)
        self.keys[slot] = None
        self.pods[slot] = None
        self.with_anti_affinity.discard(slot)
        self.with_affinity_terms.discard(slot)
        if pod is not None:
            for protocol, _, port in pod.host_ports:
                self.host_ports.get((protocol, port), {}).pop(slot, None)
            for claim in pod.claims:
                self.claims.get(f"{pod.namespace}/{claim}", set()).discard(slot)
        self._free.append(slot)
        return pod

    def suspend(self, slot: int) -> None:
        """Take a placed pod out of every count, keeping its slot (preemption's dry run)."""
        pod = self.pods[slot]
        self.alive[slot] = False
        self.by_row.get(int(self.row[slot]), set()).discard(slot)
        self.with_anti_affinity.discard(slot)
        self.with_affinity_terms.discard(slot)
        if pod is not None:
            for protocol, _, port in pod.host_ports:
                self.host_ports.get((protocol, port), {}).pop(slot, None)
            for claim in pod.claims:
                self.claims.get(f"{pod.namespace}/{claim}", set()).discard(slot)

    def resume(self, slot: int) -> None:
        """Undo ``suspend``."""
        pod = self.pods[slot]
        assert pod is not None
        row = int(self.row[slot])
        self.alive[slot] = True
        self._index(slot, row, pod)

    def _index(self, slot: int, row: int, pod: PodRequest) -> None:
        """The lookups of a placed pod: by node, by affinity terms, host ports, claims."""
        self.by_row.setdefault(row, set()).add(slot)
        if pod.anti_affinity:
            self.with_anti_affinity.add(slot)
        if (
            pod.affinity
            or pod.anti_affinity
            or pod.preferred_affinity
            or pod.preferred_anti_affinity
        ):
            self.with_affinity_terms.add(slot)
        for protocol, ip, port in pod.host_ports:
            self.host_ports.setdefault((protocol, port), {})[slot] = (row, ip)
        for claim in pod.claims:
            self.claims.setdefault(f"{pod.namespace}/{claim}", set()).add(slot)

    def forget_row(self, row: int) -> None:
        """A node left the table: its pods no longer count anywhere."""
        for slot in list(self.by_row.pop(row, set())):
            key = self.keys[slot]
            if key is not None:
                self.remove(key)

    def _label(self, key: str) -> npt.NDArray[np.int32]:
        codes = self._labels.get(key)
        if codes is None:
            codes = self._labels[key] = _Codes(self.capacity)
            for slot in range(self.size):
                pod = self.pods[slot]
                value = pod.labels.get(key) if pod is not None else None
                if value is not None:
                    codes.codes[slot] = codes.code(value)
        return codes.codes[: self.size]

    def matching(
        self, selector: LabelSelector | None, namespaces: Iterable[str] | None
    ) -> BoolArray:
        """Live pods matching ``selector`` (None matches nothing) in ``namespaces`` (None: all)."""
        n = self.size
        if selector is None:
            return np.zeros(n, dtype=np.bool_)
        mask = self.alive[:n].copy()
        if namespaces is not None:
            wanted = [self.namespace.index[ns] for ns in namespaces if ns in self.namespace.index]
            mask &= np.isin(self.namespace.codes[:n], wanted)
        for key, value in selector.match_labels:
            codes = self._label(key)
            code = self._labels[key].index.get(value, -2)
            mask &= codes == code
        for req in selector.match_expressions:
            codes = self._label(req.key)
            index = self._labels[req.key].index
            if req.operator in ("In", "NotIn"):
                hit = np.isin(codes, [index[v] for v in req.values if v in index])
                mask &= hit if req.operator == "In" else ~hit
            elif req.operator == "Exists":
                mask &= codes >= 0
            elif req.operator == "DoesNotExist":
                mask &= codes < 0
            else:
                mask &= False
        return mask

    def count_per_row(self, mask: BoolArray, rows: int) -> npt.NDArray[np.int64]:
        """How many of the masked pods sit on each node row."""
        return np.bincount(self.row[: self.size][mask], minlength=rows).astype(np.int64)[:rows]
