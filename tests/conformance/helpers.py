"""Small builders shared by the conformance tests."""

from __future__ import annotations

from typing import Any

import k8sedge


def register(client: k8sedge.Client, name: str, **overrides: Any) -> k8sedge.Node:
    fields: dict[str, Any] = {
        "address": "192.168.1.10",
        "resources": {"cpu": "4", "memory": "8Gi", "storage": "100Gi"},
        "labels": {"location": "datacenter-1"},
    }
    fields.update(overrides)
    return client.edge.nodes.register(name=name, **fields)


def workload(client: k8sedge.Client, name: str = "web-app", **overrides: Any) -> k8sedge.Workload:
    fields: dict[str, Any] = {
        "image": "nginx:latest",
        "replicas": 3,
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
    }
    fields.update(overrides)
    return client.edge.workloads.create(name=name, **fields)
