"""The memory cluster: one clock, one lock, one store, one scheduler; every lens reads it.

``Core`` owns the object store (uid, a ``resourceVersion`` that only grows — across
``reset()`` too —, the event log behind every watch), the node set (compact records mirrored
into the engine's node table), the scheduling queue, the Kubernetes workload controllers
(Deployments, ReplicaSets, StatefulSets, Jobs), the edge rollout controller, the metrics
store and the token service. The edge, simulator and Kubernetes lenses are views over it:
an edge node is a Node, a workload's replicas are Pods, and every Pod is placed by the same
queue under the same ``KubeSchedulerConfiguration``.

Controllers run lazily: each operation first calls ``tick()``, which applies node liveness
and every rollout step due at the clock's time. Nothing runs in the background, so a
``ManualClock`` makes the whole cluster deterministic.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from attrs import evolve

from .._progress import report
from ..clock import Clock, SystemClock
from ..engine import NodeTable, Scheduler
from ..engine.types import Budget
from ..errors import BadRequestError, ConflictError, NotFoundError
from ..kube.admission import admit, forbid_namespace_deletion
from ..kube.controllers import Controllers
from ..kube.events import EventRecorder
from ..kube.kinds import KINDS, kind_info
from ..kube.lifecycle import FOREGROUND, ORPHAN
from ..kube.snapshot import export_resources, fix_claim_ref, import_plan
from ..kube.store import ADDED, DELETED, MODIFIED, ObjectStore, copy_object
from ..kube.translate import label_selector, pod_request
from ..kube.validation import validate_object
from ..limits import Limits
from ..surfaces.simulator.config import (
    SchedulerConfiguration,
    config_from_dict,
    config_to_dict,
    lenient_config,
    with_defaults,
)
from ..surfaces.simulator.models import ANNOTATION_PREFIX, ResourcesForLoad
from ..timeutil import to_datetime
from .metrics import MetricsStore
from .nodes import NodeSet
from .persistence import CommitLock, Durability
from .scheduling import SchedulingQueue, pod_key
from .tokens import TokenService
from .watch import watch_events
from .workloads import WorkloadController

__all__ = ["INITIAL_OBJECTS", "Cluster", "Extension"]

E = TypeVar("E", bound="Extension")
Plan = list[tuple[str, dict[str, Any]]]  # (plural, object) in the order an import applies them
Undo = list[tuple[str, str, str | None, dict[str, Any] | None]]  # what an import replaced


class Extension(Protocol):
    """A lens's own state and controller on the cluster (a pool's processes, MLBench runs,
    Cello clusters): created once per cluster by ``Cluster.extension``, told of what happens,
    and cleared by ``reset``."""

    def reconcile(self, now: float) -> None:
        """Move state forward to ``now`` (called by every ``tick``)."""

    def pod_event(self, event: str, pod: dict[str, Any]) -> None:
        """A pod was added, modified (bound) or deleted."""

    def node_event(self, event: str, name: str) -> None:
        """``"added"``, ``"offline"``, ``"online"`` or ``"removed"``."""

    def clear(self) -> None:
        """Forget everything (``reset``)."""


INITIAL_OBJECTS: list[tuple[str, dict[str, Any]]] = [
    *[
        ("namespaces", {"metadata": {"name": n}})
        for n in ("default", "kube-system", "kube-public", "kube-node-lease")
    ],
    (
        "priorityclasses",
        {
            "metadata": {"name": "system-cluster-critical"},
            "value": 2000000000,
            "description": "Used for system critical pods that must run in the "
            "cluster, but can be moved to another node if necessary.",
        },
    ),
    (
        "priorityclasses",
        {
            "metadata": {"name": "system-node-critical"},
            "value": 2000001000,
            "description": "Used for system critical pods that must not be moved "
            "from their current node.",
        },
    ),
]
INITIAL_OBJECTS += [
    ("serviceaccounts", {"metadata": {"name": "default", "namespace": n}})
    for n in ("default", "kube-system", "kube-public", "kube-node-lease")
]
INITIAL_OBJECTS.append(
    (
        "services",
        {
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "type": "ClusterIP",
                "clusterIP": "10.96.0.1",
                "clusterIPs": ["10.96.0.1"],
                "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack",
                "internalTrafficPolicy": "Cluster",
                "sessionAffinity": "None",
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            },
            "status": {"loadBalancer": {}},
        },
    )
)
_LEASES_NAMESPACE = "kube-node-lease"
LAZY_TICK = 0.01  # seconds a heartbeat may skip ``tick`` after the last one
_PROPAGATION = ("Orphan", "Background", "Foreground")


class Cluster:
    """The one simulated cluster behind the memory backend."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        grace_period: float = 40.0,
        rollout_interval: float = 1.0,
        token_secret: bytes | str | None = None,
        scheduler_config: SchedulerConfiguration | None = None,
        seed: int = 0,
        metrics_retention: float = 7 * 86400,
        data_dir: str | os.PathLike[str] | None = None,
        limits: Limits | None = None,
        job_run_time: float = 1.0,
        max_events: int = 2000,
    ) -> None:
        if grace_period <= 0:
            raise ValueError("grace_period must be positive")
        if rollout_interval < 0:
            raise ValueError("rollout_interval must not be negative")
        self.clock = clock or SystemClock()
        # a data directory commits when the lock is let go; without one, a plain RLock
        self.lock: Any = CommitLock() if data_dir is not None else threading.RLock()
        self.changed = threading.Condition(self.lock)  # type: ignore[arg-type]
        self.seed = seed
        self.limits = limits or Limits()
        self._ticking = False
        self._ticked_at = float("-inf")
        self.initial_config = with_defaults(scheduler_config or SchedulerConfiguration())
        self.table = NodeTable()
        self.nodes = NodeSet(self.table, grace_period)
        self.store = ObjectStore(self.clock, collections_={"nodes": self.nodes})
        self.nodes.store = self.store
        self.scheduler = Scheduler(self.table, self.initial_config, seed=seed)
        self._wire_scheduler()
        self.queue = SchedulingQueue(self)
        self.events = EventRecorder(self.store, self.clock, max_events=max_events)
        self.kube = Controllers(_Writer(self), self.events, job_run_time=job_run_time)
        self.workloads = WorkloadController(self, rollout_interval)
        self.metrics = MetricsStore(retention=metrics_retention)
        self.tokens = TokenService(self.clock, token_secret)
        self.extensions: dict[str, Extension] = {}
        self._listeners: set[Callable[[], None]] = set()
        self.closing = False  # servers are shutting down: open watches end
        self._create_initial()
        self.durability: Durability | None = None
        if data_dir is not None:
            self.durability = Durability(self, data_dir)
            self.tokens.on_revoke = self.durability.revoked

    def _create_initial(self) -> None:
        """The objects every cluster starts with, admitted as any other (namespaces get
        their label, finalizer and phase)."""
        for kind, obj in INITIAL_OBJECTS:
            obj = copy_object(obj)
            admit(kind, obj, None, self.store)
            self.store.create(kind, obj)

    def close(self) -> None:
        """Write what is left and release the data directory (if any)."""
        if self.durability is not None:
            with self.lock:
                self.durability.save()
            self.durability.close()
            self.durability = None

    def _wire_scheduler(self) -> None:
        state = self.scheduler.state
        state.volumes = _StoreVolumes(self.store)
        state.namespace_labels = self._namespace_labels
        state.node_object = lambda name: copy_object(self.store.get("nodes", name))
        state.budgets = self._budgets

    def _budgets(self) -> list[Budget]:
        """The disruption budgets, as preemption reads them (their last status)."""
        budgets = []
        for pdb in self.store.items("poddisruptionbudgets"):
            status = pdb.get("status") or {}
            try:
                selector = label_selector((pdb.get("spec") or {}).get("selector"))
            except (AttributeError, TypeError, ValueError):
                continue
            budgets.append(
                Budget(
                    namespace=str(pdb["metadata"].get("namespace")),
                    selector=selector,
                    disruptions_allowed=int(status.get("disruptionsAllowed") or 0),
                    disrupted=frozenset(status.get("disruptedPods") or ()),
                )
            )
        return budgets

    def _namespace_labels(self, name: str) -> dict[str, str]:
        namespace = self.store.find("namespaces", name)
        return dict(((namespace or {}).get("metadata") or {}).get("labels") or {})

    # -- time and controllers ----------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def tick(self) -> float:
        """Bring liveness and controllers up to the clock; returns the time used. A change
        that a controller makes does not run the controllers again (they are not re-entered)."""
        now = self.clock.now()
        if self._ticking:
            return now
        self._ticking = True
        self._ticked_at = now
        try:
            if self.nodes.refresh(now):
                self.nodes_changed()
            self.liveness_seen()
            self.workloads.reconcile(now)
            for extension in list(self.extensions.values()):
                extension.reconcile(now)
            self.queue.run()
            self.kube.tick(now)
            self.queue.run()
        finally:
            self._ticking = False
        return now

    def tick_lazily(self) -> float:
        """``tick``, unless the last one ran less than ``LAZY_TICK`` seconds ago on the clock:
        for the heartbeat fast path, which changes nothing a controller waits for (what falls
        due in between runs at most ``LAZY_TICK`` later)."""
        now = self.clock.now()
        if now - self._ticked_at < LAZY_TICK:
            return now
        return self.tick()

    def advance(self) -> None:
        """Run what is due at the clock's time and wake watchers (servers call this while
        clients wait, as a cluster's controllers keep running)."""
        with self.writing():
            pass

    def listen(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (from the writing thread) after every change; it must only
        schedule work (async watches wake their event loop with it)."""
        self._listeners.add(listener)

    def unlisten(self, listener: Callable[[], None]) -> None:
        """Stop calling ``listener`` (its watch ended)."""
        self._listeners.discard(listener)

    def end_watches(self) -> None:
        """End every open watch (a server is shutting down): they finish their answer."""
        with self.changed:
            self.closing = True
            self.changed.notify_all()
            for listener in list(self._listeners):
                listener()

    def extension(self, name: str, factory: Callable[[Cluster], E]) -> E:
        """The cluster's extension ``name``, created by ``factory(cluster)`` on first use."""
        with self.lock:
            existing = self.extensions.get(name)
            if existing is None:
                existing = self.extensions[name] = factory(self)
                if self.durability is not None:
                    self.durability.restore_extension(name, existing)
            return existing  # type: ignore[return-value]

    def _tell_nodes(self, event: str, name: str) -> None:
        for extension in list(self.extensions.values()):
            extension.node_event(event, name)

    def liveness_seen(self) -> None:
        """Tell the extensions which nodes went offline or came back."""
        transitions, self.nodes.transitions = self.nodes.transitions, []
        for record, offline in transitions:
            self._tell_nodes("offline" if offline else "online", record.name)

    def node_added(self, name: str) -> None:
        """A node registered through a lens (not written as a document)."""
        self.nodes_changed()
        self._tell_nodes("added", name)

    def nodes_changed(self) -> None:
        """A node was added or came back: pending pods and waiting rollouts try again."""
        self.queue.requeue_unschedulable()
        self.workloads.node_returned()

    @contextlib.contextmanager
    def writing(self) -> Iterator[float]:
        """Hold the lock for a change; controllers run before it (not again inside it), the
        queue after it, and watchers are woken when it is done."""
        with self.changed:
            version = self.store.version
            outer = not self._ticking
            now = self.tick()
            self._ticking = True
            try:
                yield now
                if outer:
                    self.queue.run()
                    self.liveness_seen()
                    if self.durability is not None:
                        self.durability.save()
            finally:
                if outer:
                    self._ticking = False
                if self.store.version != version:
                    self.changed.notify_all()
                    for listener in list(self._listeners):
                        listener()

    # -- configuration -----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return config_to_dict(self.scheduler.config)

    def update_config(self, data: dict[str, Any]) -> None:
        """Apply ``profiles`` and ``extenders`` of a configuration (the rest is ignored, as in
        the real simulator); an invalid one is ``BadRequestError`` and changes nothing."""
        given = config_from_dict(data)
        with self.writing():
            current = self.scheduler.config
            candidate = with_defaults(
                evolve(current, profiles=given.profiles, extenders=given.extenders)
            )
            self.scheduler.configure(candidate)  # raises before anything changes if invalid
            self.queue.requeue_unschedulable()
            if self.durability is not None:
                self.durability.config_changed()

    def reset(self) -> None:
        """Every object of every lens goes (nodes, pods, workloads, volumes, classes, other
        namespaces, metrics), the configuration is the initial one again; the token signing
        key and revocations stay, and ``resourceVersion`` keeps growing."""
        with self.writing():
            for plural in reversed(list(KINDS)):
                for obj in list(self.store.items(plural)):
                    meta = obj["metadata"]
                    removed = self.store.delete(plural, meta["name"], meta.get("namespace"))
                    if plural == "nodes":
                        self.scheduler.remove_node(meta["name"])
                    del removed
            self.queue.clear()
            self.kube.clear()
            self.workloads.clear()
            for extension in self.extensions.values():
                extension.clear()
            self.metrics.clear()
            self.scheduler = Scheduler(self.table, self.initial_config, seed=self.seed)
            self._wire_scheduler()
            self._create_initial()
            if self.durability is not None:
                self.durability.cleared()

    # -- objects (the Kubernetes lens) -------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        with self.lock:
            self.tick()
            plural = kind_info(kind).plural
            return self.present(plural, self.store.get(plural, name, namespace), results=True)

    def list(
        self, kind: str, namespace: str | None = None, *, results: bool = False
    ) -> list[dict[str, Any]]:
        plural = kind_info(kind).plural
        with self.lock:
            self.tick()
            return [self.present(plural, o, results) for o in self.store.items(plural, namespace)]

    def create(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self._write(kind, obj, "create")

    def apply(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self._write(kind, obj, "apply")

    def update(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self._write(kind, obj, "update")

    def preview(self, kind: str, obj: dict[str, Any], how: str = "create") -> dict[str, Any]:
        """What ``create``, ``update`` or ``apply`` would answer, with every check and error,
        changing nothing (``dryRun=All``)."""
        plural = kind_info(kind).plural
        obj = copy_object(obj)
        validate_object(plural, obj, self.limits)
        with self.lock:
            existed = None
            metadata = obj.get("metadata") or {}
            if how != "create" and isinstance(metadata.get("name"), str):
                existed = self.store.find(plural, metadata["name"], metadata.get("namespace"))
            uid = self._admit(plural, obj, existed)
            stored = self.store.preview(plural, obj, how, uid=uid)
            return self.present(plural, stored, results=False)

    def delete(
        self,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        preconditions: dict[str, Any] | None = None,
        dry_run: bool = False,
        propagation: str | None = None,
    ) -> dict[str, Any]:
        """Delete; an object with finalizers only gets a ``deletionTimestamp`` and goes when
        its last finalizer is removed, as in Kubernetes. ``preconditions`` (``uid``,
        ``resourceVersion``) that no longer hold are ``ConflictError``; ``dry_run`` checks
        everything and deletes nothing. ``propagation`` (``Orphan``, ``Background``,
        ``Foreground``; Jobs default to ``Orphan`` as batch/v1 does, the rest to
        ``Background``) says what happens to the object's dependents. A namespace goes
        through ``Terminating`` while what it holds is deleted."""
        plural = kind_info(kind).plural
        if propagation is not None and propagation not in _PROPAGATION:
            raise BadRequestError(
                f"invalid propagationPolicy {propagation!r}: one of Orphan, Background, Foreground",
                {"propagationPolicy": "invalid"},
            )
        with self.writing():
            current = self.store.get(plural, name, namespace)
            _check_preconditions(plural, current, preconditions or {})
            if plural == "namespaces":
                forbid_namespace_deletion(name)
            if dry_run:
                return self.present(plural, current, results=True)
            meta = current["metadata"]
            finalizers = list(meta.get("finalizers") or ())
            deleting = meta.get("deletionTimestamp")
            policy = propagation or ("Orphan" if plural == "jobs" else "Background")
            extra = {"Orphan": ORPHAN, "Foreground": FOREGROUND}.get(policy)
            if not deleting and extra and extra not in finalizers and plural != "namespaces":
                finalizers.append(extra)
            waits = bool(finalizers) or (
                plural == "namespaces"
                and (not deleting or bool((current.get("spec") or {}).get("finalizers")))
            )
            if waits:
                if deleting:
                    return self.present(plural, current, results=True)
                marked = copy_object(current)
                marked["metadata"]["deletionTimestamp"] = self._timestamp()
                if finalizers:
                    marked["metadata"]["finalizers"] = finalizers
                if plural == "namespaces":
                    marked.setdefault("status", {})["phase"] = "Terminating"
                stored = self.store.update(plural, marked, check_version=False)
                answer = self.present(plural, stored, results=True)
                self.after(plural, MODIFIED, stored)
                return answer
            obj = self.store.delete(plural, name, namespace)
            self.after(plural, DELETED, obj)
            return copy_object(obj)

    def ensure_namespace(self, name: str) -> None:
        """Create a namespace if it does not exist (a lens that names one uses it)."""
        if self.store.find("namespaces", name) is None:
            self.create("namespaces", {"metadata": {"name": name}})

    def _timestamp(self) -> str:
        return to_datetime(int(self.clock.now())).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _write(self, kind: str, obj: dict[str, Any], how: str) -> dict[str, Any]:
        plural = kind_info(kind).plural
        if not isinstance(obj, dict):
            info = kind_info(kind)
            raise BadRequestError(f"a {info.kind} must be a JSON object", {"body": "not an object"})
        obj = copy_object(obj)
        validate_object(plural, obj, self.limits)
        with self.writing():
            existed = None
            if how != "create":
                metadata = obj.get("metadata") or {}
                name = metadata.get("name")
                if isinstance(name, str):
                    existed = self.store.find(plural, name, metadata.get("namespace"))
            uid = self._admit(plural, obj, existed)
            if existed is not None:
                deleting = existed["metadata"].get("deletionTimestamp")
                if deleting:  # the deletion stands; clients only remove finalizers
                    obj["metadata"]["deletionTimestamp"] = deleting
                    held = obj["metadata"].get("finalizers") or (
                        plural == "namespaces" and (obj.get("spec") or {}).get("finalizers")
                    )
                    if not held:
                        name = str(obj["metadata"]["name"])
                        namespace = obj["metadata"].get("namespace")
                        self.store.update(plural, obj, check_version=how == "update")
                        removed = self.store.delete(plural, name, namespace)
                        self.after(plural, DELETED, removed)
                        return copy_object(removed)
            if existed is not None and plural == "pods":
                self.queue.release(pod_key(existed))  # its result stays until it is rescheduled
            if how == "update":
                stored = self.store.update(plural, obj)
            else:
                stored = getattr(self.store, how)(plural, obj, uid=uid)
            self.after(plural, MODIFIED if existed is not None else ADDED, stored)
            self.queue.run()
            current = self.store.find(
                plural, stored["metadata"]["name"], stored["metadata"].get("namespace")
            )
            return self.present(plural, current or stored, results=True)

    def _admit(
        self, plural: str, obj: dict[str, Any], existing: dict[str, Any] | None = None
    ) -> str | None:
        """What admission does: defaults, allocations and checks (``kube.admission``), and a
        pod's priority from its PriorityClass. Returns the uid a new object gets (or None)."""
        if not isinstance(obj.get("metadata"), dict):
            return None  # the store refuses it with the right error
        uid = admit(plural, obj, existing, self.store)
        if plural == "pods":
            self._admit_pod(obj)
        return uid

    def _admit_pod(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            raise BadRequestError("spec must be an object", {"spec": "not an object"})
        class_name = spec.get("priorityClassName")
        if class_name:
            pc = self.store.find("priorityclasses", class_name)
            if pc is None:
                raise NotFoundError(
                    f"no PriorityClass with name {class_name} was found",
                    {"spec.priorityClassName": class_name},
                )
            spec["priority"] = int(pc.get("value", 0))
        elif spec.get("priority") is None:
            default = next(
                (pc for pc in self.store.items("priorityclasses") if pc.get("globalDefault")), None
            )
            spec["priority"] = int(default.get("value", 0)) if default else 0
        spec.setdefault("schedulerName", "default-scheduler")

    # -- reactions ---------------------------------------------------------------------------

    def after(self, plural: str, event: str, obj: dict[str, Any], *, schedule: bool = True) -> None:
        """What follows a change: the scheduler's tables, the queue, the controllers."""
        if plural == "nodes":
            self._node_changed(event, obj)
        elif plural == "pods":
            self._pod_changed(event, obj)
        elif plural == "leases" and event != DELETED:
            self._lease_renewed(obj)
        self.kube.changed(plural, event, obj)
        if plural == "pods":
            if event == DELETED:
                self.workloads.pod_deleted(obj)
            for extension in list(self.extensions.values()):
                extension.pod_event(event, obj)
        if schedule:
            self.queue.run()

    def _node_changed(self, event: str, node: dict[str, Any]) -> None:
        name = node["metadata"]["name"]
        if event == DELETED:
            self.node_removed(name)
        else:
            self.nodes_changed()
            if event == ADDED:
                self._tell_nodes("added", name)

    def node_removed(self, name: str) -> None:
        """A node is gone: the pods bound to it go too (pod GC), and their controllers
        replace them."""
        self.scheduler.remove_node(name)
        self._tell_nodes("removed", name)
        for pod in list(self.store.items("pods")):
            if (pod.get("spec") or {}).get("nodeName") == name:
                meta = pod["metadata"]
                self.queue.forget(pod_key(pod))
                removed = self.store.delete("pods", meta["name"], meta.get("namespace"))
                self.after("pods", DELETED, removed, schedule=False)
        self.queue.requeue_unschedulable()

    def _pod_changed(self, event: str, pod: dict[str, Any]) -> None:
        key = pod_key(pod)
        if event == DELETED:
            self.queue.forget(key)
            self.queue.requeue_unschedulable()
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if node and (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            self.scheduler.unbind(key)  # a finished pod holds nothing on its node
            self.queue.placed(key)
        elif node:
            if node in self.table.row_of:
                request = pod_request(pod, default_spread=self.queue.default_spread(pod))
                self.scheduler.assume(node, request, key)
            self.queue.placed(key)
        else:
            self.queue.add(key, pod)

    def pod_bound(self, pod: dict[str, Any]) -> None:
        """The scheduler bound a pod: its controller sees it ready."""
        self.kube.changed("pods", MODIFIED, pod)
        for extension in list(self.extensions.values()):
            extension.pod_event(MODIFIED, pod)

    def _lease_renewed(self, lease: dict[str, Any]) -> None:
        """A kubelet's heartbeat: a Lease in ``kube-node-lease`` named after its node."""
        meta = lease.get("metadata") or {}
        if meta.get("namespace") != _LEASES_NAMESPACE:
            return
        record = self.nodes.by_name.get(str(meta.get("name")))
        renewed = (lease.get("spec") or {}).get("renewTime")
        if record is None or not isinstance(renewed, str):
            return
        from ..surfaces.edge.nodemap import _epoch

        when = _epoch(renewed)
        if when is not None and self.nodes.heartbeat(record, when):
            self.nodes_changed()

    # -- presentation ------------------------------------------------------------------------

    def present(self, plural: str, obj: dict[str, Any], results: bool) -> dict[str, Any]:
        """An object as clients read it: pods with their result annotations."""
        out = copy_object(obj)
        if plural == "pods" and results:
            result = self.queue.results.get(pod_key(out))
            if result is not None:
                annotations = out["metadata"].setdefault("annotations", {})
                annotations.update(result.annotations(ANNOTATION_PREFIX))
        return out

    # -- export / import ---------------------------------------------------------------------

    def export(self) -> ResourcesForLoad:
        """Every object but the system ones, pods with their result annotations (how the
        real simulator's users save a scenario and its results), and the configuration."""
        with self.lock:
            self.tick()
            return export_resources(
                lambda kind: [self.present(kind, o, True) for o in self.store.items(kind)],
                self.config(),
            )

    def import_(self, resources: ResourcesForLoad) -> Sequence[str]:
        """Apply resources in the real simulator's order; bound pods stay bound. All or
        nothing: every object is validated first, and if applying one still fails, what the
        import changed is undone before the error is raised. An older exported configuration
        is read leniently: returns a warning per dropped field."""
        plan: Plan = list(import_plan(resources))
        if len(plan) > self.limits.max_import_objects:
            raise BadRequestError(
                f"an import may carry at most {self.limits.max_import_objects} objects "
                f"(this one has {len(plan)})",
                {"resources": f"more than {self.limits.max_import_objects} objects"},
            )
        config = None
        warnings: Sequence[str] = ()
        if resources.scheduler_config is not None:
            lenient, warnings = lenient_config(resources.scheduler_config)
            config = config_from_dict(lenient)  # raises if invalid
        with _without_gc_pauses(), self.writing():
            self._check_import(plan)
            before = self.scheduler.config
            undo: Undo = []
            try:
                if config is not None:
                    self.update_config(lenient)
                self._apply_plan(plan, undo)
            except Exception:
                self._undo_import(undo, before)
                raise
        return warnings

    def _check_import(self, plan: Plan) -> None:
        """Every object valid, in an existing or imported namespace (before any write)."""
        namespaces = {n["metadata"]["name"] for n in self.store.items("namespaces")}
        for plural, obj in plan:
            validate_object(plural, obj, self.limits)
            name = obj["metadata"].get("name")
            if not isinstance(name, str) or not name:
                info = kind_info(plural)
                raise BadRequestError(
                    f"{info.kind}: metadata.name is required", {"metadata.name": "required"}
                )
            if plural == "namespaces":
                namespaces.add(name)
            elif kind_info(plural).namespaced:
                namespace = obj["metadata"].get("namespace") or "default"
                if namespace not in namespaces:
                    raise NotFoundError(
                        f'namespaces "{namespace}" not found',
                        {"kind": "namespaces", "name": namespace},
                    )
            class_name = (obj.get("spec") or {}).get("priorityClassName")
            if plural == "pods" and class_name and not self._imported_class(plan, class_name):
                raise NotFoundError(
                    f"no PriorityClass with name {class_name} was found",
                    {"spec.priorityClassName": class_name},
                )

    def _imported_class(self, plan: Plan, name: str) -> bool:
        return self.store.find("priorityclasses", name) is not None or any(
            p == "priorityclasses" and o["metadata"].get("name") == name for p, o in plan
        )

    def _apply_plan(self, plan: Plan, undo: Undo) -> None:
        claim_uids: dict[str, str] = {}
        for plural, obj in plan:
            report(1, len(plan))
            name = obj["metadata"].get("name", "")
            namespace = obj["metadata"].get("namespace")
            self._admit(plural, obj, self.store.find(plural, name, namespace))
            if plural == "persistentvolumes":
                fix_claim_ref(obj, claim_uids)
            existed = self.store.find(plural, name, namespace)
            undo.append(
                (plural, name, namespace, None if existed is None else copy_object(existed))
            )
            if existed is not None and plural == "pods":
                self.queue.forget(pod_key(existed))
            stored = self.store.apply(plural, obj)
            if plural == "persistentvolumeclaims":
                claim_uids[f"{stored['metadata']['namespace']}/{name}"] = stored["metadata"]["uid"]
            self.after(plural, MODIFIED if existed is not None else ADDED, stored, schedule=False)

    def _undo_import(self, undo: Undo, config: SchedulerConfiguration) -> None:
        """Put back what a failed import changed (objects in reverse order, the config)."""
        for plural, name, namespace, previous in reversed(undo):
            current = self.store.find(plural, name, namespace)
            if current is not None:
                if plural == "pods":
                    self.queue.forget(pod_key(current))
                removed = self.store.delete(plural, name, namespace)
                self.after(plural, DELETED, removed, schedule=False)
            if previous is not None:
                previous["metadata"].pop("resourceVersion", None)
                restored = self.store.apply(plural, previous)
                self.after(plural, ADDED, restored, schedule=False)
        if self.scheduler.config is not config:
            self.scheduler.configure(config)

    # -- watch -------------------------------------------------------------------------------

    def watch(
        self,
        versions: dict[str, str | None] | None = None,
        *,
        timeout: float | None = None,
        kinds: set[str] | None = None,
        heartbeat: float | None = None,
    ) -> Iterator[tuple[str, str, dict[str, Any]] | None]:
        """``(plural, event type, object)``: see ``memory.watch.watch_events``."""
        return watch_events(self, versions, timeout=timeout, kinds=kinds, heartbeat=heartbeat)


def _check_preconditions(plural: str, obj: dict[str, Any], preconditions: dict[str, Any]) -> None:
    """A delete's ``preconditions``, as the API server checks them (409 if they fail)."""
    metadata = obj["metadata"]
    for key, field in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
        wanted = preconditions.get(key)
        if wanted is not None and wanted != metadata.get(key):
            raise ConflictError(
                f'Operation cannot be fulfilled on {plural} "{metadata["name"]}": Precondition '
                f"failed: {field} in precondition: {wanted}, {field} in object meta: "
                f"{metadata.get(key)}",
                {"kind": plural, "name": metadata["name"], "reason": "Conflict"},
            )


class _StoreVolumes:
    """The scheduler's ``VolumeSource``, read from the object store."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def claim(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.store.find("persistentvolumeclaims", name, namespace)

    def volume(self, name: str) -> dict[str, Any] | None:
        return self.store.find("persistentvolumes", name)

    def storage_class(self, name: str) -> dict[str, Any] | None:
        return self.store.find("storageclasses", name)

    def volumes(self) -> list[dict[str, Any]]:
        return list(self.store.items("persistentvolumes"))


class _Writer:
    """The cluster's object operations, for the Kubernetes workload controllers."""

    def __init__(self, core: Cluster) -> None:
        self.core = core

    def find(self, plural: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        return self.core.store.find(plural, name, namespace)

    def items(self, plural: str, namespace: str | None) -> list[dict[str, Any]]:
        return list(self.core.store.items(plural, namespace))

    def create(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.core.create(plural, obj)

    def update(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        obj["metadata"].pop("resourceVersion", None)  # controllers hold the lock: theirs is current
        return self.core.update(plural, obj)

    def delete(
        self, plural: str, name: str, namespace: str | None, propagation: str | None = None
    ) -> None:
        if self.core.store.find(plural, name, namespace) is not None:
            self.core.delete(plural, name, namespace, propagation=propagation or "Background")

    def now(self) -> float:
        return self.core.clock.now()


@contextlib.contextmanager
def _without_gc_pauses() -> Iterator[None]:
    """Run a long write (an import of thousands of objects) without the cyclic collector's
    full passes, which stall every thread — the server's event loop too — for as long as a
    pass over the whole heap takes; what the write built, long-lived, is then left out of
    later passes (``gc.freeze``). Reference counting frees garbage as usual meanwhile."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
