"""The ReplicaSet controller (``pkg/controller/replicaset``): pods to match ``replicas``,
orphans adopted, the surplus deleted in upstream's order, and the status counts.

``create_pod`` and ``delete_pod`` are ``RealPodControl``: the ReplicaSet, Job and DaemonSet
controllers record ``SuccessfulCreate``/``FailedCreate``/``SuccessfulDelete`` through them.
"""

from __future__ import annotations

from typing import Any

from ..errors import K8sEdgeError
from .controllers import Context
from .events import NORMAL, WARNING
from .podutil import (
    controller_ref,
    epoch,
    is_active,
    is_available,
    is_ready,
    new_pod,
    owner_ref,
    ready_since,
    selector_matches,
)
from .store import copy_object

__all__ = ["claim", "create_pod", "delete_pod", "sync", "update_status"]

COMPONENT = "replicaset-controller"


def create_pod(
    ctx: Context,
    owner: dict[str, Any],
    component: str,
    template: dict[str, Any],
    **naming: Any,
) -> dict[str, Any] | None:
    """Create a pod for ``owner``; a refusal is a ``FailedCreate`` event, not an error."""
    labels = naming.pop("labels", None)
    pod = new_pod(template, owner, labels=labels, **naming)
    try:
        created = ctx.writer.create("pods", pod)
    except K8sEdgeError as exc:
        ctx.record(owner, WARNING, "FailedCreate", f"Error creating: {exc.message}", component)
        return None
    ctx.record(
        owner, NORMAL, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", component
    )
    return created


def delete_pod(ctx: Context, owner: dict[str, Any], component: str, pod: dict[str, Any]) -> None:
    meta = pod["metadata"]
    if ctx.writer.find("pods", meta["name"], meta["namespace"]) is None:
        return
    ctx.writer.delete("pods", meta["name"], meta["namespace"])
    ctx.record(owner, NORMAL, "SuccessfulDelete", f"Deleted pod: {meta['name']}", component)


def claim(ctx: Context, plural: str, owner: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects of ``plural`` that ``owner`` controls, adopting orphans its selector
    matches (``ControllerRefManager.Claim``)."""
    meta = owner["metadata"]
    selector = (owner.get("spec") or {}).get("selector")
    claimed = []
    for obj in ctx.writer.items(plural, meta["namespace"]):
        ref = controller_ref(obj)
        if ref is not None:
            if ref.get("uid") == meta.get("uid"):
                claimed.append(obj)
            continue
        labels = obj["metadata"].get("labels") or {}
        if (
            meta.get("deletionTimestamp")
            or obj["metadata"].get("deletionTimestamp")
            or not selector
            or not selector_matches(selector, labels)
        ):
            continue
        adopted = copy_object(obj)
        refs = adopted["metadata"].setdefault("ownerReferences", [])
        refs.append(owner_ref(owner))
        claimed.append(ctx.writer.update(plural, adopted))
    return claimed


def _deletion_rank(pod: dict[str, Any]) -> tuple[Any, ...]:
    """``ActivePods`` order: the pods to delete first sort first."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(str(status.get("phase")), 0)
    since = ready_since(pod)
    created = epoch(pod["metadata"].get("creationTimestamp")) or 0.0
    return (
        bool(spec.get("nodeName")),
        phase_rank,
        is_ready(pod),
        -(since or 0.0),  # ready more recently first
        -created,  # newer first
        pod["metadata"]["name"],
    )


def update_status(
    ctx: Context, plural: str, obj: dict[str, Any], status: dict[str, Any]
) -> dict[str, Any]:
    """Write ``status`` if it changed; returns the object as it stands."""
    if obj.get("status") == status:
        return obj
    current = ctx.writer.find(plural, obj["metadata"]["name"], obj["metadata"]["namespace"])
    if current is None:
        return obj
    updated = copy_object(current)
    updated["status"] = status
    return ctx.writer.update(plural, updated)


def sync(ctx: Context, namespace: str | None, name: str) -> None:
    rs = ctx.writer.find("replicasets", name, namespace)
    if rs is None:
        return
    spec = rs.get("spec") or {}
    pods = [p for p in claim(ctx, "pods", rs) if is_active(p)]
    if not rs["metadata"].get("deletionTimestamp"):
        wanted = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        for _ in range(wanted - len(pods)):
            created = create_pod(ctx, rs, COMPONENT, template, generate_name=f"{name}-")
            if created is None:
                break
            pods.append(created)
        if len(pods) > wanted:
            for pod in sorted(pods, key=_deletion_rank)[: len(pods) - wanted]:
                delete_pod(ctx, rs, COMPONENT, pod)
                pods.remove(pod)
    rs = ctx.writer.find("replicasets", name, namespace) or rs
    update_status(ctx, "replicasets", rs, pod_counts(ctx, rs, pods))


def pod_counts(ctx: Context, owner: dict[str, Any], pods: list[dict[str, Any]]) -> dict[str, Any]:
    """A ReplicaSet's status from its pods; a pod that will be available later is a timer."""
    spec = owner.get("spec") or {}
    min_ready = int(spec.get("minReadySeconds") or 0)
    now = ctx.now
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    ready = available = labelled = 0
    for pod in pods:
        labels = pod["metadata"].get("labels") or {}
        if all(labels.get(k) == v for k, v in template_labels.items()):
            labelled += 1
        if is_ready(pod):
            ready += 1
            if is_available(pod, min_ready, now):
                available += 1
            else:
                since = ready_since(pod) or now
                meta = owner["metadata"]
                ctx.at(since + min_ready, ("replicasets", meta["namespace"], meta["name"]))
    status: dict[str, Any] = {
        "replicas": len(pods),
        "fullyLabeledReplicas": labelled,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": owner["metadata"].get("generation", 1),
    }
    failure = [
        c
        for c in (owner.get("status") or {}).get("conditions") or ()
        if c.get("type") == "ReplicaFailure"
    ]
    if failure and len(pods) >= int(spec.get("replicas", 1)):
        failure = []
    if failure:
        status["conditions"] = failure
    return status
