"""The DaemonSet controller (``pkg/controller/daemon``): one pod per eligible node.

A node is eligible when the pod's ``nodeSelector`` and required node affinity match it and
it tolerates the node's ``NoSchedule``/``NoExecute`` taints (with the tolerations the
controller adds to every daemon pod). The pods are placed by the scheduler, as upstream has
done since 1.12: each is created with a required node affinity on ``metadata.name`` for
its node (``ReplaceDaemonSetPodNodeNameNodeAffinity``). Rolling updates replace at most
``maxUnavailable`` pods at a time; revisions are ControllerRevisions.
"""

from __future__ import annotations

from typing import Any

from .controllers import Context
from .podutil import epoch, is_active, is_available, is_ready, scaled_value
from .replicasets import claim, create_pod, delete_pod, update_status
from .revisions import sync_revisions, trim_history
from .store import copy_object

__all__ = ["sync", "target_node"]

COMPONENT = "daemonset-controller"
HASH_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"
# util.AddOrUpdateDaemonPodTolerations
_TOLERATIONS = [
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
]


def _tolerations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    tolerations = list(spec.get("tolerations") or ())
    wanted = list(_TOLERATIONS)
    if spec.get("hostNetwork"):
        wanted.append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
    for key, effect in wanted:
        if not any(t.get("key") == key and t.get("effect") == effect for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": effect})
    return tolerations


def _tolerated(taint: dict[str, Any], tolerations: list[dict[str, Any]]) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists":
            if not t.get("key") or t.get("key") == taint.get("key"):
                return True
        elif t.get("key") == taint.get("key") and (t.get("value") or "") == (
            taint.get("value") or ""
        ):
            return True
    return False


def _requirement(req: dict[str, Any], values: dict[str, str]) -> bool:
    key, op = str(req.get("key", "")), req.get("operator")
    wanted = [str(v) for v in req.get("values") or ()]
    present = key in values
    if op == "In":
        return present and values[key] in wanted
    if op == "NotIn":
        return not present or values[key] not in wanted
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and len(wanted) == 1:
        try:
            have, limit = int(values[key]), int(wanted[0])
        except ValueError:
            return False
        return have > limit if op == "Gt" else have < limit
    return False


def _fits_affinity(spec: dict[str, Any], node: dict[str, Any]) -> bool:
    labels = {str(k): str(v) for k, v in (node["metadata"].get("labels") or {}).items()}
    for key, value in (spec.get("nodeSelector") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    required = (
        ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms")
    if not required:
        return True
    fields = {"metadata.name": node["metadata"]["name"]}
    return any(
        (term.get("matchExpressions") or term.get("matchFields"))
        and all(_requirement(r, labels) for r in term.get("matchExpressions") or ())
        and all(_requirement(r, fields) for r in term.get("matchFields") or ())
        for term in required
    )


def _should_run(spec: dict[str, Any], node: dict[str, Any]) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (should run, should continue running)."""
    name = spec.get("nodeName")
    if (name and name != node["metadata"]["name"]) or not _fits_affinity(spec, node):
        return False, False
    tolerations = _tolerations(spec)
    taints = (node.get("spec") or {}).get("taints") or ()
    fits = all(
        _tolerated(t, tolerations) for t in taints if t.get("effect") in ("NoSchedule", "NoExecute")
    )
    keeps = all(_tolerated(t, tolerations) for t in taints if t.get("effect") == "NoExecute")
    return fits, keeps


def target_node(pod: dict[str, Any]) -> str | None:
    """``GetTargetNodeName``: the pod's node, or the one its node affinity names."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    terms = (
        ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or ()
    for term in terms:
        for field in term.get("matchFields") or ():
            if field.get("key") == "metadata.name" and field.get("operator") == "In":
                values = list(field.get("values") or ())
                if len(values) == 1:
                    return str(values[0])
    return None


def _pod_template(ds: dict[str, Any], revision: dict[str, Any], node: str) -> dict[str, Any]:
    template = copy_object((ds.get("spec") or {}).get("template") or {})
    spec = template.setdefault("spec", {})
    spec["tolerations"] = _tolerations(spec)
    affinity = spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
        ]
    }
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    labels[HASH_LABEL] = revision["metadata"]["labels"]["controller.kubernetes.io/hash"]
    labels[GENERATION_LABEL] = str(ds["metadata"].get("generation", 1))
    return template


def sync(ctx: Context, namespace: str | None, name: str) -> None:
    ds = ctx.writer.find("daemonsets", name, namespace)
    if ds is None:
        return
    spec = ds.get("spec") or {}
    template_spec = ((spec.get("template") or {}).get("spec")) or {}
    _, update, revisions = sync_revisions(ctx, "daemonsets", ds)
    update_hash = update["metadata"]["labels"]["controller.kubernetes.io/hash"]
    by_node: dict[str, list[dict[str, Any]]] = {}
    for pod in claim(ctx, "pods", ds):
        node = target_node(pod)
        if node is not None:
            by_node.setdefault(node, []).append(pod)
    nodes = {n["metadata"]["name"]: n for n in ctx.writer.items("nodes", None)}
    eligible: dict[str, bool] = {}
    deleting = bool(ds["metadata"].get("deletionTimestamp"))
    for node_name, node_obj in nodes.items():
        run, keep = _should_run(template_spec, node_obj)
        eligible[node_name] = run
        pods = sorted(
            by_node.get(node_name, []),
            key=lambda p: (str(p["metadata"].get("creationTimestamp")), p["metadata"]["name"]),
        )
        if deleting:
            continue
        live = [p for p in pods if is_active(p)]
        for pod in pods:
            if (pod.get("status") or {}).get("phase") == "Failed":
                message = (
                    f"Found failed daemon pod {pod['metadata']['namespace']}/"
                    f"{pod['metadata']['name']} on node {node_name}, will try to kill it"
                )
                ctx.record(ds, "Warning", "FailedDaemonPod", message, COMPONENT)
                delete_pod(ctx, ds, COMPONENT, pod)
        if run and not live:
            template = _pod_template(ds, update, node_name)
            created = create_pod(ctx, ds, COMPONENT, template, generate_name=f"{name}-")
            if created is not None:
                by_node[node_name] = [created]
        elif not keep and live:
            for pod in live:
                delete_pod(ctx, ds, COMPONENT, pod)
            by_node[node_name] = []
        elif len(live) > 1:
            for pod in live[1:]:
                delete_pod(ctx, ds, COMPONENT, pod)
            by_node[node_name] = live[:1]
    for node_name in list(by_node):
        if node_name not in nodes and not deleting:
            for pod in by_node.pop(node_name):
                delete_pod(ctx, ds, COMPONENT, pod)
    if not deleting:
        _rolling_update(ctx, ds, by_node, eligible, update_hash)
    ds = ctx.writer.find("daemonsets", name, namespace) or ds
    placed = {n: [p for p in claim(ctx, "pods", ds) if target_node(p) == n] for n in nodes}
    _status(ctx, ds, placed, eligible, update_hash)
    trim_history(ctx, ds, revisions, {update["metadata"]["name"]})


def _hash_of(pod: dict[str, Any]) -> str | None:
    return (pod["metadata"].get("labels") or {}).get(HASH_LABEL)


def _rolling_update(
    ctx: Context,
    ds: dict[str, Any],
    by_node: dict[str, list[dict[str, Any]]],
    eligible: dict[str, bool],
    update_hash: str,
) -> None:
    strategy = (ds.get("spec") or {}).get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return
    desired = sum(1 for run in eligible.values() if run)
    rolling = strategy.get("rollingUpdate") or {}
    allowed = scaled_value(rolling.get("maxUnavailable", 1), desired, True)
    allowed = max(allowed, 1) if not rolling.get("maxSurge") else allowed
    min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    now = ctx.now
    unavailable = 0
    old: list[dict[str, Any]] = []
    for node, pods in by_node.items():
        if not eligible.get(node):
            continue
        live = [p for p in pods if is_active(p)]
        if not live or not is_available(live[0], min_ready, now):
            unavailable += 1
        if live and _hash_of(live[0]) != update_hash:
            old.append(live[0])
    for pod in sorted(old, key=lambda p: is_available(p, min_ready, now)):
        if is_available(pod, min_ready, now):
            if unavailable >= allowed:
                break
            unavailable += 1
        delete_pod(ctx, ds, COMPONENT, pod)
        ctx.enqueue(("daemonsets", ds["metadata"]["namespace"], ds["metadata"]["name"]))


def _status(
    ctx: Context,
    ds: dict[str, Any],
    pods: dict[str, list[dict[str, Any]]],
    eligible: dict[str, bool],
    update_hash: str,
) -> None:
    min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    now = ctx.now
    desired = scheduled = misscheduled = ready = updated = available = 0
    for node, run in eligible.items():
        live = [p for p in pods.get(node, []) if is_active(p)]
        if run:
            desired += 1
            if live:
                scheduled += 1
                pod = live[0]
                if is_ready(pod):
                    ready += 1
                    if is_available(pod, min_ready, now):
                        available += 1
                    else:
                        since = epoch(
                            next(
                                (
                                    c.get("lastTransitionTime")
                                    for c in (pod.get("status") or {}).get("conditions") or ()
                                    if c.get("type") == "Ready"
                                ),
                                None,
                            )
                        )
                        meta = ds["metadata"]
                        ctx.at(
                            (since or now) + min_ready,
                            ("daemonsets", meta["namespace"], meta["name"]),
                        )
                if _hash_of(pod) == update_hash:
                    updated += 1
        elif live:
            misscheduled += 1
    status: dict[str, Any] = {
        "currentNumberScheduled": scheduled,
        "numberMisscheduled": misscheduled,
        "desiredNumberScheduled": desired,
        "numberReady": ready,
        "observedGeneration": ds["metadata"].get("generation", 1),
        "updatedNumberScheduled": updated,
        "numberAvailable": available,
        "numberUnavailable": desired - available,
    }
    for key in ("updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
        if not status[key]:
            del status[key]
    update_status(ctx, "daemonsets", ds, status)
