"""The memory cluster's scheduling queue: pending pods, their cycles and their results.

Pods without ``spec.nodeName`` whose ``schedulerName`` is a configured profile are queued
(PrioritySort: higher priority first, then arrival) and scheduled as soon as the change that
created them is done. Unschedulable pods are retried when the cluster changes in a way that
may help (a node added, changed or back, a pod deleted, a new configuration). Each pod's last
``ScheduleResult`` is kept compactly and rendered as the simulator's annotations on read.
"""

from __future__ import annotations

import heapq
import itertools
from typing import TYPE_CHECKING, Any

from ..engine import ScheduleResult
from ..engine.types import LabelSelector
from ..engine.volumes import pick_volume
from ..kube.events import NORMAL, WARNING, reference
from ..kube.kinds import KINDS, object_key
from ..kube.scheduling import controller_selector, schedule_pod
from ..kube.store import copy_object
from ..kube.translate import bound_status, pod_request, unschedulable_status
from ..timeutil import to_datetime

if TYPE_CHECKING:
    from .core import Cluster

__all__ = ["SchedulingQueue", "pod_key"]


def pod_key(pod: dict[str, Any]) -> str:
    meta = pod["metadata"]
    return object_key(KINDS["pods"], meta["name"], meta.get("namespace") or "default")


class SchedulingQueue:
    """Pending pods of the memory cluster, and the results of their last cycles."""

    def __init__(self, core: Cluster) -> None:
        self.core = core
        self.results: dict[str, ScheduleResult] = {}
        self.messages: dict[str, str] = {}
        self._heap: list[tuple[int, int, str]] = []
        self._queued: set[str] = set()
        self._unschedulable: set[str] = set()
        self._seq = itertools.count()

    def clear(self) -> None:
        self.results.clear()
        self.messages.clear()
        self._heap.clear()
        self._queued.clear()
        self._unschedulable.clear()

    # -- the queue ---------------------------------------------------------------------------

    def add(self, key: str, pod: dict[str, Any]) -> None:
        if key in self._queued:
            return
        spec = pod.get("spec") or {}
        if (spec.get("schedulerName") or "default-scheduler") not in self.core.scheduler.profiles:
            return  # another scheduler's pod
        self._queued.add(key)
        heapq.heappush(self._heap, (-int(spec.get("priority") or 0), next(self._seq), key))

    def placed(self, key: str) -> None:
        self._unschedulable.discard(key)

    def release(self, key: str) -> None:
        """A pod is replaced by a write: its accounting goes (the write accounts it again),
        its last result stays — results change only when a pod is scheduled again."""
        self.core.scheduler.unbind(key)
        self._queued.discard(key)

    def forget(self, key: str) -> None:
        """A pod went away (or is replaced): its accounting and result go too."""
        self.core.scheduler.unbind(key)
        self._unschedulable.discard(key)
        self._queued.discard(key)
        self.results.pop(key, None)
        self.messages.pop(key, None)

    def requeue_unschedulable(self) -> None:
        store = self.core.store
        for key in list(self._unschedulable):
            namespace, name = key.split("/", 1)
            pod = store.find("pods", name, namespace)
            if pod is not None:
                self.add(key, pod)
        self._unschedulable.clear()

    def run(self) -> None:
        """Schedule every queued pod."""
        store = self.core.store
        while self._heap:
            _, _, key = heapq.heappop(self._heap)
            if key not in self._queued:
                continue
            self._queued.discard(key)
            namespace, name = key.split("/", 1)
            pod = store.find("pods", name, namespace)
            if pod is None or (pod.get("spec") or {}).get("nodeName"):
                continue
            request = pod_request(pod, default_spread=self.default_spread(pod))
            schedule_pod(self.core.scheduler, pod, request, key, _StoreBinder(self, key))

    def default_spread(self, pod: dict[str, Any]) -> LabelSelector | None:
        """The selector of the pod's controller, for PodTopologySpread's system defaults
        (a ReplicaSet or StatefulSet, or the edge workload)."""
        for ref in (pod.get("metadata") or {}).get("ownerReferences") or ():
            if isinstance(ref, dict) and ref.get("controller") and ref.get("kind") == "Workload":
                return self.core.workloads.spread_selector(str(ref.get("uid", "")))
        return controller_selector(pod, self.core.store.find)


