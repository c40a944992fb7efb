"""The scheduler simulator on the memory cluster.

Objects live in an ``ObjectStore``; nodes are mirrored into the engine's node table;
pods without ``spec.nodeName`` whose ``schedulerName`` is a configured profile are queued
(PrioritySort: higher priority first, then arrival) and scheduled as soon as the change
that created them is done. Unschedulable pods are retried when the cluster changes in a
way that may help (a node added or changed, a pod deleted, a new configuration). Each
pod's last ``ScheduleResult`` is kept compactly and rendered as the real simulator's
annotations when the pod is read.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from typing import Any

from attrs import evolve

from ..clock import Clock
from ..engine import NodeTable, Scheduler, SchedulerConfiguration, ScheduleResult
from ..engine.extenders import bind_with
from ..engine.volumes import pick_volume
from ..errors import BadRequestError, NotFoundError
from ..kube.controllers import Controllers
from ..kube.kinds import KINDS, SIMULATOR_KINDS, kind_info, object_key
from ..kube.snapshot import export_resources, fix_claim_ref, import_plan
from ..kube.store import ADDED, DELETED, MODIFIED, ObjectStore, copy_object
from ..kube.translate import bound_status, pod_request, sync_node, unschedulable_status
from ..models.simulator import ANNOTATION_PREFIX, ResourcesForLoad
from ..surfaces.simulator.config import config_from_dict, config_to_dict, with_defaults
from ..timeutil import to_datetime

__all__ = ["INITIAL_OBJECTS", "SimulatorService"]

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


class SimulatorService:
    """Pods, nodes, volumes, classes and namespaces, scheduled by the engine."""

    def __init__(
        self,
        clock: Clock,
        config: SchedulerConfiguration | None = None,
        *,
        seed: int = 0,
        lock: threading.RLock | None = None,
    ) -> None:
        self.clock = clock
        self.lock = lock or threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.seed = seed
        self.initial_config = with_defaults(config or SchedulerConfiguration())
        self._build(self.initial_config)

    def _build(self, config: SchedulerConfiguration) -> None:
        self.store = ObjectStore(self.clock)
        self.table = NodeTable()
        self.scheduler = Scheduler(self.table, config, seed=self.seed)
        self.scheduler.state.volumes = _StoreVolumes(self.store)
        self.scheduler.state.namespace_labels = self._namespace_labels
        self.scheduler.state.node_object = lambda name: copy_object(self.store.get("nodes", name))
        self.controllers = Controllers(_ServiceWriter(self))
        self.results: dict[str, ScheduleResult] = {}
        self.messages: dict[str, str] = {}
        self._queue: list[tuple[int, int, str]] = []
        self._queued: set[str] = set()
        self._unschedulable: set[str] = set()
        self._seq = itertools.count()
        for kind, obj in INITIAL_OBJECTS:
            self.store.create(kind, copy_object(obj))

    # -- configuration -----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return config_to_dict(self.scheduler.config)

    def update_config(self, data: dict[str, Any]) -> None:
        """Apply ``profiles`` and ``extenders`` of a configuration (the rest is ignored, as
        in the real simulator); an invalid one is ``BadRequestError`` and changes nothing."""
        given = config_from_dict(data)
        with self.lock:
            current = self.scheduler.config
            candidate = with_defaults(
                evolve(current, profiles=given.profiles, extenders=given.extenders)
            )
            self.scheduler.configure(candidate)  # raises before anything changes if invalid
            self._requeue_unschedulable()
            self._run()

    def reset(self) -> None:
        """Every object and the configuration back to the initial state."""
        with self.changed:
            self._build(self.initial_config)
            self.changed.notify_all()

    # -- objects -----------------------------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        with self.lock:
            obj = self.store.get(kind, name, namespace)
            return self._present(kind_info(kind).plural, obj, results=True)

    def list(
        self, kind: str, namespace: str | None = None, *, results: bool = False
    ) -> list[dict[str, Any]]:
        plural = kind_info(kind).plural
        with self.lock:
            return [self._present(plural, o, results) for o in self.store.items(plural, namespace)]

    def create(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self._write(kind, obj, "create")

    def apply(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self._write(kind, obj, "apply")

    def update(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self._write(kind, obj, "update")

    def delete(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        """Delete; an object with finalizers only gets a ``deletionTimestamp`` and goes when
        its last finalizer is removed, as in Kubernetes."""
        info = kind_info(kind)
        with self.changed:
            current = self.store.get(info.plural, name, namespace)
            if current["metadata"].get("finalizers"):
                if current["metadata"].get("deletionTimestamp"):
                    return self._present(info.plural, current, results=True)
                marked = copy_object(current)
                marked["metadata"]["deletionTimestamp"] = to_datetime(
                    int(self.clock.now())
                ).strftime("%Y-%m-%dT%H:%M:%SZ")
                stored = self.store.update(info.plural, marked, check_version=False)
                self.changed.notify_all()
                return self._present(info.plural, stored, results=True)
            obj = self.store.delete(info.plural, name, namespace)
            self._after(info.plural, DELETED, obj)
            self._run()
            self.changed.notify_all()
            return copy_object(obj)

    def _write(self, kind: str, obj: dict[str, Any], how: str) -> dict[str, Any]:
        info = kind_info(kind)
        if not isinstance(obj, dict):
            raise BadRequestError(f"a {info.kind} must be a JSON object", {"body": "not an object"})
        obj = copy_object(obj)
        with self.changed:
            self._admit(info.plural, obj)
            existed = None
            if how != "create":
                name = (obj.get("metadata") or {}).get("name")
                if isinstance(name, str):
                    existed = self.store.find(
                        info.plural, name, (obj.get("metadata") or {}).get("namespace")
                    )
            if existed is not None:
                deleting = existed["metadata"].get("deletionTimestamp")
                if deleting:  # the deletion stands; clients only remove finalizers
                    obj["metadata"]["deletionTimestamp"] = deleting
                    if not obj["metadata"].get("finalizers"):
                        name = str(obj["metadata"]["name"])
                        namespace = obj["metadata"].get("namespace")
                        self.store.update(info.plural, obj, check_version=how == "update")
                        removed = self.store.delete(info.plural, name, namespace)
                        self._after(info.plural, DELETED, removed)
                        self._run()
                        self.changed.notify_all()
                        return copy_object(removed)
            if existed is not None and info.plural == "pods":
                self._forget_pod(existed)
            stored = getattr(self.store, how)(info.plural, obj)
            self._after(info.plural, MODIFIED if existed is not None else ADDED, stored)
            self._run()
            self.changed.notify_all()
            current = self.store.find(
                info.plural, stored["metadata"]["name"], stored["metadata"].get("namespace")
            )
            return self._present(info.plural, current or stored, results=True)

    def _admit(self, plural: str, obj: dict[str, Any]) -> None:
        """What admission does on create: a pod's priority from its PriorityClass."""
        if plural != "pods":
            return
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

    def _after(self, plural: str, event: str, obj: dict[str, Any]) -> None:
        self._react(plural, event, obj)
        self.controllers.changed(plural, event, obj)

    def _react(self, plural: str, event: str, obj: dict[str, Any]) -> None:
        if plural == "nodes":
            name = obj["metadata"]["name"]
            if event == DELETED:
                self.scheduler.remove_node(name)
            else:
                self._sync_node(obj)
                self._requeue_unschedulable()
        elif plural == "pods":
            key = object_key(KINDS["pods"], obj["metadata"]["name"], obj["metadata"]["namespace"])
            if event == DELETED:
                self._forget_pod(obj)
                self._requeue_unschedulable()
            else:
                node = (obj.get("spec") or {}).get("nodeName")
                if node:
                    if node in self.table.row_of:
                        self.scheduler.assume(node, pod_request(obj), key)
                    self._unschedulable.discard(key)
                else:
                    self._enqueue(key, obj)

    def _sync_node(self, node: dict[str, Any]) -> None:
        sync_node(self.table, node)

    def _forget_pod(self, pod: dict[str, Any]) -> None:
        key = object_key(KINDS["pods"], pod["metadata"]["name"], pod["metadata"].get("namespace"))
        self.scheduler.unbind(key)
        self._unschedulable.discard(key)
        self._queued.discard(key)
        self.results.pop(key, None)
        self.messages.pop(key, None)

    def _enqueue(self, key: str, pod: dict[str, Any]) -> None:
        if key in self._queued:
            return
        scheduler_name = (pod.get("spec") or {}).get("schedulerName") or "default-scheduler"
        if scheduler_name not in self.scheduler.profiles:
            return  # another scheduler's pod
        priority = int((pod.get("spec") or {}).get("priority") or 0)
        self._queued.add(key)
        heapq.heappush(self._queue, (-priority, next(self._seq), key))

    def _requeue_unschedulable(self) -> None:
        for key in list(self._unschedulable):
            namespace, name = key.split("/", 1)
            pod = self.store.find("pods", name, namespace)
            if pod is not None:
                self._enqueue(key, pod)
        self._unschedulable.clear()

    # -- scheduling --------------------------------------------------------------------------

    def _run(self) -> None:
        """Schedule every queued pod."""
        while self._queue:
            _, _, key = heapq.heappop(self._queue)
            if key not in self._queued:
                continue
            self._queued.discard(key)
            namespace, name = key.split("/", 1)
            pod = self.store.find("pods", name, namespace)
            if pod is None or (pod.get("spec") or {}).get("nodeName"):
                continue
            self._schedule_one(key, pod)

    def _namespace_labels(self, name: str) -> dict[str, str]:
        namespace = self.store.find("namespaces", name)
        return dict(((namespace or {}).get("metadata") or {}).get("labels") or {})

    def _bind_claims(self, pod: dict[str, Any], node: str) -> None:
        """VolumeBinding's PreBind: bind each unbound claim to a volume usable on ``node``,
        provisioning one when the claim's class has a provisioner."""
        namespace = pod["metadata"]["namespace"]
        for volume in (pod.get("spec") or {}).get("volumes") or ():
            name = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            pvc = self.store.find("persistentvolumeclaims", name, namespace) if name else None
            if pvc is None or (pvc.get("spec") or {}).get("volumeName"):
                continue
            pv = pick_volume(self.scheduler.state.volumes, pvc, self.table, node)
            pv = self._provision(pvc, node) if pv is None else copy_object(pv)
            pv.setdefault("spec", {})["claimRef"] = {
                "kind": "PersistentVolumeClaim",
                "namespace": namespace,
                "name": name,
                "uid": pvc["metadata"]["uid"],
                "apiVersion": "v1",
            }
            pv.setdefault("status", {})["phase"] = "Bound"
            self.store.apply("persistentvolumes", pv)
            claim = copy_object(pvc)
            claim.setdefault("spec", {})["volumeName"] = pv["metadata"]["name"]
            claim.setdefault("status", {})["phase"] = "Bound"
            claim["status"]["capacity"] = (pv.get("spec") or {}).get("capacity") or {}
            self.store.update("persistentvolumeclaims", claim, check_version=False)

    def _provision(self, pvc: dict[str, Any], node: str) -> dict[str, Any]:
        spec = pvc.get("spec") or {}
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "0")
        return {
            "metadata": {
                "name": f"pvc-{pvc['metadata']['uid']}",
                "annotations": {"pv.kubernetes.io/provisioned-by": "k8sedge"},
            },
            "spec": {
                "capacity": {"storage": size},
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "storageClassName": spec.get("storageClassName") or "",
                "persistentVolumeReclaimPolicy": "Delete",
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "kubernetes.io/hostname",
                                        "operator": "In",
                                        "values": [node],
                                    }
                                ]
                            }
                        ]
                    }
                },
            },
        }

    def _schedule_one(self, key: str, pod: dict[str, Any], attempt: int = 0) -> None:
        request = pod_request(pod)
        result = self.scheduler.schedule(request)
        if result.selected_node is None and result.victims and attempt == 0:
            # DefaultPreemption: evict the victims, then the pod gets its nominated node
            for victim in result.victims:
                namespace, name = victim.split("/", 1)
                gone = self.store.find("pods", name, namespace)
                if gone is not None:
                    self._forget_pod(gone)
                    self.store.delete("pods", name, namespace)
            nominated = copy_object(pod)
            nominated.setdefault("status", {})["nominatedNodeName"] = result.nominated_node
            stored = self.store.update("pods", nominated, check_version=False)
            self._schedule_one(key, stored, attempt + 1)
            return
        if result.selected_node is not None:
            for extender in self.scheduler.extenders:
                if extender.config.bind_verb and extender.interested(request):
                    error = bind_with(extender, request, result.selected_node)
                    if error is not None:
                        result.selected_node, result.message = None, error
                    break
        self.results[key] = result
        updated = copy_object(pod)
        status = updated.setdefault("status", {})
        now = to_datetime(int(self.clock.now())).strftime("%Y-%m-%dT%H:%M:%SZ")
        if result.selected_node is not None:
            self.scheduler.bind(result, request, key)
            self._bind_claims(pod, result.selected_node)
            updated.setdefault("spec", {})["nodeName"] = result.selected_node
            updated["status"] = bound_status(status, now)
            self.messages.pop(key, None)
        else:
            updated["status"] = unschedulable_status(status, result.message, now)
            self.messages[key] = result.message or ""
            self._unschedulable.add(key)
        self.store.update("pods", updated, check_version=False)

    # -- presentation ------------------------------------------------------------------------

    def _present(self, plural: str, obj: dict[str, Any], results: bool) -> dict[str, Any]:
        out = copy_object(obj)
        if plural == "pods" and results:
            key = object_key(
                KINDS["pods"], out["metadata"]["name"], out["metadata"].get("namespace")
            )
            result = self.results.get(key)
            if result is not None:
                annotations = out["metadata"].setdefault("annotations", {})
                annotations.update(result.annotations(ANNOTATION_PREFIX))
        return out

    # -- export / import ---------------------------------------------------------------------

    def export(self) -> ResourcesForLoad:
        with self.lock:
            return export_resources(
                lambda kind: [copy_object(o) for o in self.store.items(kind)], self.config()
            )

    def import_(self, resources: ResourcesForLoad) -> None:
        """Apply resources in the real simulator's order; bound pods stay bound."""
        with self.changed:
            if resources.scheduler_config is not None:
                self.update_config(resources.scheduler_config)
            claim_uids: dict[str, str] = {}
            for plural, obj in import_plan(resources):
                name = obj["metadata"].get("name", "")
                if plural == "pods":
                    self._admit(plural, obj)
                if plural == "persistentvolumes":
                    fix_claim_ref(obj, claim_uids)
                existed = self.store.find(plural, name, obj["metadata"].get("namespace"))
                if existed is not None and plural == "pods":
                    self._forget_pod(existed)
                stored = self.store.apply(plural, obj)
                if plural == "persistentvolumeclaims":
                    namespace = stored["metadata"]["namespace"]
                    claim_uids[f"{namespace}/{name}"] = stored["metadata"]["uid"]
                self._after(plural, MODIFIED if existed is not None else ADDED, stored)
            self._run()
            self.changed.notify_all()

    # -- watch -------------------------------------------------------------------------------

    def watch(
        self,
        versions: dict[str, str | None] | None = None,
        *,
        timeout: float | None = None,
        kinds: set[str] | None = None,
        heartbeat: float | None = None,
    ) -> Iterator[tuple[str, str, dict[str, Any]] | None]:
        """``(plural, event type, object)``: for kinds without a version, every object as
        ``ADDED`` first; then changes as they happen, until ``timeout`` seconds pass quietly.
        With ``heartbeat``, ``None`` is yielded after that many idle seconds (so a server can
        notice a client that went away)."""
        import time

        wanted = set(kinds or SIMULATOR_KINDS)
        versions = dict(versions or {})
        with self.lock:
            start = self.store.version
            since: dict[str, int] = {}
            initial: list[tuple[str, str, dict[str, Any]]] = []
            for plural in wanted:
                raw = versions.get(plural)
                if raw:
                    try:
                        since[plural] = int(raw)
                    except ValueError:
                        raise BadRequestError(
                            f"invalid resource version {raw!r}", {plural: "not a resource version"}
                        ) from None
                    continue
                since[plural] = start
                initial += [
                    (plural, ADDED, self._present(plural, o, True))
                    for o in self.store.items(plural)
                ]
            low = min(since.values()) if since else start
            backlog = self.store.events_since(low, wanted)
        yield from initial
        cursor = low
        while True:
            for version, plural, event, obj in backlog:
                cursor = version
                if version > since.get(plural, cursor):
                    with self.lock:
                        presented = self._present(plural, obj, plural == "pods")
                    yield plural, event, presented
            deadline = None if timeout is None else time.monotonic() + timeout
            backlog = []
            while not backlog:
                with self.changed:
                    while self.store.version <= cursor:
                        remaining = None if deadline is None else deadline - time.monotonic()
                        if remaining is not None and remaining <= 0:
                            return
                        if heartbeat is not None:
                            remaining = (
                                heartbeat if remaining is None else min(remaining, heartbeat)
                            )
                        if not self.changed.wait(remaining) and heartbeat is not None:
                            break
                    if self.store.version > cursor:
                        backlog = self.store.events_since(cursor, wanted)
                        if not backlog:
                            cursor = self.store.version  # changes to kinds not watched
                        continue
                yield None


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


class _ServiceWriter:
    """The service's object operations, for the workload controllers."""

    def __init__(self, service: SimulatorService) -> None:
        self.service = service

    def find(self, plural: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        return self.service.store.find(plural, name, namespace)

    def items(self, plural: str, namespace: str | None) -> list[dict[str, Any]]:
        return list(self.service.store.items(plural, namespace))

    def create(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.service.create(plural, obj)

    def update(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.service.update(plural, obj)

    def delete(self, plural: str, name: str, namespace: str | None) -> None:
        if self.service.store.find(plural, name, namespace) is not None:
            self.service.delete(plural, name, namespace)
