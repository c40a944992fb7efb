"""Events: what the scheduler and the controllers record, kept bounded, and the
``events.k8s.io/v1`` view of the same objects.

The recorder writes core/v1 ``Event`` objects into the store, as the API server keeps them,
named ``<object>.<hex nanoseconds>`` like client-go's recorder names them. A repeat (same
source, object, type, reason and message) is counted on the existing event instead of making
a new one (client-go's ``EventCorrelator``). The newest ``max_events`` are kept and an event
not seen for ``ttl`` seconds of the cluster's clock goes (the API server's ``--event-ttl``,
one hour), so a long-running simulation holds a bounded number of events.

Components record as upstream does: the scheduler through the ``events.k8s.io`` API
(``eventTime``, ``reportingController``, ``action``, ``series`` for repeats), the
controllers of kube-controller-manager through the core API (``source.component``,
``firstTimestamp``/``lastTimestamp``, ``count``).
"""

from __future__ import annotations

import collections
from typing import Any

from ..clock import Clock
from ..timeutil import to_datetime
from .store import ObjectStore, copy_object

__all__ = [
    "NORMAL",
    "SCHEDULER",
    "WARNING",
    "EventRecorder",
    "from_events_v1",
    "reference",
    "to_events_v1",
]

NORMAL, WARNING = "Normal", "Warning"
SCHEDULER = "default-scheduler"
_HOST = "k8sedge"


def _time(epoch: float) -> str:
    return to_datetime(int(epoch)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro(epoch: float) -> str:
    seconds = int(epoch)
    micros = round((epoch - seconds) * 1_000_000) % 1_000_000
    return f"{to_datetime(seconds).strftime('%Y-%m-%dT%H:%M:%S')}.{micros:06d}Z"


def reference(obj: dict[str, Any]) -> dict[str, Any]:
    """An ``ObjectReference`` to ``obj`` (what an event is about)."""
    meta = obj.get("metadata") or {}
    ref = {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return ref


class EventRecorder:
    """Records events in a store, aggregating repeats, keeping at most ``max_events``."""

    def __init__(
        self, store: ObjectStore, clock: Clock, max_events: int = 2000, ttl: float = 3600.0
    ) -> None:
        if max_events < 1:
            raise ValueError("max_events must be positive")
        self.store = store
        self.clock = clock
        self.max_events = max_events
        self.ttl = ttl
        self._seq = 0
        self._by_key: dict[tuple[str, ...], tuple[str, str]] = {}
        # (namespace, name) -> (last seen, aggregation key), oldest first
        self._order: collections.OrderedDict[tuple[str, str], tuple[float, tuple[str, ...]]] = (
            collections.OrderedDict()
        )

    def clear(self) -> None:
        """Forget what was recorded (``reset``: the events themselves are deleted)."""
        self._by_key.clear()
        self._order.clear()

    def adopt(self) -> None:
        """Take over the events already in the store (a restored data directory)."""
        self.clear()
        known = sorted(
            self.store.items("events"),
            key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""),
        )
        now = self.clock.now()
        for event in known:
            meta = event["metadata"]
            where = (str(meta.get("namespace") or "default"), str(meta["name"]))
            key = _key(event)
            self._by_key[key] = where
            self._order[where] = (now, key)

    def record(
        self,
        obj: dict[str, Any],
        kind: str,
        reason: str,
        message: str,
        *,
        component: str,
        action: str | None = None,
        related: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Record that ``reason`` happened to ``obj`` (``kind`` is Normal or Warning)."""
        involved = reference(obj)
        if not involved["name"]:
            return None
        now = self.clock.now()
        self._expire(now)
        namespace = involved.get("namespace") or "default"
        scheduler_style = action is not None
        key = (component, *(str(involved.get(k, "")) for k in ("kind", "namespace", "name")))
        key = (*key, str(involved.get("uid", "")), kind, reason, message)
        where = self._by_key.get(key)
        existing = self.store.find("events", where[1], where[0]) if where else None
        if where is not None and existing is None:
            self.forget(*where)  # deleted by someone else
        elif existing is not None and where is not None:
            repeated = copy_object(existing)
            if scheduler_style:
                series = repeated.get("series") or {"count": 1}
                repeated["series"] = {
                    "count": int(series.get("count") or 1) + 1,
                    "lastObservedTime": _micro(now),
                }
            else:
                repeated["count"] = int(repeated.get("count") or 1) + 1
                repeated["lastTimestamp"] = _time(now)
            stored = self.store.update("events", repeated, check_version=False)
            self._order[where] = (now, key)
            self._order.move_to_end(where)
            return stored
        self._seq += 1
        stamp = int(now * 1e9) + self._seq
        event: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{involved['name']}.{stamp:x}", "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": kind,
            "reportingComponent": component,
            "reportingInstance": f"{component}-{_HOST}" if scheduler_style else "",
        }
        if scheduler_style:
            event["source"] = {}
            event["eventTime"] = _micro(now)
            event["action"] = action
            event["firstTimestamp"] = None
            event["lastTimestamp"] = None
        else:
            event["source"] = {"component": component}
            event["firstTimestamp"] = event["lastTimestamp"] = _time(now)
            event["count"] = 1
            event["eventTime"] = None
        if related is not None:
            event["related"] = related
        home = self.store.find("namespaces", namespace)
        if home is None or home["metadata"].get("deletionTimestamp"):
            return None  # the namespace is going: no new content in it
        stored = self.store.create("events", event)
        where = (namespace, event["metadata"]["name"])
        self._by_key[key] = where
        self._order[where] = (now, key)
        while len(self._order) > self.max_events:
            self._drop(next(iter(self._order)))
        return stored

    def forget(self, namespace: str, name: str) -> None:
        """An event was deleted by someone else."""
        entry = self._order.pop((namespace, name), None)
        if entry is not None:
            self._by_key.pop(entry[1], None)

    def _drop(self, where: tuple[str, str]) -> None:
        _, key = self._order.pop(where)
        self._by_key.pop(key, None)
        if self.store.find("events", where[1], where[0]) is not None:
            self.store.delete("events", where[1], where[0])

    def _expire(self, now: float) -> None:
        while self._order:
            where, (seen, _) = next(iter(self._order.items()))
            if now - seen <= self.ttl:
                return
            self._drop(where)


def _key(event: dict[str, Any]) -> tuple[str, ...]:
    involved = event.get("involvedObject") or {}
    component = event.get("reportingComponent") or (event.get("source") or {}).get("component")
    return (
        str(component or ""),
        *(str(involved.get(k, "")) for k in ("kind", "namespace", "name", "uid")),
        str(event.get("type", "")),
        str(event.get("reason", "")),
        str(event.get("message", "")),
    )


# core/v1 field -> events.k8s.io/v1 field (pkg/apis/events/v1 conversion)
_V1_FIELDS = (
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("reportingComponent", "reportingController"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
)


def to_events_v1(event: dict[str, Any]) -> dict[str, Any]:
    """A core/v1 Event as ``events.k8s.io/v1`` shows it."""
    out = dict(event)
    out["apiVersion"] = "events.k8s.io/v1"
    for core, v1 in _V1_FIELDS:
        if core in out:
            value = out.pop(core)
            if value not in (None, "", {}, 0):
                out[v1] = value
    return out


def from_events_v1(event: dict[str, Any]) -> dict[str, Any]:
    """An ``events.k8s.io/v1`` Event as the core/v1 Event that stores it."""
    out = dict(event)
    out["apiVersion"] = "v1"
    for core, v1 in _V1_FIELDS:
        if v1 in out:
            out[core] = out.pop(v1)
    return out
