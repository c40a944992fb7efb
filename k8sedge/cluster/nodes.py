"""Edge nodes of the memory cluster: registration, heartbeats and liveness.

A node is ``registered`` until its first heartbeat, then ``active``; a node silent for
longer than the grace period (default 40 s, as the kubelet's node-monitor grace period
was) is ``offline`` and gets the ``node.kubernetes.io/unreachable:NoSchedule`` taint,
so the scheduler stops placing pods there. ``last_heartbeat`` is kept.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator, Mapping

import numpy as np

from ..engine import NodeTable, Taint, TaintEffect
from ..errors import BadRequestError, ConflictError, NotFoundError
from ..models.edge import NodeStatus
from ..quantity import Quantity

__all__ = ["EDGE_TIER_LABEL", "NodeRecord", "NodeRegistry", "node_allocatable"]

EDGE_TIER_LABEL = "k8sedge.io/tier"
UNREACHABLE = Taint("node.kubernetes.io/unreachable", "", TaintEffect.NO_SCHEDULE)

_RESOURCE_NAMES = {"storage": "ephemeral-storage"}


def node_allocatable(resources: Mapping[str, Quantity]) -> dict[str, int]:
    """Engine units for a node's resources: cpu in millicores, the rest as integers."""
    out: dict[str, int] = {}
    for name, quantity in resources.items():
        key = _RESOURCE_NAMES.get(name, name)
        out[key] = quantity.milli_value() if key == "cpu" else quantity.int_value()
    return out


class NodeRecord:
    """The stored state of one edge node."""

    __slots__ = (
        "address",
        "capabilities",
        "id",
        "labels",
        "last_heartbeat",
        "name",
        "registered_at",
        "reported",
        "resources",
        "row",
        "usage",
    )

    def __init__(
        self,
        *,
        id: str,
        name: str,
        address: str,
        capabilities: list[str],
        resources: dict[str, Quantity],
        labels: dict[str, str],
        registered_at: float,
        row: int,
    ) -> None:
        self.id = id
        self.name = name
        self.address = address
        self.capabilities = capabilities
        self.resources = resources
        self.labels = labels
        self.usage: dict[str, Quantity] = {}
        self.registered_at = registered_at
        self.last_heartbeat: float | None = None
        self.reported = NodeStatus.REGISTERED
        self.row = row


def _validate_name(name: str) -> None:
    if not name.strip():
        raise BadRequestError("name must not be empty", {"name": "must not be empty"})
    if len(name) > 253:
        raise BadRequestError("name is too long", {"name": "must be at most 253 characters"})


