"""Edge nodes: registration, pages, status, liveness, deletion — on every backend."""

from __future__ import annotations

import pytest

import k8sedge
from k8sedge import ManualClock, NodeStatus, Quantity

from .helpers import register


def test_register_returns_the_documented_fields(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    node = any_client.edge.nodes.register(
        name="edge-node-1",
        address="192.168.1.100",
        capabilities=["compute", "storage", "gpu"],
        resources={"cpu": "4", "memory": "8Gi", "storage": "100Gi"},
        labels={"location": "datacenter-1", "environment": "production"},
    )
    assert node.id
    assert node.name == "edge-node-1"
    assert node.address == "192.168.1.100"
    assert node.status is NodeStatus.REGISTERED
    assert node.registered_at is not None
    assert node.registered_at.timestamp() == clock.now()
    assert node.last_heartbeat is None
    assert node.resources == {
        "cpu": Quantity.parse("4"),
        "memory": Quantity.parse("8Gi"),
        "storage": Quantity.parse("100Gi"),
    }
    assert str(node.resources["memory"]) == "8Gi"
    assert node.capabilities == ["compute", "storage", "gpu"]
    assert any_client.edge.nodes.get(node.id) == node


def test_duplicate_name_is_conflict(any_client: k8sedge.Client) -> None:
    register(any_client, "edge-node-1")
    with pytest.raises(k8sedge.ConflictError) as info:
        register(any_client, "edge-node-1")
    assert info.value.code == "CONFLICT"
    assert "name" in info.value.details
    assert any_client.edge.nodes.list().pagination.total == 1


def test_unknown_node_is_not_found(any_client: k8sedge.Client) -> None:
    for call in (
        lambda: any_client.edge.nodes.get("nope"),
        lambda: any_client.edge.nodes.delete("nope"),
        lambda: any_client.edge.nodes.update_status("nope", heartbeat=True),
    ):
        with pytest.raises(k8sedge.NotFoundError) as info:
            call()
        assert info.value.code == "NOT_FOUND"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "", "address": "a"}, "name"),
        ({"name": 7, "address": "a"}, "name"),
        ({"name": "n", "address": "a", "resources": {"cpu": "1K"}}, "resources[cpu]"),
        ({"name": "n", "address": "a", "resources": {"cpu": "-1"}}, "resources.cpu"),
        ({"name": "n", "address": "a", "labels": {"a": 1}}, "labels[a]"),
        ({"name": "n", "address": "a", "capabilities": "gpu"}, "capabilities"),
    ],
)
def test_invalid_registration_names_the_field(
    any_client: k8sedge.Client, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(k8sedge.BadRequestError) as info:
        any_client.edge.nodes.register(**fields)  # type: ignore[arg-type]
    assert info.value.code == "BAD_REQUEST"
    assert field in info.value.details
    assert any_client.edge.nodes.list().pagination.total == 0


def test_pages_and_iteration(any_client: k8sedge.Client) -> None:
    ids = [register(any_client, f"node-{i:02d}").id for i in range(45)]
    first = any_client.edge.nodes.list()
    assert [n.id for n in first.items] == ids[:20]
    assert (first.pagination.total, first.pagination.page, first.pagination.limit) == (45, 1, 20)
    assert first.pagination.pages == 3
    last = any_client.edge.nodes.list(page=3, limit=20)
    assert [n.id for n in last.items] == ids[40:]
    assert any_client.edge.nodes.list(page=4).items == []
    assert [n.id for n in any_client.edge.nodes.iter(limit=7)] == ids
    assert len(any_client.edge.nodes.list(limit=100).items) == 45


@pytest.mark.parametrize(("page", "limit"), [(0, 20), (1, 0), (1, 101), (-1, 5)])
def test_out_of_range_pages_are_bad_requests(
    any_client: k8sedge.Client, page: int, limit: int
) -> None:
    with pytest.raises(k8sedge.BadRequestError):
        any_client.edge.nodes.list(page=page, limit=limit)


def test_heartbeat_activates_and_silence_goes_offline(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    node = register(any_client, "edge-node-1")
    clock.advance(5)
    beat = any_client.edge.nodes.update_status(node.id, status="active", heartbeat=True)
    assert beat.status is NodeStatus.ACTIVE
    assert beat.last_heartbeat is not None
    assert beat.last_heartbeat.timestamp() == clock.now()
    clock.advance(40)
    assert any_client.edge.nodes.get(node.id).status is NodeStatus.ACTIVE
    clock.advance(1)
    offline = any_client.edge.nodes.get(node.id)
    assert offline.status is NodeStatus.OFFLINE
    assert offline.last_heartbeat == beat.last_heartbeat
    back = any_client.edge.nodes.heartbeat(node.id)
    assert back.status is NodeStatus.ACTIVE


def test_registered_node_goes_offline_after_grace(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    node = register(any_client, "edge-node-1")
    clock.advance(41)
    assert any_client.edge.nodes.get(node.id).status is NodeStatus.OFFLINE


def test_status_update_records_usage_and_maintenance(any_client: k8sedge.Client) -> None:
    node = register(any_client, "edge-node-1")
    updated = any_client.edge.nodes.update_status(
        node.id,
        status="maintenance",
        resources={"cpu_usage": "2.5", "memory_usage": "4Gi", "storage_usage": "50Gi"},
    )
    assert updated.status is NodeStatus.MAINTENANCE
    assert updated.usage["cpu_usage"] == Quantity.parse("2500m")
    assert updated.usage["memory_usage"] == Quantity.parse("4Gi")
    with pytest.raises(k8sedge.BadRequestError) as info:
        any_client.edge.nodes.update_status(node.id, status="sleeping")
    assert "status" in info.value.details
    with pytest.raises(k8sedge.BadRequestError):
        any_client.edge.nodes.update_status(node.id, heartbeat="yes")  # type: ignore[arg-type]


def test_delete_removes_the_node(any_client: k8sedge.Client) -> None:
    node = register(any_client, "edge-node-1")
    result = any_client.edge.nodes.delete(node.id)
    assert result.success is True
    assert result.message == "Node successfully removed"
    with pytest.raises(k8sedge.NotFoundError):
        any_client.edge.nodes.get(node.id)
    # the name is free again
    assert register(any_client, "edge-node-1").id != node.id


def test_health(any_client: k8sedge.Client, clock: ManualClock) -> None:
    health = any_client.edge.health()
    assert health.status == "healthy"
    assert health.version == k8sedge.__version__
    assert health.timestamp.timestamp() == clock.now()
