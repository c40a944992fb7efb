"""The StatefulSet controller (``pkg/controller/statefulset``): pods ``<name>-<ordinal>``
with stable host names and their claims from ``volumeClaimTemplates``, ``OrderedReady``
(one pod at a time, each waiting for the one before to be ready) or ``Parallel``
management, rolling updates from the highest ordinal down to the ``partition``, revisions
as ControllerRevisions, and the status ``kubectl rollout status`` reads."""

from __future__ import annotations

from typing import Any

from ..errors import K8sEdgeError
from .controllers import Context
from .events import NORMAL, WARNING
from .podutil import is_active, is_available, is_ready, new_pod
from .replicasets import claim, update_status
from .revisions import sync_revisions, trim_history

__all__ = ["sync"]

COMPONENT = "statefulset-controller"
REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def _ordinal(set_name: str, pod: dict[str, Any]) -> int | None:
    name = pod["metadata"]["name"]
    prefix, _, ordinal = name.rpartition("-")
    if prefix != set_name or not ordinal.isdigit():
        return None
    return int(ordinal)


def _claims(ctx: Context, sts: dict[str, Any], pod_name: str) -> list[dict[str, Any]]:
    """Create the pod's claims from ``volumeClaimTemplates``; returns the pod's volumes."""
    namespace = sts["metadata"]["namespace"]
    volumes = []
    for template in (sts.get("spec") or {}).get("volumeClaimTemplates") or ():
        claim_name = f"{(template.get('metadata') or {}).get('name', '')}-{pod_name}"
        volumes.append(
            {
                "name": (template.get("metadata") or {}).get("name", ""),
                "persistentVolumeClaim": {"claimName": claim_name},
            }
        )
        if ctx.writer.find("persistentvolumeclaims", claim_name, namespace) is not None:
            continue
        labels = dict(((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
        pvc = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": claim_name,
                "namespace": namespace,
                "labels": {**((template.get("metadata") or {}).get("labels") or {}), **labels},
            },
            "spec": dict(template.get("spec") or {}),
        }
        ctx.writer.create("persistentvolumeclaims", pvc)
        ctx.record(
            sts,
            NORMAL,
            "SuccessfulCreate",
            f"create Claim {claim_name} Pod {pod_name} in StatefulSet "
            f"{sts['metadata']['name']} success",
            COMPONENT,
        )
    return volumes


def _create(
    ctx: Context, sts: dict[str, Any], ordinal: int, revision: dict[str, Any]
) -> dict[str, Any] | None:
    name = sts["metadata"]["name"]
    pod_name = f"{name}-{ordinal}"
    template = ((revision.get("data") or {}).get("spec") or {}).get("template") or {}
    template = {k: v for k, v in template.items() if k != "$patch"}
    pod = new_pod(
        template,
        sts,
        name=pod_name,
        labels={
            REVISION_LABEL: revision["metadata"]["name"],
            POD_NAME_LABEL: pod_name,
            POD_INDEX_LABEL: str(ordinal),
        },
    )
    spec = pod["spec"]
    spec["hostname"] = pod_name
    if (sts.get("spec") or {}).get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    try:
        volumes = _claims(ctx, sts, pod_name)
        if volumes:
            named = {v["name"] for v in volumes}
            spec["volumes"] = [
                *(v for v in spec.get("volumes") or () if v.get("name") not in named),
                *volumes,
            ]
        created = ctx.writer.create("pods", pod)
    except K8sEdgeError as exc:
        ctx.record(
            sts,
            WARNING,
            "FailedCreate",
            f"create Pod {pod_name} in StatefulSet {name} failed error: {exc.message}",
            COMPONENT,
        )
        return None
    ctx.record(
        sts,
        NORMAL,
        "SuccessfulCreate",
        f"create Pod {pod_name} in StatefulSet {name} successful",
        COMPONENT,
    )
    return created


def _delete(ctx: Context, sts: dict[str, Any], pod: dict[str, Any]) -> None:
    meta = pod["metadata"]
    if ctx.writer.find("pods", meta["name"], meta["namespace"]) is None:
        return
    ctx.writer.delete("pods", meta["name"], meta["namespace"])
    ctx.record(
        sts,
        NORMAL,
        "SuccessfulDelete",
        f"delete Pod {meta['name']} in StatefulSet {sts['metadata']['name']} successful",
        COMPONENT,
    )


def _healthy(pod: dict[str, Any]) -> bool:
    return is_active(pod) and is_ready(pod)


def sync(ctx: Context, namespace: str | None, name: str) -> None:
    sts = ctx.writer.find("statefulsets", name, namespace)
    if sts is None:
        return
    spec = sts.get("spec") or {}
    current, update, revisions = sync_revisions(ctx, "statefulsets", sts)
    pods = {}
    for pod in claim(ctx, "pods", sts):
        ordinal = _ordinal(name, pod)
        if ordinal is not None:
            pods[ordinal] = pod
    replicas = int(spec.get("replicas", 1))
    parallel = spec.get("podManagementPolicy") == "Parallel"
    deleting = bool(sts["metadata"].get("deletionTimestamp"))
    if not deleting:
        _converge(ctx, sts, pods, replicas, parallel, current, update)
    sts = ctx.writer.find("statefulsets", name, namespace) or sts
    pods = {o: p for p in claim(ctx, "pods", sts) if (o := _ordinal(name, p)) is not None}
    _status(ctx, sts, pods, current, update)
    sts = ctx.writer.find("statefulsets", name, namespace) or sts
    status = sts.get("status") or {}
    trim_history(
        ctx, sts, revisions, {str(status.get("currentRevision")), str(status.get("updateRevision"))}
    )


def _converge(
    ctx: Context,
    sts: dict[str, Any],
    pods: dict[int, dict[str, Any]],
    replicas: int,
    parallel: bool,
    current: dict[str, Any],
    update: dict[str, Any],
) -> None:
    strategy = (sts.get("spec") or {}).get("updateStrategy") or {}
    partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
    for ordinal in range(replicas):
        pod = pods.get(ordinal)
        if pod is not None and not is_active(pod):
            _delete(ctx, sts, pod)  # a failed or finished pod is recreated
            pods.pop(ordinal)
            pod = None
        if pod is None:
            revision = current if ordinal < partition else update
            created = _create(ctx, sts, ordinal, revision)
            if created is None:
                return
            pods[ordinal] = created
            if not parallel and not _healthy(created):
                return  # OrderedReady: the next waits for this one
            continue
        if not parallel and not _healthy(pod):
            return  # OrderedReady: the next waits for this one
    surplus = sorted((o for o in pods if o >= replicas), reverse=True)
    for ordinal in surplus:
        if not parallel and any(not _healthy(p) for o, p in pods.items() if o < ordinal):
            return
        _delete(ctx, sts, pods.pop(ordinal))
        if not parallel:
            return  # one at a time, highest first
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return
    if any(not _healthy(p) for p in pods.values()):
        return  # the rolling update waits for every pod to be ready
    for ordinal in sorted(pods, reverse=True):
        if ordinal < partition:
            break
        pod = pods[ordinal]
        if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != update["metadata"]["name"]:
            _delete(ctx, sts, pod)  # recreated at the update revision by the next sync
            ctx.enqueue(("statefulsets", sts["metadata"]["namespace"], sts["metadata"]["name"]))
            return


def _status(
    ctx: Context,
    sts: dict[str, Any],
    pods: dict[int, dict[str, Any]],
    current: dict[str, Any],
    update: dict[str, Any],
) -> None:
    spec = sts.get("spec") or {}
    min_ready = int(spec.get("minReadySeconds") or 0)
    now = ctx.now
    current_name, update_name = current["metadata"]["name"], update["metadata"]["name"]
    active = [p for p in pods.values() if is_active(p)]

    def at(pod: dict[str, Any]) -> str | None:
        return (pod["metadata"].get("labels") or {}).get(REVISION_LABEL)

    replicas = int(spec.get("replicas", 1))
    updated = sum(1 for p in active if at(p) == update_name)
    ready = sum(1 for p in active if is_ready(p))
    if updated == replicas and ready == replicas and len(active) == replicas:
        current_name = update_name  # the rolling update is complete
    status: dict[str, Any] = {
        "observedGeneration": sts["metadata"].get("generation", 1),
        "replicas": len(active),
        "readyReplicas": ready,
        "currentReplicas": sum(1 for p in active if at(p) == current_name),
        "updatedReplicas": updated,
        "availableReplicas": sum(1 for p in active if is_available(p, min_ready, now)),
        "currentRevision": current_name,
        "updateRevision": update_name,
        "collisionCount": int((sts.get("status") or {}).get("collisionCount") or 0),
    }
    if min_ready and status["availableReplicas"] < ready:
        ctx.at(
            now + min_ready, ("statefulsets", sts["metadata"]["namespace"], sts["metadata"]["name"])
        )
    for key in ("readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"):
        if not status[key] and key != "availableReplicas":
            del status[key]
    update_status(ctx, "statefulsets", sts, status)
