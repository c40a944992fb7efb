"""Server-side printing: ``Table`` answers for ``kubectl get`` (pods, nodes, anything)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

__all__ = ["table_for"]


def _age(timestamp: str | None, now: float) -> str:
    if not timestamp:
        return "<unknown>"
    try:
        created = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return "<unknown>"
    seconds = max(0, int(now - created))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"


def _column(name: str, priority: int = 0, kind: str = "string") -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "format": "name" if name == "Name" else "",
        "description": name,
        "priority": priority,
    }


def _pod_row(pod: dict[str, Any], now: float) -> list[Any]:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    containers = spec.get("containers") or []
    ready = sum(1 for c in status.get("containerStatuses") or () if c.get("ready"))
    if not status.get("containerStatuses") and status.get("phase") == "Running":
        ready = len(containers)
    return [
        meta["name"],
        f"{ready}/{len(containers)}",
        status.get("phase") or "Pending",
        0,
        _age(meta.get("creationTimestamp"), now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


def _node_row(node: dict[str, Any], now: float) -> list[Any]:
    meta, status = node["metadata"], node.get("status") or {}
    ready = "Unknown"
    for condition in status.get("conditions") or ():
        if condition.get("type") == "Ready":
            ready = "Ready" if condition.get("status") == "True" else "NotReady"
    if not status.get("conditions"):
        ready = "Ready"
    if (node.get("spec") or {}).get("unschedulable"):
        ready += ",SchedulingDisabled"
    roles = sorted(
        k.split("/", 1)[1]
        for k in (meta.get("labels") or {})
        if k.startswith("node-role.kubernetes.io/")
    ) or ["<none>"]
    info = status.get("nodeInfo") or {}
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or ()}
    return [
        meta["name"],
        ready,
        ",".join(roles),
        _age(meta.get("creationTimestamp"), now),
        info.get("kubeletVersion") or "",
        addresses.get("InternalIP") or "<none>",
        addresses.get("ExternalIP") or "<none>",
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "",
    ]


_COLUMNS = {
    "pods": [
        _column("Name"),
        _column("Ready"),
        _column("Status"),
        _column("Restarts", kind="integer"),
        _column("Age"),
        _column("IP", 1),
        _column("Node", 1),
        _column("Nominated Node", 1),
        _column("Readiness Gates", 1),
    ],
    "nodes": [
        _column("Name"),
        _column("Status"),
        _column("Roles"),
        _column("Age"),
        _column("Version"),
        _column("Internal-IP", 1),
        _column("External-IP", 1),
        _column("OS-Image", 1),
        _column("Kernel-Version", 1),
        _column("Container-Runtime", 1),
    ],
}
_ROWS = {"pods": _pod_row, "nodes": _node_row}


def table_for(
    plural: str, items: list[dict[str, Any]], resource_version: str, now: float | None = None
) -> dict[str, Any]:
    now = time.time() if now is None else now
    columns = _COLUMNS.get(plural, [_column("Name"), _column("Age")])
    row = _ROWS.get(
        plural,
        lambda o, n: [o["metadata"]["name"], _age(o["metadata"].get("creationTimestamp"), n)],
    )
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": columns,
        "rows": [
            {
                "cells": row(item, now),
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": item["metadata"],
                },
            }
            for item in items
        ],
    }
