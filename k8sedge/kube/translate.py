"""Kubernetes objects (JSON dicts) to what the scheduler engine reads.

Pods become ``PodRequest`` (requests as kube-scheduler computes them: the larger of the
containers' sum and any init container, plus overhead, a missing request defaulting to
its limit); nodes become allocatable amounts, labels, taints and images.
"""

from __future__ import annotations

from typing import Any

from ..engine.types import (
    LabelSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodAffinityTerm,
    PodRequest,
    PreferredTerm,
    Taint,
    TaintEffect,
    Toleration,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
)
from ..errors import BadRequestError
from ..quantity import engine_units

__all__ = [
    "bound_status",
    "label_selector",
    "node_allocatable",
    "node_images",
    "node_taints",
    "pod_request",
    "pod_requests",
    "sync_node",
    "unschedulable_status",
]


def _units(resource: str, raw: Any) -> int:
    try:
        return engine_units(raw, milli=resource == "cpu")
    except BadRequestError as exc:
        raise BadRequestError(f"{resource}: {exc.message}", {resource: exc.message}) from None


def _container_requests(container: dict[str, Any]) -> dict[str, int]:
    resources = container.get("resources") or {}
    merged = dict(resources.get("limits") or {})
    merged.update(resources.get("requests") or {})
    return {k: _units(k, v) for k, v in merged.items()}


def pod_requests(spec: dict[str, Any]) -> dict[str, int]:
    """``resourcehelper.PodRequests``: max(sum of containers, each init container) + overhead."""
    total: dict[str, int] = {}
    sidecars: dict[str, int] = {}
    for container in spec.get("containers") or ():
        for k, v in _container_requests(container).items():
            total[k] = total.get(k, 0) + v
    init_max: dict[str, int] = {}
    for init in spec.get("initContainers") or ():
        requests = _container_requests(init)
        if init.get("restartPolicy") == "Always":  # sidecar: runs alongside the app
            for k, v in requests.items():
                sidecars[k] = sidecars.get(k, 0) + v
            continue
        for k, v in requests.items():
            init_max[k] = max(init_max.get(k, 0), v + sidecars.get(k, 0))
    for k, v in sidecars.items():
        total[k] = total.get(k, 0) + v
    for k, v in init_max.items():
        total[k] = max(total.get(k, 0), v)
    for k, v in (spec.get("overhead") or {}).items():
        total[k] = total.get(k, 0) + _units(k, v)
    return {k: v for k, v in total.items() if v}


def _requirements(raw: Any) -> tuple[NodeSelectorRequirement, ...]:
    return tuple(
        NodeSelectorRequirement(
            str(r.get("key", "")),
            str(r.get("operator", "")),
            tuple(str(v) for v in r.get("values") or ()),
        )
        for r in raw or ()
    )


def _node_term(raw: dict[str, Any]) -> NodeSelectorTerm:
    return NodeSelectorTerm(
        match_expressions=_requirements(raw.get("matchExpressions")),
        match_fields=_requirements(raw.get("matchFields")),
    )


def label_selector(raw: Any) -> LabelSelector | None:
    if raw is None:
        return None
    return LabelSelector(
        match_labels=tuple(
            sorted((str(k), str(v)) for k, v in (raw.get("matchLabels") or {}).items())
        ),
        match_expressions=_requirements(raw.get("matchExpressions")),
    )


def _pod_term(raw: dict[str, Any]) -> PodAffinityTerm:
    return PodAffinityTerm(
        selector=label_selector(raw.get("labelSelector")),
        topology_key=str(raw.get("topologyKey", "")),
        namespaces=tuple(raw.get("namespaces") or ()),
        namespace_selector=label_selector(raw.get("namespaceSelector")),
    )


def _weighted(raw: Any) -> tuple[WeightedPodAffinityTerm, ...]:
    return tuple(
        WeightedPodAffinityTerm(int(w.get("weight", 0)), _pod_term(w.get("podAffinityTerm") or {}))
        for w in raw or ()
    )