class NodeRegistry:
    """All edge nodes, indexed by id and by name, mirrored into the scheduler's node table."""

    def __init__(self, table: NodeTable, grace_period: float = 40.0) -> None:
        self.table = table
        self.grace_period = grace_period
        self.by_id: dict[str, NodeRecord] = {}
        self.by_name: dict[str, NodeRecord] = {}
        self.order: list[str] = []  # registration order of ids, for stable pages
        self._order_dirty = False
        self._last_seen = np.zeros(table.capacity, dtype=np.float64)
        self._offline = np.zeros(table.capacity, dtype=np.bool_)
        self._checked_at = -np.inf

    # -- liveness ----------------------------------------------------------------------------

    def status_of(self, node: NodeRecord, now: float) -> NodeStatus:
        if node.reported is NodeStatus.MAINTENANCE:
            return NodeStatus.MAINTENANCE
        last_seen = node.last_heartbeat if node.last_heartbeat is not None else node.registered_at
        if node.reported is NodeStatus.OFFLINE or now - last_seen > self.grace_period:
            return NodeStatus.OFFLINE
        return node.reported

    def refresh(self, now: float, *, force: bool = False) -> list[NodeRecord]:
        """Update the unreachable taints from the clock; returns nodes that came back.

        Runs at most once per clock second unless ``force`` (the scheduler forces it).
        """
        if not force and now - self._checked_at < 1.0:
            return []
        self._checked_at = now
        size = self.table.size
        alive = self.table.alive[:size]
        silent = (now - self._last_seen[:size] > self.grace_period) & alive
        changed = np.flatnonzero(silent != self._offline[:size])
        returned: list[NodeRecord] = []
        for row in changed.tolist():
            name = self.table.names[row]
            node = self.by_name.get(name) if name is not None else None
            if node is None:
                self._offline[row] = False
                continue
            self._set_offline(node, bool(silent[row]))
            if not silent[row]:
                returned.append(node)
        return returned

    def _set_offline(self, node: NodeRecord, offline: bool) -> None:
        row = node.row
        self._offline[row] = offline
        taints = [t for t in self.table.taints[row] if t != UNREACHABLE]
        if offline:
            taints.append(UNREACHABLE)
        self.table.set_taints(row, taints)

    def is_reachable(self, node: NodeRecord, now: float) -> bool:
        return self.status_of(node, now) not in (NodeStatus.OFFLINE,)

    # -- mutation ----------------------------------------------------------------------------

    def register(
        self,
        *,
        name: str,
        address: str,
        capabilities: list[str],
        resources: dict[str, Quantity],
        labels: dict[str, str],
        now: float,
    ) -> NodeRecord:
        _validate_name(name)
        if name in self.by_name:
            raise ConflictError(
                f"a node named {name!r} is already registered", {"name": "already exists"}
            )
        for key, quantity in resources.items():
            if quantity.value < 0:
                raise BadRequestError(
                    f"resources.{key} must not be negative", {f"resources.{key}": "negative"}
                )
        intern = sys.intern
        labels = {intern(k): intern(v) for k, v in labels.items()}
        row = self.table.add(
            name, node_allocatable(resources), {**labels, "kubernetes.io/hostname": name}
        )
        if row >= len(self._last_seen):
            grow = len(self.table.alive)
            self._last_seen = np.resize(self._last_seen, grow)
            self._offline = np.resize(self._offline, grow)
        self._last_seen[row] = now
        self._offline[row] = False
        node = NodeRecord(
            id=str(uuid.uuid4()),
            name=name,
            address=address,
            capabilities=[intern(c) for c in capabilities],
            resources=resources,
            labels=labels,
            registered_at=now,
            row=row,
        )
        self.by_id[node.id] = node
        self.by_name[name] = node
        self.order.append(node.id)
        return node

    def get(self, node_id: str) -> NodeRecord:
        node = self.by_id.get(node_id)
        if node is None:
            raise NotFoundError(f"node {node_id!r} not found", {"node_id": node_id})
        return node

    def heartbeat(self, node: NodeRecord, now: float) -> bool:
        """Record a heartbeat; returns True if the node was offline and is back."""
        node.last_heartbeat = now
        self._last_seen[node.row] = now
        if node.reported is NodeStatus.REGISTERED or node.reported is NodeStatus.OFFLINE:
            node.reported = NodeStatus.ACTIVE
        if self._offline[node.row]:
            self._set_offline(node, False)
            return True
        return False

    def set_reported(self, node: NodeRecord, status: NodeStatus) -> None:
        node.reported = status
        self.table.unschedulable[node.row] = status is NodeStatus.MAINTENANCE
        if status is NodeStatus.OFFLINE:  # declared offline: silent until the next heartbeat
            self._last_seen[node.row] = -np.inf
            self._set_offline(node, True)

    def remove(self, node: NodeRecord) -> None:
        del self.by_id[node.id]
        del self.by_name[node.name]
        self.table.remove(node.name)
        self._offline[node.row] = False
        self._order_dirty = True

    def ordered(self) -> list[str]:
        if self._order_dirty:
            self.order = [i for i in self.order if i in self.by_id]
            self._order_dirty = False
        return self.order

    def __iter__(self) -> Iterator[NodeRecord]:
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)
