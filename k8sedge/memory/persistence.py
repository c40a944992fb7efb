"""The memory cluster with a data directory: what is written when, and what comes back.

``Durability`` ties a ``Cluster`` to a ``DataDir``. Every change is collected by the
``Journal`` as it happens (the object store, the node set, the metrics stores report to it)
and written in one transaction when the cluster's lock is released by the operation that
made it — so before the change is answered. Edge workloads and lenses' extensions are
compared with what was last written at the end of each change and written when they
differ. Heartbeats are written behind (``HEARTBEAT_FLUSH``).

On start, the directory is read back: the configuration, the token key and revocations,
every object and node (liveness restarting from the stored values plus a grace period),
the watch events kept, the scheduler's accounting of bound pods (pending pods are queued
again), workloads with their rollouts, extensions' state, and metrics.
"""

from __future__ import annotations

import base64
import collections
import io
import os
import pickle
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..kube.kinds import KINDS, object_key
from ..kube.translate import pod_request
from ..surfaces.simulator.config import config_from_dict, config_to_dict, with_defaults
from .durable import DataDir, Journal, Snapshot
from .scheduling import pod_key
from .tokens import TokenService
from .workloads import restore_workloads, save_workloads

if TYPE_CHECKING:
    from .core import Cluster

__all__ = ["CommitLock", "Durability"]


class CommitLock:
    """A re-entrant lock that runs ``on_release`` when its owner lets go of the outermost
    level (still holding it): the moment a change is written, before it is answered."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self.on_release: Callable[[], None] | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        acquired = self._lock.acquire(blocking, timeout)
        if acquired:
            self._depth += 1
        return acquired

    def release(self) -> None:
        try:
            if self._depth == 1 and self.on_release is not None:
                self.on_release()
        finally:
            self._depth -= 1
            self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    # what threading.Condition needs of a re-entrant lock
    def _is_owned(self) -> bool:
        return self._lock._is_owned()  # type: ignore[attr-defined,no-any-return]

    def _release_save(self) -> Any:
        depth, self._depth = self._depth, 0
        return depth, self._lock._release_save()  # type: ignore[attr-defined]

    def _acquire_restore(self, state: Any) -> None:
        depth, inner = state
        self._lock._acquire_restore(inner)  # type: ignore[attr-defined]
        self._depth = depth


class _Pickler(pickle.Pickler):
    """Pickles an extension's state; the cluster and its parts are references."""

    def __init__(self, file: io.BytesIO, shared: dict[int, str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def persistent_id(self, obj: Any) -> str | None:
        return self.shared.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: dict[str, Any]) -> None:
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, pid: Any) -> Any:
        return self.shared[str(pid)]


def _shared(cluster: Cluster) -> dict[str, Any]:
    return {
        "cluster": cluster,
        "clock": cluster.clock,
        "store": cluster.store,
        "nodes": cluster.nodes,
        "table": cluster.table,
        "metrics": cluster.metrics,
        "series": cluster.metrics.series,
        "queue": cluster.queue,
        "workloads": cluster.workloads,
        "tokens": cluster.tokens,
    }


