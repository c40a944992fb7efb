"""Shared helpers for kube-scheduler's plugin test tables, run through ``client.simulator``.

Each ported case builds a small cluster from compact data, configures a profile with only
the plugin under test (plus ``PrioritySort`` and ``DefaultBinder``), creates the incoming
pod and reads its ``SchedulingResult``. The builders mirror upstream's ``st.MakeNode()``
and ``st.MakePod()``: ``req`` adds one container per request map (``st.MakePod().Req``),
a node's ``capacity`` is both capacity and allocatable, existing pods are created bound
(``spec.nodeName``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import k8sedge
from k8sedge.surfaces.simulator.models import SchedulingResult

__all__ = [
    "node",
    "only",
    "pod",
    "run",
    "scores",
]

_names = itertools.count()


def only(
    plugin: str,
    args: Mapping[str, Any] | None = None,
    *,
    points: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    percentage: int | None = None,
) -> dict[str, Any]:
    """A configuration whose one profile runs ``plugin`` alone (at ``points``, or at every
    point it implements through ``multiPoint``)."""
    plugins: dict[str, Any] = {
        "multiPoint": {"disabled": [{"name": "*"}]},
        "queueSort": {"enabled": [{"name": "PrioritySort"}]},
        "bind": {"enabled": [{"name": "DefaultBinder"}]},
    }
    names = [plugin, *extra]
    if points is None:
        plugins["multiPoint"]["enabled"] = [{"name": n} for n in names]
    else:
        for point in points:
            plugins[point] = {"enabled": [{"name": n} for n in names]}
    profile: dict[str, Any] = {"schedulerName": "default-scheduler", "plugins": plugins}
    if args is not None:
        profile["pluginConfig"] = [{"name": plugin, "args": dict(args)}]
    if percentage is not None:
        profile["percentageOfNodesToScore"] = percentage
    return {
        "apiVersion": "kubescheduler.config.k8s.io/v1",
        "kind": "KubeSchedulerConfiguration",
        "profiles": [profile],
    }


def node(
    name: str,
    *,
    labels: Mapping[str, str] | None = None,
    capacity: Mapping[str, str] | None = None,
    taints: Iterable[Mapping[str, str]] = (),
    images: Iterable[tuple[Sequence[str], int]] = (),
    unschedulable: bool = False,
) -> dict[str, Any]:
    resources = {"pods": "32", **(capacity or {})}  # st.MakeNode().Capacity: 32 pods by default
    obj: dict[str, Any] = {
        "metadata": {"name": name, "labels": dict(labels or {})},
        "spec": {"taints": [dict(t) for t in taints]},
        "status": {"capacity": dict(resources), "allocatable": dict(resources)},
    }
    if unschedulable:
        obj["spec"]["unschedulable"] = True
    images = list(images)
    if images:
        obj["status"]["images"] = [{"names": list(n), "sizeBytes": s} for n, s in images]
    return obj


def pod(
    name: str | None = None,
    namespace: str = "default",
    *,
    req: Iterable[Mapping[str, str] | None] = (),
    init: Iterable[Mapping[str, str] | None] = (),
    labels: Mapping[str, str] | None = None,
    node: str | None = None,
    priority: int | None = None,
    start: str | None = None,
    images: Iterable[str] = (),
    ports: Iterable[Mapping[str, Any]] = (),
    **spec: Any,
) -> dict[str, Any]:
    """``st.MakePod()``: one container per entry of ``req`` (None: a container without
    requests, as ``Container(...)``), init containers from ``init``, images as containers."""

    def container(i: int, requests: Mapping[str, str] | None, prefix: str) -> dict[str, Any]:
        c: dict[str, Any] = {"name": f"{prefix}{i}", "image": "pause"}
        if requests is not None:
            c["resources"] = {"requests": dict(requests)}
        return c

    containers = [container(i, r, "c") for i, r in enumerate(req)]
    containers += [{"name": f"img{i}", "image": image} for i, image in enumerate(images)]
    ports = list(ports)
    if ports:
        if not containers:
            containers.append({"name": "ports", "image": "pause"})
        containers[0]["ports"] = [dict(p) for p in ports]
    body: dict[str, Any] = {"containers": containers, **spec}
    init_containers = [container(i, r, "i") for i, r in enumerate(init)]
    if init_containers:
        body["initContainers"] = init_containers
    if node is not None:
        body["nodeName"] = node
    if priority is not None:
        body["priority"] = priority
    obj: dict[str, Any] = {
        "metadata": {
            "name": name or f"existing-{next(_names)}",
            "namespace": namespace,
            "labels": dict(labels or {}),
        },
        "spec": body,
    }
    if start is not None:
        obj["status"] = {"startTime": start}
    return obj


def run(
    config: Mapping[str, Any] | None,
    nodes: Iterable[dict[str, Any]],
    incoming: dict[str, Any],
    existing: Iterable[dict[str, Any]] = (),
    *,
    namespaces: Iterable[dict[str, Any]] = (),
    pvs: Iterable[dict[str, Any]] = (),
    pvcs: Iterable[dict[str, Any]] = (),
    classes: Iterable[dict[str, Any]] = (),
    seed: int = 0,
) -> SchedulingResult:
    """Build the cluster, create ``incoming`` and return its scheduling result."""
    sim = k8sedge.connect(seed=seed).simulator
    if config is not None:
        sim.update_config(dict(config))
    for ns in namespaces:
        sim.namespaces.create(ns)
    for sc in classes:
        sim.storage_classes.create(sc)
    for pv in pvs:
        sim.pvs.create(pv)
    for pvc in pvcs:
        sim.pvcs.create(pvc)
    for n in nodes:
        sim.nodes.create(n)
    for p in existing:
        sim.pods.create(p)
    created = sim.pods.create(incoming)
    return sim.pods.result(created.name, created.namespace)


def scores(result: SchedulingResult, plugin: str, *, normalized: bool = True) -> dict[str, int]:
    """``{node: score}`` of one plugin: normalised (final score, weight 1) or raw."""
    table = result.final_score if normalized else result.score
    return {n: s[plugin] for n, s in table.items() if plugin in s}
