"""Every example request of the edge spec, sent through the SDK, gives the documented fields."""

from __future__ import annotations

from datetime import UTC, datetime

import k8sedge
from k8sedge import ManualClock
from k8sedge.serde import unstructure

from .spec_bodies import METRICS, REGISTER, STATUS, UPDATE, WORKLOAD


def _has(body: object, *fields: str) -> None:
    data = unstructure(body)
    missing = [f for f in fields if f not in data]
    assert not missing, f"missing {missing} in {data}"


def test_the_documented_walkthrough(client: k8sedge.Client, clock: ManualClock) -> None:
    clock.set(datetime(2023, 7, 1, 12, 0, 0, tzinfo=UTC))
    health = client.edge.health()
    _has(health, "status", "version", "timestamp")
    assert unstructure(health)["timestamp"] == "2023-07-01T12:00:00Z"

    node = client.edge.nodes.register(**REGISTER)
    _has(node, "id", "name", "address", "status", "registered_at")
    assert unstructure(node)["status"] == "registered"
    second = client.edge.nodes.register(
        **{**REGISTER, "name": "edge-node-2", "address": "192.168.1.101"}
    )

    listing = client.edge.nodes.list()
    for item in listing.items:
        _has(item, "id", "name", "address", "status", "last_heartbeat")
    _has(listing.pagination, "total", "page", "limit", "pages")

    detail = client.edge.nodes.get(node.id)
    _has(
        detail,
        "id",
        "name",
        "address",
        "status",
        "capabilities",
        "resources",
        "labels",
        "registered_at",
        "last_heartbeat",
    )
    assert unstructure(detail)["resources"] == REGISTER["resources"]

    clock.advance(600)
    status = client.edge.nodes.update_status(node.id, **STATUS)
    _has(status, "id", "name", "status", "last_heartbeat")
    assert unstructure(status)["last_heartbeat"] == "2023-07-01T12:10:00Z"
    client.edge.nodes.heartbeat(second.id)

    workload = client.edge.workloads.create(**WORKLOAD)
    _has(workload, "id", "name", "namespace", "status", "created_at")
    assert unstructure(workload)["status"] == "created"
    for item in client.edge.workloads.list().items:
        _has(item, "id", "name", "namespace", "type", "status", "created_at")
    detail_w = client.edge.workloads.get(workload.id)
    _has(
        detail_w,
        "id",
        "name",
        "namespace",
        "type",
        "image",
        "replicas",
        "resources",
        "placement",
        "status",
        "nodes",
        "created_at",
        "updated_at",
    )
    assert unstructure(detail_w)["resources"] == WORKLOAD["resources"]
    assert unstructure(detail_w)["placement"] == WORKLOAD["placement"]

    deployed = client.edge.workloads.deploy(
        workload.id, nodes=[node.id, second.id], strategy="rolling"
    )
    _has(deployed, "id", "name", "status", "deployment_id", "target_nodes", "started_at")
    assert deployed.target_nodes == [node.id, second.id]
    assert sorted(client.edge.workloads.get(workload.id).nodes) == sorted([node.id, second.id])

    updated = client.edge.workloads.update(workload.id, **UPDATE)
    _has(updated, "id", "name", "status", "updated_at")
    assert unstructure(updated)["status"] == "updating"

    recorded = client.edge.metrics.record(node.id, **METRICS)
    assert recorded.success is True
    assert unstructure(recorded)["recorded_at"] == "2023-07-01T12:40:00Z"
    clock.set(datetime(2023, 7, 1, 12, 45, 0, tzinfo=UTC))
    node_metrics = client.edge.metrics.node(node.id, timeframe="1h", resolution="5m")
    _has(node_metrics, "node_id", "node_name", "timeframe", "resolution", "metrics")
    assert unstructure(node_metrics)["metrics"]["cpu_usage"] == [
        {"timestamp": "2023-07-01T12:40:00Z", "value": 45.5}
    ]
    everything = client.edge.metrics.all(timeframe="1h", resolution="5m")
    _has(everything, "timeframe", "resolution", "nodes_count", "aggregated", "nodes")
    assert set(unstructure(everything)["aggregated"]) >= {"cpu_usage_avg", "memory_usage_avg"}
    assert unstructure(everything)["nodes"][node.id] == {
        "name": "edge-node-1",
        "cpu_usage_avg": 45.5,
        "memory_usage_avg": 3.2,
    }

    token = client.edge.tokens.generate(node.id, expiration="24h")
    _has(token, "token", "expires_at")
    assert unstructure(token)["expires_at"] == "2023-07-02T12:45:00Z"
    valid = client.edge.tokens.validate(token.token)
    _has(valid, "valid", "node_id", "expires_at")
    revoked = client.edge.tokens.revoke(token.token)
    assert unstructure(revoked) == {"success": True, "message": "Token successfully revoked"}

    assert unstructure(client.edge.workloads.delete(workload.id)) == {
        "success": True,
        "message": "Workload successfully removed",
    }
    assert unstructure(client.edge.nodes.delete(node.id)) == {
        "success": True,
        "message": "Node successfully removed",
    }
