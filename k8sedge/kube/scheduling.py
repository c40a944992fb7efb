"""One scheduling cycle for a pod document, shared by every place that schedules.

kube-scheduler's cycle after filter and score: DefaultPreemption evicts the victims and
nominates a node (the pod is then tried once more), an extender that binds is asked to,
then the pod is bound — the claims it uses are bound first (VolumeBinding's PreBind). What
"evict", "bind" and "record a failure" mean is the caller's: the memory cluster writes its
store, the kubernetes backend calls the API server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..engine import PodRequest, Scheduler, ScheduleResult
from ..engine.extenders import bind_with
from ..engine.types import LabelSelector
from .translate import label_selector

__all__ = ["Binder", "controller_selector", "schedule_pod"]

_CONTROLLERS = {"ReplicaSet": "replicasets", "StatefulSet": "statefulsets"}


def controller_selector(
    pod: dict[str, Any], find: Callable[[str, str, str | None], dict[str, Any] | None]
) -> LabelSelector | None:
    """The selector of the ReplicaSet or StatefulSet that controls ``pod`` (upstream's
    ``DefaultSelector``, for PodTopologySpread's system default constraints)."""
    meta = pod.get("metadata") or {}
    for ref in meta.get("ownerReferences") or ():
        if not isinstance(ref, dict) or not ref.get("controller"):
            continue
        plural = _CONTROLLERS.get(str(ref.get("kind")))
        owner = find(plural, str(ref.get("name", "")), meta.get("namespace")) if plural else None
        if owner is not None:
            return label_selector((owner.get("spec") or {}).get("selector"))
    return None


class Binder(Protocol):
    """What a scheduling cycle does to the cluster."""

    def evict(self, key: str, node: str) -> None:
        """Delete a preemption victim (``namespace/name``) to make room on ``node``."""

    def nominate(self, pod: dict[str, Any], node: str) -> dict[str, Any]:
        """Record ``status.nominatedNodeName``; returns the pod as it now stands."""

    def bind(self, pod: dict[str, Any], node: str, result: ScheduleResult) -> None:
        """Bind the pod's claims (PreBind), then the pod (Bind)."""

    def unschedulable(self, pod: dict[str, Any], result: ScheduleResult) -> None:
        """Record why the pod cannot be scheduled now."""


def schedule_pod(
    scheduler: Scheduler, pod: dict[str, Any], request: PodRequest, key: str, binder: Binder
) -> ScheduleResult:
    """Schedule one pod: filter and score, preempt once if that helps, extender bind, bind."""
    result = scheduler.schedule(request)
    if result.selected_node is None and result.victims and result.nominated_node:
        for victim in result.victims:
            binder.evict(victim, result.nominated_node)
            scheduler.unbind(victim)
        pod = binder.nominate(pod, result.nominated_node)
        result = scheduler.schedule(request)
    if result.selected_node is not None:
        for extender in scheduler.extenders:
            if extender.config.bind_verb and extender.interested(request):
                error = bind_with(extender, request, result.selected_node)
                if error is not None:
                    result.selected_node, result.message = None, error
                break
    if result.selected_node is None:
        binder.unschedulable(pod, result)
        return result
    scheduler.bind(result, request, key)
    binder.bind(pod, result.selected_node, result)
    return result