def pod_request(
    pod: dict[str, Any],
    priority: int | None = None,
    *,
    default_spread: LabelSelector | None = None,
) -> PodRequest:
    """The engine's view of a pod object; ``default_spread`` is the selector of the pod's
    controller, for PodTopologySpread's system default constraints."""
    metadata = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    affinity = spec.get("affinity") or {}
    node_affinity = affinity.get("nodeAffinity") or {}
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    pod_affinity = affinity.get("podAffinity") or {}
    pod_anti = affinity.get("podAntiAffinity") or {}
    containers = list(spec.get("containers") or ()) + list(spec.get("initContainers") or ())
    ports = tuple(
        (str(p.get("protocol") or "TCP"), str(p.get("hostIP") or "0.0.0.0"), int(p["hostPort"]))
        for c in containers
        for p in c.get("ports") or ()
        if p.get("hostPort")
    )
    volumes = spec.get("volumes") or ()
    return PodRequest(
        name=str(metadata.get("name", "")),
        namespace=str(metadata.get("namespace") or "default"),
        requests=pod_requests(spec),
        node_name=spec.get("nodeName") or None,
        node_selector={str(k): str(v) for k, v in (spec.get("nodeSelector") or {}).items()},
        required_terms=None
        if required is None
        else tuple(_node_term(t) for t in required.get("nodeSelectorTerms") or ()),
        preferred_terms=tuple(
            PreferredTerm(int(p.get("weight", 0)), _node_term(p.get("preference") or {}))
            for p in node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
        ),
        tolerations=tuple(
            Toleration(
                key=str(t.get("key") or ""),
                operator=str(t.get("operator") or "Equal"),
                value=str(t.get("value") or ""),
                effect=str(t.get("effect") or ""),
            )
            for t in spec.get("tolerations") or ()
        ),
        priority=int((spec.get("priority") if priority is None else priority) or 0),
        preemption_policy=str(spec.get("preemptionPolicy") or "PreemptLowerPriority"),
        scheduler_name=str(spec.get("schedulerName") or "default-scheduler"),
        labels={str(k): str(v) for k, v in (metadata.get("labels") or {}).items()},
        host_ports=ports,
        images=tuple(str(c.get("image") or "") for c in containers),
        claims=tuple(
            str(v["persistentVolumeClaim"]["claimName"])
            for v in volumes
            if (v.get("persistentVolumeClaim") or {}).get("claimName")
        ),
        ephemeral_volumes=any("ephemeral" in v for v in volumes),
        spread=tuple(
            TopologySpreadConstraint(
                max_skew=int(c.get("maxSkew", 1)),
                topology_key=str(c.get("topologyKey", "")),
                when_unsatisfiable=str(c.get("whenUnsatisfiable") or "DoNotSchedule"),
                selector=label_selector(c.get("labelSelector")),
                min_domains=c.get("minDomains"),
                node_affinity_policy=str(c.get("nodeAffinityPolicy") or "Honor"),
                node_taints_policy=str(c.get("nodeTaintsPolicy") or "Ignore"),
                match_label_keys=tuple(c.get("matchLabelKeys") or ()),
            )
            for c in spec.get("topologySpreadConstraints") or ()
        ),
        affinity=tuple(
            _pod_term(t)
            for t in pod_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or ()
        ),
        anti_affinity=tuple(
            _pod_term(t)
            for t in pod_anti.get("requiredDuringSchedulingIgnoredDuringExecution") or ()
        ),
        preferred_affinity=_weighted(
            pod_affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
        ),
        preferred_anti_affinity=_weighted(
            pod_anti.get("preferredDuringSchedulingIgnoredDuringExecution")
        ),
        source=pod,
        default_spread_selector=default_spread,
    )


def node_allocatable(node: dict[str, Any]) -> dict[str, int]:
    status = node.get("status") or {}
    source = status.get("allocatable") or status.get("capacity") or {}
    return {str(k): _units(str(k), v) for k, v in source.items()}


def node_taints(node: dict[str, Any]) -> list[Taint]:
    taints = []
    for t in (node.get("spec") or {}).get("taints") or ():
        try:
            effect = TaintEffect(t.get("effect"))
        except ValueError:
            raise BadRequestError(
                f"invalid taint effect {t.get('effect')!r}", {"spec.taints": "invalid effect"}
            ) from None
        taints.append(Taint(str(t.get("key", "")), str(t.get("value") or ""), effect))
    return taints


def node_images(node: dict[str, Any]) -> list[tuple[tuple[str, ...], int]]:
    return [
        (tuple(str(n) for n in image.get("names") or ()), int(image.get("sizeBytes") or 0))
        for image in (node.get("status") or {}).get("images") or ()
    ]


def sync_node(table: Any, node: dict[str, Any]) -> int:
    """Add or refresh a node object in an engine ``NodeTable``; returns its row."""
    name = node["metadata"]["name"]
    labels = dict((node.get("metadata") or {}).get("labels") or {})
    allocatable = node_allocatable(node)
    taints = node_taints(node)
    unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
    row: int | None = table.row_of.get(name)
    if row is None:
        row = int(table.add(name, allocatable, labels, taints, unschedulable))
    else:
        table.set_allocatable(row, allocatable)
        table.set_labels(row, labels)
        table.set_taints(row, taints)
        table.unschedulable[row] = unschedulable
    table.set_images(row, node_images(node))
    return row


def bound_status(
    status: dict[str, Any], now: str, containers: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A bound pod's status in a simulated cluster (what KWOK reports): running, its
    containers started and ready (``ContainersReady``), the pod ``Ready``."""
    status = dict(status)
    status["phase"] = "Running"
    status["conditions"] = [
        {"type": kind, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
        for kind in (
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        )
    ]
    status.setdefault("startTime", now)
    if containers is not None:
        status["containerStatuses"] = [
            {
                "name": str(c.get("name", "")),
                "image": str(c.get("image", "")),
                "imageID": "",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": status["startTime"]}},
            }
            for c in containers
            if isinstance(c, dict)
        ]
    return status


def unschedulable_status(status: dict[str, Any], message: str | None, now: str) -> dict[str, Any]:
    status = dict(status)
    status["phase"] = "Pending"
    status["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastTransitionTime": now,
        }
    ]
    return status
