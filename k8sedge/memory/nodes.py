"""Every node of the memory cluster, kept compactly and rendered as a Node on demand.

A node registered through the edge lens is a ``NodeRecord`` (slots, a row of the engine's
node table) and nothing else: its Node document is built when someone reads it, so 100,000
edge nodes stay under 2 KiB each. A node written as a document (kubectl, the simulator, the
kubernetes backend) keeps that document whole (``raw``), so every field survives; the
record holds what the lenses read from it (``nodemap.edge_fields``).

Liveness: a *monitored* node (registered as an edge node, or one that has heartbeated) is
``registered`` until its first heartbeat, then ``active``; silent for longer than the grace
period (default 40 s, the node-monitor grace period) it is ``offline``: its Ready condition
turns ``Unknown`` and it gets the ``node.kubernetes.io/unreachable:NoSchedule`` taint, so the
scheduler's TaintToleration filter keeps new pods off it — the node lifecycle controller's
behaviour. These transitions are writes (a new ``resourceVersion``, a watch event); a
heartbeat itself is not. An unmonitored node's status follows its own conditions.

A node can also be *held down* (``hold_down``, e.g. while a resource-pool reboot runs): it is
``offline`` and tainted unreachable whatever its heartbeats say, monitored or not, until
``release``; then ordinary liveness applies again.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from ..engine import NodeTable, Taint, TaintEffect
from ..errors import BadRequestError, ConflictError, NotFoundError
from ..kube.translate import node_allocatable as document_allocatable, sync_node
from ..quantity import Quantity, to_engine_units
from ..surfaces.edge.nodemap import (
    EDGE_LABEL,
    HOSTNAME_LABEL,
    ID_LABEL,
    STATUS,
    USAGE,
    edge_fields,
    node_document,
    resource_names,
    with_liveness,
)

if TYPE_CHECKING:
    from ..kube.store import ObjectStore

__all__ = ["UNREACHABLE", "NodeRecord", "NodeSet", "node_allocatable"]

UNREACHABLE = Taint("node.kubernetes.io/unreachable", "", TaintEffect.NO_SCHEDULE)
REGISTERED, ACTIVE, MAINTENANCE, OFFLINE = "registered", "active", "maintenance", "offline"


def node_allocatable(resources: dict[str, Quantity]) -> dict[str, int]:
    """Engine units for edge resources: cpu in millicores, the rest as integers."""
    out: dict[str, int] = {}
    for name, quantity in resource_names(resources).items():
        out[name] = to_engine_units(quantity, milli=name == "cpu")
    return out


class NodeRecord:
    """One node: what the lenses read, and its row in the engine's node table."""

    __slots__ = (
        "address",
        "capabilities",
        "changed_at",
        "id",
        "labels",
        "last_heartbeat",
        "monitored",
        "name",
        "raw",
        "registered_at",
        "reported",
        "resources",
        "row",
        "rv",
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
        reported: str = REGISTERED,
        monitored: bool = True,
        raw: dict[str, Any] | None = None,
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
        self.reported = reported
        self.monitored = monitored
        self.raw = raw
        self.row = row
        self.rv = 0
        self.changed_at = registered_at


def _validate_name(name: str) -> None:
    if not name.strip():
        raise BadRequestError("name must not be empty", {"name": "must not be empty"})
    if len(name) > 253:
        raise BadRequestError("name is too long", {"name": "must be at most 253 characters"})


def _check_resources(resources: dict[str, Quantity], field: str = "resources") -> None:
    for key, quantity in resources.items():
        if quantity.value < 0:
            raise BadRequestError(
                f"{field}.{key} must not be negative", {f"{field}.{key}": "negative"}
            )


class NodeSet(MutableMapping[str, dict[str, Any]]):
    """All nodes, by id and by name; to the object store, the ``nodes`` collection."""

    def __init__(self, table: NodeTable, grace_period: float = 40.0) -> None:
        self.table = table
        self.grace_period = grace_period
        self.store: ObjectStore | None = None  # set when the store adopts this collection
        self.journal: Any = None  # a memory.durable.Journal when the cluster has a data dir
        self.by_id: dict[str, NodeRecord] = {}
        self.by_name: dict[str, NodeRecord] = {}
        self._order: list[str] = []  # names in creation order, for stable pages
        self._order_dirty = False
        self._last_seen = np.zeros(table.capacity, dtype=np.float64)
        self._offline = np.zeros(table.capacity, dtype=np.bool_)
        self._monitored = np.zeros(table.capacity, dtype=np.bool_)
        self._held = np.zeros(table.capacity, dtype=np.bool_)
        self._checked_at = -np.inf
        # liveness changes not yet seen by the cluster's controllers: (node, now offline)
        self.transitions: list[tuple[NodeRecord, bool]] = []

    # -- the store's view: name -> Node document --------------------------------------------

    def __getitem__(self, name: str) -> dict[str, Any]:
        record = self.by_name.get(name)
        if record is None:
            raise KeyError(name)
        return self.render(record)

    def __setitem__(self, name: str, node: dict[str, Any]) -> None:
        """A Node document written through the Kubernetes lens (the store stamped it)."""
        self.absorb(node)

    def __delitem__(self, name: str) -> None:
        record = self.by_name.get(name)
        if record is None:
            raise KeyError(name)
        self._forget(record)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ordered_names())

    def __len__(self) -> int:
        return len(self.by_name)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    # -- rendering ---------------------------------------------------------------------------

    def render(self, record: NodeRecord, now: float | None = None) -> dict[str, Any]:
        """The Node document of a record, as it stands."""
        status = self._current_status(record) if now is None else self.status_of(record, now)
        if record.raw is None:
            node = node_document(
                node_id=record.id,
                name=record.name,
                address=record.address,
                capabilities=record.capabilities,
                resources=record.resources,
                labels=record.labels,
                registered_at=record.registered_at,
                status=record.reported,
                usage=record.usage,
            )
            node["metadata"]["uid"] = record.id
            node["metadata"]["creationTimestamp"] = _timestamp(record.registered_at)
        else:
            node = orjson.loads(orjson.dumps(record.raw))
        node["metadata"]["resourceVersion"] = str(record.rv)
        if record.monitored or self._held[record.row]:
            with_liveness(
                node,
                ready=status != OFFLINE,
                last_heartbeat=record.last_heartbeat,
                since=record.changed_at,
            )
        return node

    # -- liveness ----------------------------------------------------------------------------

    def _current_status(self, record: NodeRecord) -> str:
        return OFFLINE if self._offline[record.row] else self._settled_status(record)

    def _settled_status(self, record: NodeRecord) -> str:
        if record.reported == MAINTENANCE:
            return MAINTENANCE
        if record.reported == OFFLINE:
            return OFFLINE
        return record.reported

    def status_of(self, record: NodeRecord, now: float) -> str:
        """``registered``, ``active``, ``maintenance`` or ``offline`` at ``now``."""
        if self._held[record.row]:
            return OFFLINE
        if record.reported == MAINTENANCE:
            return MAINTENANCE
        if not record.monitored:
            return record.reported
        last_seen = float(self._last_seen[record.row])  # the last heartbeat (or registration)
        if record.reported == OFFLINE or now - last_seen > self.grace_period:
            return OFFLINE
        return record.reported

    def is_reachable(self, record: NodeRecord, now: float) -> bool:
        return self.status_of(record, now) != OFFLINE

    def is_offline(self, record: NodeRecord) -> bool:
        """Offline as liveness last saw it (tainted unreachable)."""
        return bool(self._offline[record.row])

    def refresh(self, now: float, *, force: bool = False) -> list[NodeRecord]:
        """Apply liveness at ``now``; returns the nodes that came back (at most once per clock
        second unless ``force``)."""
        if not force and now - self._checked_at < 1.0:
            return []
        self._checked_at = now
        size = self.table.size
        live = self.table.alive[:size] & self._monitored[:size]
        silent = (now - self._last_seen[:size] > self.grace_period) & live
        silent |= self._held[:size] & self.table.alive[:size]
        changed = np.flatnonzero(silent != self._offline[:size])
        returned: list[NodeRecord] = []
        for row in changed.tolist():
            name = self.table.names[row]
            record = self.by_name.get(name) if name is not None else None
            if record is None:
                self._offline[row] = False
                continue
            self._set_offline(record, bool(silent[row]), now)
            if not silent[row]:
                returned.append(record)
        return returned

    def _set_offline(self, record: NodeRecord, offline: bool, now: float) -> None:
        row = record.row
        if bool(self._offline[row]) != offline:
            self.transitions.append((record, offline))
        self._offline[row] = offline
        taints = [t for t in self.table.taints[row] if t != UNREACHABLE]
        if offline:
            taints.append(UNREACHABLE)
        self.table.set_taints(row, taints)
        record.changed_at = now
        self._touch(record)

    def heartbeat(self, record: NodeRecord, now: float) -> bool:
        """A heartbeat (the fast path: no write unless the node comes back). Returns True if
        the node was offline and is back."""
        record.last_heartbeat = now
        row = record.row
        self._last_seen[row] = now
        if self.journal is not None:
            self.journal.heartbeat(record.name, now)
        if not record.monitored:
            record.monitored = True
            self._monitored[row] = True
            self._touch(record)
        if record.reported in (REGISTERED, OFFLINE):
            self._report(record, ACTIVE)
            self._touch(record)
        if self._offline[row] and not self._held[row]:
            self._set_offline(record, False, now)
            return True
        return False

    def hold_down(self, record: NodeRecord, now: float) -> None:
        """Take a node down until ``release`` (offline, tainted unreachable)."""
        self._held[record.row] = True
        self._set_offline(record, True, now)

    def is_held(self, record: NodeRecord) -> bool:
        return bool(self._held[record.row])

    def release(self, record: NodeRecord, now: float) -> bool:
        """End ``hold_down``: the node is back unless its heartbeats are overdue (a monitored
        node). Returns True if it is back."""
        row = record.row
        self._held[row] = False
        overdue = bool(self._monitored[row]) and now - self._last_seen[row] > self.grace_period
        if self._offline[row] and not overdue:
            self._set_offline(record, False, now)
            return True
        self._touch(record)
        return False

    def set_reported(self, record: NodeRecord, status: str, now: float) -> None:
        """A status the node reports (``maintenance`` cordons it; ``offline`` takes it down
        until its next heartbeat). Reporting the status it already has changes nothing."""
        if status == record.reported and status != OFFLINE:
            return
        was = record.reported
        self._report(record, status)
        if record.raw is not None and MAINTENANCE in (status, was):
            spec = record.raw.setdefault("spec", {})
            if status == MAINTENANCE:
                spec["unschedulable"] = True
            else:
                spec.pop("unschedulable", None)
        self.table.unschedulable[record.row] = status == MAINTENANCE
        if status == OFFLINE:
            self._last_seen[record.row] = -np.inf
            if not record.monitored:
                record.monitored = True
                self._monitored[record.row] = True
            self._set_offline(record, True, now)
        else:
            self._touch(record)

    def set_usage(self, record: NodeRecord, usage: dict[str, Quantity]) -> None:
        record.usage.update(usage)
        if record.raw is not None:
            annotations = record.raw.setdefault("metadata", {}).setdefault("annotations", {})
            annotations[USAGE] = orjson.dumps({k: str(v) for k, v in record.usage.items()}).decode()
        self._touch(record)

    @staticmethod
    def _report(record: NodeRecord, status: str) -> None:
        """The status an edge node reports, kept in its document where it has one."""
        record.reported = status
        if record.raw is not None:
            annotations = record.raw.setdefault("metadata", {}).setdefault("annotations", {})
            annotations[STATUS] = status

    def _touch(self, record: NodeRecord) -> None:
        """A change of what the Node document shows: a new version and a watch event."""
        if self.store is not None:
            record.rv = self.store.touch("nodes", _Rendered(self, record))
        self._journaled(record)

    def _journaled(self, record: NodeRecord) -> None:
        if self.journal is not None:
            self.journal.node(record.name, lambda: self.state_of(record))

    # -- writes ------------------------------------------------------------------------------

    def _grow(self) -> None:
        if self.table.capacity > len(self._last_seen):
            grow = self.table.capacity
            self._last_seen = np.resize(self._last_seen, grow)
            self._offline = np.resize(self._offline, grow)
            self._monitored = np.resize(self._monitored, grow)
            self._held = np.resize(self._held, grow)

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
        """An edge node registers (kept compactly; its Node is rendered when read)."""
        _validate_name(name)
        if name in self.by_name:
            raise ConflictError(
                f"a node named {name!r} is already registered", {"name": "already exists"}
            )
        _check_resources(resources)
        intern = sys.intern
        labels = {intern(k): intern(v) for k, v in labels.items()}
        node_id = str(uuid.uuid4())
        engine_labels = {
            **labels,
            HOSTNAME_LABEL: name,
            EDGE_LABEL: "true",
            ID_LABEL: node_id,
        }
        row = self.table.add(name, node_allocatable(resources), engine_labels)
        self._grow()
        self._last_seen[row] = now
        self._offline[row] = False
        self._monitored[row] = True
        self._held[row] = False
        record = NodeRecord(
            id=node_id,
            name=name,
            address=address,
            capabilities=[intern(c) for c in capabilities],
            resources=resources,
            labels=labels,
            registered_at=now,
            row=row,
        )
        self._add(record)
        if self.store is not None:
            record.rv = self.store.touch("nodes", _Rendered(self, record), added=True)
        return record

    def absorb(self, node: dict[str, Any]) -> NodeRecord:
        """A Node document was written (created or replaced) through the Kubernetes lens."""
        fields = edge_fields(node)
        now = fields.registered_at or 0.0
        record = self.by_name.get(fields.name)
        allocatable = document_allocatable(node)  # validates quantities before any change
        del allocatable
        if record is None:
            row = sync_node(self.table, node)
            self._grow()
            monitored = fields.registered
            reported = fields.status or (REGISTERED if monitored else ACTIVE)
            if not monitored and fields.unschedulable:
                reported = MAINTENANCE
            elif not monitored and fields.ready is False:
                reported = OFFLINE
            record = NodeRecord(
                id=fields.node_id,
                name=fields.name,
                address=fields.address,
                capabilities=fields.capabilities,
                resources=fields.resources,
                labels=fields.labels,
                registered_at=now,
                row=row,
                reported=reported,
                monitored=monitored,
                raw=node,
            )
            self._last_seen[row] = now
            self._offline[row] = False
            self._monitored[row] = monitored
            self._held[row] = False
            self._add(record)
        else:
            self.by_id.pop(record.id, None)
            record.id = fields.node_id
            self.by_id[record.id] = record
            record.raw = node
            record.address = fields.address
            record.capabilities = fields.capabilities
            record.resources = fields.resources
            record.labels = fields.labels
            if fields.status:
                record.reported = fields.status
            elif not record.monitored:
                record.reported = (
                    MAINTENANCE
                    if fields.unschedulable
                    else OFFLINE
                    if fields.ready is False
                    else ACTIVE
                )
            sync_node(self.table, node)
        row = record.row
        if record.monitored or self._held[row]:  # liveness owns the unreachable taint
            taints = [t for t in self.table.taints[row] if t != UNREACHABLE]
            self.table.set_taints(row, [*taints, UNREACHABLE] if self._offline[row] else taints)
        if record.reported == MAINTENANCE:
            self.table.unschedulable[row] = True
        record.rv = int(node["metadata"].get("resourceVersion") or 0)
        self._journaled(record)
        return record

    def _add(self, record: NodeRecord) -> None:
        self.ordered_names()  # drop removed names first: a name may come back
        self.by_id[record.id] = record
        self.by_name[record.name] = record
        self._order.append(record.name)
        self._journaled(record)

    def _forget(self, record: NodeRecord) -> None:
        if self.journal is not None:
            self.journal.node(record.name, None)
        self.by_id.pop(record.id, None)
        del self.by_name[record.name]
        self._offline[record.row] = False
        self._monitored[record.row] = False
        self._held[record.row] = False
        self._order_dirty = True

    def require(self, node_id: str) -> NodeRecord:
        """The record with this edge id (``NotFoundError`` if none)."""
        record = self.by_id.get(node_id)
        if record is None:
            raise NotFoundError(f"node {node_id!r} not found", {"node_id": node_id})
        return record

    def ordered_names(self) -> list[str]:
        if self._order_dirty:
            self._order = [n for n in self._order if n in self.by_name]
            self._order_dirty = False
        return self._order

    def records(self) -> Iterator[NodeRecord]:
        """Every node, in creation order."""
        by_name = self.by_name
        for name in self.ordered_names():
            yield by_name[name]

    # -- durability --------------------------------------------------------------------------

    def state_of(self, record: NodeRecord) -> dict[str, Any]:
        """A record as the data directory keeps it."""
        row = record.row
        return {
            "id": record.id,
            "name": record.name,
            "address": record.address,
            "capabilities": record.capabilities,
            "resources": {k: str(v) for k, v in record.resources.items()},
            "labels": record.labels,
            "usage": {k: str(v) for k, v in record.usage.items()},
            "registered_at": record.registered_at,
            "last_heartbeat": record.last_heartbeat,
            "reported": record.reported,
            "monitored": record.monitored,
            "raw": record.raw,
            "rv": record.rv,
            "changed_at": record.changed_at,
            "offline": bool(self._offline[row]),
            "held": bool(self._held[row]),
        }

    def restore(self, state: dict[str, Any], heartbeat: float | None, now: float) -> None:
        """Bring back a record kept by the data directory. Liveness starts from the stored
        values plus a grace period: a node that was up gets ``grace_period`` from ``now`` to
        heartbeat again (a restart does not flip every node offline); one that was offline
        stays offline until it heartbeats."""
        if state["raw"] is not None:
            record = self.absorb(state["raw"])
        else:
            record = self.register(
                name=state["name"],
                address=state["address"],
                capabilities=list(state["capabilities"]),
                resources={k: Quantity.parse(v) for k, v in state["resources"].items()},
                labels=dict(state["labels"]),
                now=state["registered_at"],
            )
            self.by_id.pop(record.id)
            record.id = state["id"]
            self.by_id[record.id] = record
            self.table.set_labels(
                record.row, {**self.table.labels[record.row], ID_LABEL: record.id}
            )
        record.usage = {k: Quantity.parse(v) for k, v in state["usage"].items()}
        record.registered_at = state["registered_at"]
        record.last_heartbeat = heartbeat if heartbeat is not None else state["last_heartbeat"]
        record.reported = state["reported"]
        record.monitored = state["monitored"]
        record.rv = state["rv"]
        record.changed_at = state["changed_at"]
        row = record.row
        self._monitored[row] = record.monitored
        self.table.unschedulable[row] = record.reported == MAINTENANCE or bool(
            record.raw is not None and (record.raw.get("spec") or {}).get("unschedulable")
        )
        if state["offline"] or state["held"]:
            self._last_seen[row] = (
                -np.inf
                if record.reported == OFFLINE
                else (record.last_heartbeat or record.registered_at)
            )
            self._held[row] = state["held"]
            self._offline[row] = False
            self._set_offline_quietly(record)
        else:
            self._last_seen[row] = now

    def _set_offline_quietly(self, record: NodeRecord) -> None:
        """Offline as restored: tainted, no new version."""
        row = record.row
        self._offline[row] = True
        taints = [t for t in self.table.taints[row] if t != UNREACHABLE]
        self.table.set_taints(row, [*taints, UNREACHABLE])


class _Rendered:
    """A node's document, rendered when a watcher reads the event."""

    __slots__ = ("nodes", "record")

    def __init__(self, nodes: NodeSet, record: NodeRecord) -> None:
        self.nodes, self.record = nodes, record

    def __call__(self) -> dict[str, Any]:
        return self.nodes.render(self.record)


def _timestamp(epoch: float) -> str:
    from ..timeutil import to_datetime

    return to_datetime(int(epoch)).strftime("%Y-%m-%dT%H:%M:%SZ")
