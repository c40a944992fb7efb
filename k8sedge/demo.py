"""``k8sedge demo``: a short tour of the edge surface on the embedded memory backend."""

from __future__ import annotations

from collections.abc import Callable

from ._client import connect
from .clock import ManualClock


def run_demo(echo: Callable[[str], None] = print) -> None:
    """Register nodes, deploy a workload, roll out an update past an offline node."""
    clock = ManualClock()
    client = connect(clock=clock)
    edge = client.edge
    echo(f"health: {edge.health().status} (k8sedge {edge.health().version})")
    nodes = []
    for i in range(3):
        node = edge.nodes.register(
            name=f"edge-node-{i + 1}",
            address=f"192.168.1.{100 + i}",
            capabilities=["compute"],
            resources={"cpu": "4", "memory": "8Gi", "storage": "100Gi"},
            labels={"location": "datacenter-1"},
        )
        edge.nodes.heartbeat(node.id)
        nodes.append(node)
    cloud = edge.nodes.register(
        name="cloud-1",
        address="10.0.0.1",
        resources={"cpu": "32", "memory": "128Gi"},
        labels={"location": "datacenter-1", "k8sedge.io/tier": "cloud"},
    )
    edge.nodes.heartbeat(cloud.id)
    echo(f"registered {edge.nodes.list().pagination.total} nodes")
    app = edge.workloads.create(
        name="web-app",
        image="nginx:1.25",
        replicas=3,
        resources={"requests": {"cpu": "500m", "memory": "256Mi"}},
        placement={
            "strategy": "edge-first",
            "constraints": [{"key": "location", "operator": "In", "values": ["datacenter-1"]}],
        },
    )
    edge.workloads.deploy(app.id)
    names = {n.id: n.name for n in edge.nodes.iter()}
    placed = edge.workloads.get(app.id)
    echo(f"{placed.name}: {placed.status}, replicas on {[names[i] for i in placed.nodes]}")
    # edge-node-3 goes silent for a minute while the others keep beating
    for _ in range(6):
        clock.advance(10)
        for node in nodes[:2]:
            edge.nodes.heartbeat(node.id)
    echo(f"{nodes[2].name} is {edge.nodes.get(nodes[2].id).status} after 60 s of silence")
    update = edge.workloads.update(app.id, image="nginx:1.27")
    assert update.deployment_id is not None
    for _ in range(3):
        clock.advance(1)
        for node in nodes[:2]:
            edge.nodes.heartbeat(node.id)
        rollout = edge.workloads.deployment(app.id, update.deployment_id)
        echo(
            f"rollout: {rollout.status}, {rollout.updated_replicas}/{rollout.desired_replicas} "
            f"updated, waiting on {[names[i] for i in rollout.waiting_nodes]}"
        )
    edge.nodes.heartbeat(nodes[2].id)
    clock.advance(1)
    rollout = edge.workloads.deployment(app.id, update.deployment_id)
    echo(f"{nodes[2].name} is back; rollout: {rollout.status}")
    for minute in range(30):
        for i, node in enumerate(nodes):
            edge.metrics.record(node.id, cpu_usage=20.0 + 10 * i + minute % 5, memory_usage=2.0 + i)
        clock.advance(60)
    summary = edge.metrics.all(timeframe="30m", resolution="10m")
    echo(
        "cluster cpu (10 min buckets): "
        + ", ".join(f"{p.value:.1f}" for p in summary.aggregated["cpu_usage_avg"])
    )
    token = edge.tokens.generate(nodes[0].id, expiration="1h")
    echo(f"node token valid: {edge.tokens.validate(token.token).valid}")