class Durability:
    """A cluster's data directory: loaded on start, written on every change."""

    def __init__(self, cluster: Cluster, path: str | os.PathLike[str]) -> None:
        self.cluster = cluster
        self.data = DataDir(path)
        self.journal = Journal(self.data)
        self._extensions: dict[str, bytes] = {}  # what was last written, per extension
        self._pending_extensions: dict[str, bytes] = {}  # read back, not yet created
        try:
            if self.data.created:
                self.loaded: dict[str, int] = {}
                self._initialize()
            else:
                self.loaded = self._load(Snapshot(self.data.db))
        except BaseException:
            self.data.close()
            raise
        self._attach()
        cluster.lock.on_release = self.commit
        self.journal.start_flusher()

    # -- start -------------------------------------------------------------------------------

    def _initialize(self) -> None:
        cluster, journal = self.cluster, self.journal
        secret = cluster.tokens.secret
        journal.meta("token_secret", base64.b64encode(secret).decode())
        journal.meta("config", config_to_dict(cluster.scheduler.config))
        for plural in KINDS:
            if plural == "nodes":
                continue
            for obj in cluster.store.items(plural):
                journal.put(plural, _key(plural, obj), obj)
        journal.meta("version", cluster.store.version)
        journal.commit()

    def _load(self, snapshot: Snapshot) -> dict[str, int]:
        cluster = self.cluster
        now = cluster.clock.now()
        config = snapshot.meta_json("config")
        if config is not None:
            cluster.scheduler.configure(with_defaults(config_from_dict(config)))
        secret = snapshot.meta_json("token_secret")
        if secret is not None:
            cluster.tokens = TokenService(cluster.clock, base64.b64decode(secret))
        cluster.tokens.restore_revocations(snapshot.revocations)
        store = cluster.store
        for plural in KINDS:
            if plural != "nodes":
                store.objects[plural].clear()
        for state in snapshot.nodes:
            cluster.nodes.restore(state, snapshot.heartbeats.get(state["name"]), now)
        counts: collections.Counter[str] = collections.Counter({"nodes": len(snapshot.nodes)})
        for plural, obj in snapshot.objects:
            store.objects[plural][_key(plural, obj)] = obj
            counts[plural] += 1
        store.version = int(snapshot.meta_json("version") or 0)
        store.log.extend(snapshot.events)
        for pod in store.items("pods"):
            key = pod_key(pod)
            node = (pod.get("spec") or {}).get("nodeName")
            if node and node in cluster.table.row_of:
                spread = cluster.queue.default_spread(pod)
                cluster.scheduler.assume(node, pod_request(pod, default_spread=spread), key)
            elif not node:
                cluster.queue.add(key, pod)
        workloads = snapshot.records.get("workload", {})
        restore_workloads(cluster.workloads, workloads)
        counts["workloads"] = len(workloads)
        self._pending_extensions = dict(snapshot.records.get("extension", {}))
        self._extensions = dict(self._pending_extensions)
        for node, ts, values in snapshot.samples():
            cluster.metrics.extend(node, ts, values, now)
            counts["metric samples"] += len(ts)
        for owner, name, dates, points, cumulative, metadata in snapshot.series():
            cluster.metrics.series.append(owner, name, dates, points, cumulative, metadata)
            counts["metric points"] += len(dates)
        return {k: v for k, v in counts.items() if v}

    def _attach(self) -> None:
        cluster, journal = self.cluster, self.journal
        cluster.store.journal = journal
        cluster.nodes.journal = journal
        cluster.metrics.journal = journal
        cluster.metrics.series.journal = journal

    def restore_extension(self, name: str, extension: Any) -> None:
        """An extension created now gets the state the directory kept for it."""
        blob = self._pending_extensions.pop(name, None)
        if blob is not None:
            state = _Unpickler(io.BytesIO(blob), _shared(self.cluster)).load()
            vars(extension).update(state)

    # -- writing -----------------------------------------------------------------------------

    def commit(self) -> None:
        """Write what changed (the lock is released after this)."""
        journal = self.journal
        if journal.pending:
            journal.meta("version", self.cluster.store.version)
            journal.commit()

    def save(self) -> None:
        """At the end of a change: workloads and extensions that differ are written too."""
        cluster = self.cluster
        save_workloads(cluster.workloads, self.journal)
        shared = {id(v): k for k, v in _shared(cluster).items()}
        for name, extension in cluster.extensions.items():
            buffer = io.BytesIO()
            try:
                _Pickler(buffer, shared).dump(vars(extension))
            except (pickle.PicklingError, TypeError, AttributeError):
                continue  # state that cannot be kept is rebuilt by the lens
            blob = buffer.getvalue()
            if self._extensions.get(name) != blob:
                self._extensions[name] = blob
                self.journal.record("extension", name, blob)

    def revoked(self, jti: str, until: float) -> None:
        self.journal.revoked(jti, until)

    def config_changed(self) -> None:
        self.journal.meta("config", config_to_dict(self.cluster.scheduler.config))

    def cleared(self) -> None:
        """``reset``: everything but the token key, the revocations and the events goes."""
        self.journal.clear()
        self._extensions.clear()
        self._pending_extensions.clear()
        self.config_changed()
        for plural in KINDS:
            if plural == "nodes":
                continue
            for obj in self.cluster.store.items(plural):
                self.journal.put(plural, _key(plural, obj), obj)

    def close(self) -> None:
        self.cluster.lock.on_release = None
        self.journal.close()


def _key(plural: str, obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return object_key(KINDS[plural], meta["name"], meta.get("namespace"))
