"""The example request bodies of the edge spec, shared by the SDK and raw-HTTP tests."""

from __future__ import annotations

from typing import Any

REGISTER: dict[str, Any] = {
    "name": "edge-node-1",
    "address": "192.168.1.100",
    "capabilities": ["compute", "storage", "gpu"],
    "resources": {"cpu": "4", "memory": "8Gi", "storage": "100Gi"},
    "labels": {"location": "datacenter-1", "environment": "production"},
}
STATUS: dict[str, Any] = {
    "status": "active",
    "heartbeat": True,
    "resources": {"cpu_usage": "2.5", "memory_usage": "4Gi", "storage_usage": "50Gi"},
}
WORKLOAD: dict[str, Any] = {
    "name": "web-app",
    "namespace": "default",
    "type": "deployment",
    "image": "nginx:latest",
    "replicas": 3,
    "resources": {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "200m", "memory": "256Mi"},
    },
    "placement": {
        "strategy": "edge-first",
        "constraints": [{"key": "location", "operator": "In", "values": ["datacenter-1"]}],
    },
}
UPDATE: dict[str, Any] = {
    "replicas": 5,
    "resources": {
        "requests": {"cpu": "200m", "memory": "256Mi"},
        "limits": {"cpu": "400m", "memory": "512Mi"},
    },
}
METRICS: dict[str, Any] = {
    "timestamp": "2023-07-01T12:40:00Z",
    "cpu_usage": 45.5,
    "memory_usage": 3.2,
    "memory_total": 8.0,
    "disk_usage": 42.8,
    "disk_total": 100.0,
    "network": {"rx_bytes": 1024000, "tx_bytes": 512000},
    "containers": [{"name": "web-app-1", "cpu_usage": 15.2, "memory_usage": 120.5}],
}
