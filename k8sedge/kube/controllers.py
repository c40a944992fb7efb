"""The memory cluster's kube-controller-manager: a work queue of keys and one sync function
per controller, level-triggered as upstream's controllers are.

A change to an object enqueues the controllers that care (its own, its owner's, the
disruption budgets of its namespace, the garbage collector when something goes); the queue
is drained at once, inside the change, so a write returns with the cluster settled. What is
due later on the cluster's clock (a Job's pods finishing, ``minReadySeconds``, a progress
deadline, a CronJob's schedule) is kept in a timer heap and enqueued by ``tick``. A sync that
fails is logged and recorded as a Warning event on its object: it never becomes the error of
the request whose write triggered it.

The controllers themselves: ``replicasets.py``, ``deployments.py``, ``statefulsets.py``,
``daemonsets.py``, ``jobs.py`` (and the simulated kubelet that finishes run-to-completion
pods), ``cronjobs.py``, ``disruption.py`` (PodDisruptionBudgets), ``lifecycle.py``
(garbage collection, namespaces, service accounts).
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import K8sEdgeError
from .events import WARNING, EventRecorder
from .kinds import KINDS
from .podutil import controller_ref
from .store import DELETED

__all__ = ["Context", "Controllers", "Writer"]

log = logging.getLogger("k8sedge.controllers")
Key = tuple[str, str | None, str]  # (controller, namespace, name)
_MAX_SYNCS = 200_000  # per drain: a controller that never settles is stopped, not spun

# kind -> plural, for owner references
PLURAL_OF_KIND = {info.kind: plural for plural, info in KINDS.items()}
# controllers whose objects are synced when they change (their own key)
_OWN = frozenset(
    {
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "poddisruptionbudgets",
        "namespaces",
    }
)


class Writer(Protocol):
    """What the controllers need from the cluster that owns the store."""

    def find(self, plural: str, name: str, namespace: str | None) -> dict[str, Any] | None: ...

    def items(self, plural: str, namespace: str | None) -> list[dict[str, Any]]: ...

    def create(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]: ...

    def update(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]: ...

    def delete(
        self, plural: str, name: str, namespace: str | None, propagation: str | None = None
    ) -> None: ...

    def now(self) -> float: ...


class Context:
    """What a sync function gets: the cluster, the recorder, the time, and a timer."""

    def __init__(self, controllers: Controllers) -> None:
        self.controllers = controllers
        self.writer: Writer = controllers.writer
        self.events: EventRecorder = controllers.events
        self.job_run_time = controllers.job_run_time

    @property
    def now(self) -> float:
        return self.writer.now()

    def at(self, when: float, key: Key) -> None:
        """Sync ``key`` again when the clock reaches ``when``."""
        self.controllers.at(when, key)

    def enqueue(self, key: Key) -> None:
        self.controllers.enqueue(key)

    def record(
        self, obj: dict[str, Any], kind: str, reason: str, message: str, component: str
    ) -> None:
        self.events.record(obj, kind, reason, message, component=component)


Sync = Callable[[Context, str | None, str], None]


def _syncs() -> dict[str, Sync]:
    from . import (
        cronjobs,
        daemonsets,
        deployments,
        disruption,
        jobs,
        lifecycle,
        replicasets,
        statefulsets,
    )

    return {
        "deployments": deployments.sync,
        "replicasets": replicasets.sync,
        "statefulsets": statefulsets.sync,
        "daemonsets": daemonsets.sync,
        "jobs": jobs.sync,
        "cronjobs": cronjobs.sync,
        "poddisruptionbudgets": disruption.sync,
        "namespaces": lifecycle.sync_namespace,
        "kubelet": jobs.sync_pod,
        "gc": lifecycle.sync_dependents,
        "finalize": lifecycle.sync_finalizers,
    }


class Controllers:
    """Reacts to every change of the cluster's objects, as kube-controller-manager does."""

    def __init__(self, writer: Writer, events: EventRecorder, job_run_time: float = 1.0) -> None:
        if job_run_time < 0:
            raise ValueError("job_run_time must not be negative")
        self.writer = writer
        self.events = events
        self.job_run_time = job_run_time
        self._syncs = _syncs()
        self._queue: collections.deque[Key] = collections.deque()
        self._queued: set[Key] = set()
        self._timers: list[tuple[float, int, Key]] = []
        self._due: dict[Key, float] = {}
        self._seq = itertools.count()
        self._draining = False
        self.synced = False
        # the garbage collector's graph: owner uid -> dependents, and each object's owners
        self.dependents: dict[str, set[tuple[str, str | None, str]]] = {}
        self._owners: dict[tuple[str, str | None, str], tuple[str, ...]] = {}

    def clear(self) -> None:
        """Forget queued work, timers and the graph (``reset``)."""
        self._queue.clear()
        self._queued.clear()
        self._timers.clear()
        self._due.clear()
        self.dependents.clear()
        self._owners.clear()
        self.events.clear()
        self.synced = False

    # -- the queue ---------------------------------------------------------------------------

    def enqueue(self, key: Key) -> None:
        if key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)

    def at(self, when: float, key: Key) -> None:
        """Sync ``key`` at ``when`` (a key keeps only its earliest timer: its sync then sets
        the next one it needs)."""
        current = self._due.get(key)
        if current is not None and current <= when:
            return
        self._due[key] = when
        heapq.heappush(self._timers, (when, next(self._seq), key))

    def next_due(self) -> float | None:
        """When the next timer fires (None if none is set)."""
        return self._timers[0][0] if self._timers else None

    def tick(self, now: float) -> None:
        """Enqueue what is due at ``now`` and drain (the first tick resyncs everything)."""
        if not self.synced:
            self.resync()
        while self._timers and self._timers[0][0] <= now:
            when, _, key = heapq.heappop(self._timers)
            if self._due.get(key) != when:
                continue  # superseded by an earlier timer that has fired
            del self._due[key]
            self.enqueue(key)
        self.drain()

    def resync(self) -> None:
        """Rebuild the graph and sync every controller's objects (a cluster that was just
        made, restored from a data directory, or reset)."""
        self.synced = True
        self.dependents.clear()
        self._owners.clear()
        self.events.adopt()
        for plural in KINDS:
            for obj in self.writer.items(plural, None):
                self._graph(plural, obj, deleted=False)
                meta = obj["metadata"]
                if plural in _OWN:
                    self.enqueue((plural, meta.get("namespace"), meta["name"]))
                elif plural == "pods":
                    self.enqueue(("kubelet", meta.get("namespace"), meta["name"]))
                if meta.get("deletionTimestamp"):
                    self.enqueue(("finalize", meta.get("namespace"), f"{plural}/{meta['name']}"))

    def drain(self) -> None:
        """Run queued syncs until none is left (not re-entered: a change made by a sync is
        queued and handled by this loop)."""
        if self._draining:
            return
        self._draining = True
        context = Context(self)
        try:
            for _ in range(_MAX_SYNCS):
                if not self._queue:
                    return
                key = self._queue.popleft()
                self._queued.discard(key)
                self._run(context, key)
            log.error("controllers did not settle after %d syncs; the rest waits", _MAX_SYNCS)
        finally:
            self._draining = False

    def _run(self, context: Context, key: Key) -> None:
        controller, namespace, name = key
        try:
            self._syncs[controller](context, namespace, name)
        except Exception as exc:  # a controller's failure is its own, never the request's
            log.exception("%s controller failed on %s/%s", controller, namespace, name)
            plural = controller if controller in KINDS else None
            obj = self.writer.find(plural, name, namespace) if plural else None
            if obj is not None:
                message = exc.message if isinstance(exc, K8sEdgeError) else str(exc)
                try:
                    context.record(obj, WARNING, "FailedSync", message[:1000], controller)
                except Exception:
                    log.exception("could not record the failure of %s", controller)

    # -- what a change means -----------------------------------------------------------------

    def changed(self, plural: str, event: str, obj: dict[str, Any]) -> None:
        """``obj`` (of ``plural``) was added, modified or deleted: enqueue who cares."""
        meta = obj["metadata"]
        namespace, name = meta.get("namespace"), meta["name"]
        self._graph(plural, obj, deleted=event == DELETED)
        if plural in _OWN:
            self.enqueue((plural, namespace, name))
        ref = controller_ref(obj)
        owner = PLURAL_OF_KIND.get(str(ref.get("kind"))) if ref else None
        if ref is not None and owner in _OWN:
            self.enqueue((owner, namespace, str(ref.get("name", ""))))
        if plural == "pods":
            self.enqueue(("kubelet", namespace, name))
            for pdb in self.writer.items("poddisruptionbudgets", namespace):
                self.enqueue(("poddisruptionbudgets", namespace, pdb["metadata"]["name"]))
        elif plural == "nodes":
            for ds in self.writer.items("daemonsets", None):
                self.enqueue(("daemonsets", ds["metadata"]["namespace"], ds["metadata"]["name"]))
        elif plural == "events" and event == DELETED:
            self.events.forget(namespace or "default", name)
        elif plural == "serviceaccounts" and event == DELETED and namespace:
            self.enqueue(("namespaces", None, namespace))
        if event == DELETED and namespace and plural != "namespaces":
            home = self.writer.find("namespaces", namespace, None)
            if home is not None and home["metadata"].get("deletionTimestamp"):
                self.enqueue(("namespaces", None, namespace))
        if event == DELETED:
            uid = meta.get("uid")
            if uid and uid in self.dependents:
                self.enqueue(("gc", namespace, str(uid)))
        elif meta.get("deletionTimestamp"):
            self.enqueue(("finalize", namespace, f"{plural}/{name}"))
        self.drain()

    def _graph(self, plural: str, obj: dict[str, Any], *, deleted: bool) -> None:
        meta = obj["metadata"]
        node = (plural, meta.get("namespace"), meta["name"])
        owners: tuple[str, ...] = ()
        if not deleted:
            owners = tuple(
                str(ref.get("uid"))
                for ref in meta.get("ownerReferences") or ()
                if isinstance(ref, dict) and ref.get("uid")
            )
        before = self._owners.get(node, ())
        if owners == before:
            return
        for uid in before:
            children = self.dependents.get(uid)
            if children is not None:
                children.discard(node)
                if not children:
                    del self.dependents[uid]
        for uid in owners:
            self.dependents.setdefault(uid, set()).add(node)
        if owners:
            self._owners[node] = owners
        else:
            self._owners.pop(node, None)