class _StoreBinder:
    """A scheduling cycle's effects on the memory cluster's store."""

    def __init__(self, queue: SchedulingQueue, key: str) -> None:
        self.queue, self.key = queue, key
        self.core = queue.core

    def _now(self) -> str:
        return to_datetime(int(self.core.clock.now())).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _scheduler_name(self, pod: dict[str, Any]) -> str:
        return str((pod.get("spec") or {}).get("schedulerName") or "default-scheduler")

    def evict(self, key: str, node: str) -> None:
        namespace, name = key.split("/", 1)
        gone = self.core.store.find("pods", name, namespace)
        if gone is not None:
            preemptor_ns, preemptor_name = self.key.split("/", 1)
            preemptor = self.core.store.find("pods", preemptor_name, preemptor_ns) or {}
            uid = (preemptor.get("metadata") or {}).get("uid", "")
            self.core.events.record(
                gone,
                NORMAL,
                "Preempted",
                f"Preempted by pod {uid} on node {node}",
                component=self._scheduler_name(preemptor),
                action="Preempting",
                related=reference(preemptor) if preemptor else None,
            )
            self.queue.forget(key)
            removed = self.core.store.delete("pods", name, namespace)
            self.core.after("pods", "DELETED", removed, schedule=False)

    def nominate(self, pod: dict[str, Any], node: str) -> dict[str, Any]:
        nominated = copy_object(pod)
        nominated.setdefault("status", {})["nominatedNodeName"] = node
        stored: dict[str, Any] = self.core.store.update("pods", nominated, check_version=False)
        return stored

    def bind(self, pod: dict[str, Any], node: str, result: ScheduleResult) -> None:
        self.queue.results[self.key] = result
        self.queue.messages.pop(self.key, None)
        self._bind_claims(pod, node)
        updated = copy_object(pod)
        updated.setdefault("spec", {})["nodeName"] = node
        updated["status"] = bound_status(
            updated.get("status") or {}, self._now(), updated["spec"].get("containers")
        )
        stored = self.core.store.update("pods", updated, check_version=False)
        meta = stored["metadata"]
        self.core.events.record(
            stored,
            NORMAL,
            "Scheduled",
            f"Successfully assigned {meta.get('namespace')}/{meta['name']} to {node}",
            component=self._scheduler_name(stored),
            action="Binding",
        )
        self.core.pod_bound(stored)

    def unschedulable(self, pod: dict[str, Any], result: ScheduleResult) -> None:
        self.queue.results[self.key] = result
        self.queue.messages[self.key] = result.message or ""
        self.queue._unschedulable.add(self.key)
        updated = copy_object(pod)
        updated["status"] = unschedulable_status(
            updated.get("status") or {}, result.message, self._now()
        )
        stored = self.core.store.update("pods", updated, check_version=False)
        self.core.events.record(
            stored,
            WARNING,
            "FailedScheduling",
            result.message or "",
            component=self._scheduler_name(stored),
            action="Scheduling",
        )

    def _bind_claims(self, pod: dict[str, Any], node: str) -> None:
        """VolumeBinding's PreBind: bind each unbound claim to a volume usable on ``node``,
        provisioning one when the claim's class has a provisioner."""
        store = self.core.store
        namespace = pod["metadata"]["namespace"]
        for volume in (pod.get("spec") or {}).get("volumes") or ():
            name = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            pvc = store.find("persistentvolumeclaims", name, namespace) if name else None
            if pvc is None or (pvc.get("spec") or {}).get("volumeName"):
                continue
            pv = pick_volume(self.core.scheduler.state.volumes, pvc, self.core.table, node)
            pv = _provisioned(pvc, node) if pv is None else copy_object(pv)
            pv.setdefault("spec", {})["claimRef"] = {
                "kind": "PersistentVolumeClaim",
                "namespace": namespace,
                "name": name,
                "uid": pvc["metadata"]["uid"],
                "apiVersion": "v1",
            }
            pv.setdefault("status", {})["phase"] = "Bound"
            store.apply("persistentvolumes", pv)
            claim = copy_object(pvc)
            claim.setdefault("spec", {})["volumeName"] = pv["metadata"]["name"]
            claim.setdefault("status", {})["phase"] = "Bound"
            claim["status"]["capacity"] = (pv.get("spec") or {}).get("capacity") or {}
            store.update("persistentvolumeclaims", claim, check_version=False)


def _provisioned(pvc: dict[str, Any], node: str) -> dict[str, Any]:
    """The volume a dynamic provisioner would create for ``pvc`` on ``node``."""
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
