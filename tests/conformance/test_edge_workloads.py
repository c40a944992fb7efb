"""Workloads: definition, placement by the engine, rolling deploys — on every backend."""

from __future__ import annotations

import pytest

import k8sedge
from k8sedge import DeploymentStatus, ManualClock, WorkloadStatus

from .helpers import register, workload


def test_create_list_get_delete(any_client: k8sedge.Client, clock: ManualClock) -> None:
    created = workload(any_client, "web-app")
    assert created.status is WorkloadStatus.CREATED
    assert created.namespace == "default"
    assert created.created_at is not None and created.created_at.timestamp() == clock.now()
    other = workload(any_client, "database", namespace="data", type="statefulset")
    page = any_client.edge.workloads.list()
    assert [w.id for w in page.items] == [created.id, other.id]
    assert page.pagination.total == 2
    assert [w.id for w in any_client.edge.workloads.list(namespace="data").items] == [other.id]
    assert any_client.edge.workloads.get(created.id).image == "nginx:latest"
    assert any_client.edge.workloads.delete(created.id).message == "Workload successfully removed"
    with pytest.raises(k8sedge.NotFoundError):
        any_client.edge.workloads.get(created.id)


def test_duplicate_workload_is_conflict(any_client: k8sedge.Client) -> None:
    workload(any_client, "web-app")
    with pytest.raises(k8sedge.ConflictError):
        workload(any_client, "web-app")
    workload(any_client, "web-app", namespace="other")  # another namespace is fine


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"replicas": "three"}, "replicas"),
        ({"replicas": -1}, "replicas"),
        ({"type": "cronjob"}, "type"),
        ({"image": ""}, "image"),
        ({"resources": {"requests": {"cpu": "1K"}}}, "resources.requests[cpu]"),
        (
            {"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}},
            "resources.requests.cpu",
        ),
        (
            {"placement": {"constraints": [{"key": "a", "operator": "Near", "values": []}]}},
            "placement.constraints[0].operator",
        ),
        (
            {"placement": {"constraints": [{"key": "a", "operator": "In", "values": []}]}},
            "placement.constraints[0].values",
        ),
        (
            {"placement": {"constraints": [{"key": "a", "operator": "Gt", "values": ["x"]}]}},
            "placement.constraints[0].values[0]",
        ),
        ({"placement": {"strategy": "moon-first"}}, "placement.strategy"),
    ],
)
def test_invalid_workload_names_the_field(
    any_client: k8sedge.Client, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(k8sedge.BadRequestError) as info:
        workload(any_client, "web-app", **overrides)
    assert field in info.value.details, info.value.details
    assert any_client.edge.workloads.list().pagination.total == 0


def test_bad_name_is_rejected(any_client: k8sedge.Client) -> None:
    with pytest.raises(k8sedge.BadRequestError) as info:
        workload(any_client, "Web_App")
    assert "name" in info.value.details


def test_deploy_places_every_replica(any_client: k8sedge.Client) -> None:
    nodes = [register(any_client, f"edge-{i}").id for i in range(3)]
    w = workload(any_client, replicas=3)
    result = any_client.edge.workloads.deploy(w.id)
    assert result.id == w.id and result.name == "web-app" and result.deployment_id
    assert set(result.target_nodes) <= set(nodes)
    got = any_client.edge.workloads.get(w.id)
    assert got.status is WorkloadStatus.RUNNING
    assert got.ready_replicas == 3
    # least-allocated scoring spreads equal replicas over equal nodes
    assert sorted(got.nodes) == sorted(nodes)


def test_resources_must_fit(any_client: k8sedge.Client) -> None:
    register(any_client, "small", resources={"cpu": "1", "memory": "1Gi"})
    w = workload(any_client, replicas=3, resources={"requests": {"cpu": "400m", "memory": "128Mi"}})
    any_client.edge.workloads.deploy(w.id)
    got = any_client.edge.workloads.get(w.id)
    assert got.status is WorkloadStatus.PENDING
    assert got.ready_replicas == 2
    assert got.message is not None
    assert "1 of 3 replicas cannot be placed" in got.message
    assert "0/1 nodes are available: 1 Insufficient cpu." in got.message
    # room appears: the pending replica is placed
    register(any_client, "big", resources={"cpu": "8", "memory": "8Gi"})
    placed = any_client.edge.workloads.get(w.id)
    assert placed.status is WorkloadStatus.RUNNING
    assert placed.ready_replicas == 3


def test_constraints_use_node_affinity_operators(any_client: k8sedge.Client) -> None:
    a = register(any_client, "a", labels={"location": "dc-1", "gen": "3"}).id
    b = register(any_client, "b", labels={"location": "dc-2", "gen": "5"}).id
    c = register(any_client, "c", labels={"gen": "7"}).id
    cases = {
        "In": ([{"key": "location", "operator": "In", "values": ["dc-1"]}], {a}),
        "NotIn": ([{"key": "location", "operator": "NotIn", "values": ["dc-1"]}], {b, c}),
        "Exists": ([{"key": "location", "operator": "Exists"}], {a, b}),
        "DoesNotExist": ([{"key": "location", "operator": "DoesNotExist"}], {c}),
        "Gt": ([{"key": "gen", "operator": "Gt", "values": ["4"]}], {b, c}),
        "Lt": ([{"key": "gen", "operator": "Lt", "values": ["4"]}], {a}),
        "AND": (
            [
                {"key": "gen", "operator": "Gt", "values": ["4"]},
                {"key": "location", "operator": "Exists"},
            ],
            {b},
        ),
    }
    for i, (label, (constraints, expected)) in enumerate(cases.items()):
        w = workload(
            any_client,
            f"w-{i}",
            replicas=6,
            placement={"strategy": "any", "constraints": constraints},
        )
        any_client.edge.workloads.deploy(w.id)
        assert set(any_client.edge.workloads.get(w.id).nodes) == expected, label


def test_unmatched_constraints_leave_the_workload_pending(any_client: k8sedge.Client) -> None:
    register(any_client, "a", labels={"location": "dc-1"})
    w = workload(
        any_client,
        replicas=1,
        placement={"constraints": [{"key": "location", "operator": "In", "values": ["mars"]}]},
    )
    any_client.edge.workloads.deploy(w.id)
    got = any_client.edge.workloads.get(w.id)
    assert got.status is WorkloadStatus.PENDING
    assert got.message is not None
    assert "node(s) didn't match Pod's node affinity/selector" in got.message


def test_edge_first_prefers_edge_and_falls_back(any_client: k8sedge.Client) -> None:
    edge = register(any_client, "edge", resources={"cpu": "1", "memory": "4Gi"}).id
    cloud = register(
        any_client,
        "cloud",
        resources={"cpu": "64", "memory": "256Gi"},
        labels={"k8sedge.io/tier": "cloud"},
    ).id
    w = workload(
        any_client,
        replicas=4,
        resources={"requests": {"cpu": "400m", "memory": "128Mi"}},
        placement={"strategy": "edge-first"},
    )
    any_client.edge.workloads.deploy(w.id)
    got = any_client.edge.workloads.get(w.id)
    assert got.status is WorkloadStatus.RUNNING
    assert set(got.nodes) == {edge, cloud}  # two fit on the edge node, the rest fall back
    only = workload(
        any_client,
        "edge-only",
        replicas=4,
        placement={"strategy": "edge-only"},
        resources={"requests": {"cpu": "400m"}},
    )
    any_client.edge.workloads.deploy(only.id)
    assert any_client.edge.workloads.get(only.id).status is WorkloadStatus.PENDING


def test_deploy_to_named_nodes(any_client: k8sedge.Client) -> None:
    ids = [register(any_client, f"edge-{i}").id for i in range(4)]
    w = workload(any_client, replicas=4)
    result = any_client.edge.workloads.deploy(w.id, nodes=ids[:2], strategy="rolling")
    assert result.target_nodes == ids[:2]
    assert set(any_client.edge.workloads.get(w.id).nodes) == set(ids[:2])
    with pytest.raises(k8sedge.NotFoundError):
        any_client.edge.workloads.deploy(w.id, nodes=["missing"])
    with pytest.raises(k8sedge.BadRequestError):
        any_client.edge.workloads.deploy(w.id, strategy="big-bang")


ROLLOUT_GAP = pytest.mark.notimpl(
    ["kubernetes"],
    reason="on a cluster the Deployment controller runs rollouts (RollingUpdate, 25%): batches "
    "paced by the injected clock and waiting for offline nodes belong to the memory cluster",
)


@ROLLOUT_GAP
def test_rolling_update_goes_in_batches(any_client: k8sedge.Client, clock: ManualClock) -> None:
    for i in range(4):
        any_client.edge.nodes.heartbeat(register(any_client, f"edge-{i}").id)
    w = workload(any_client, replicas=4)
    any_client.edge.workloads.deploy(w.id)
    updated = any_client.edge.workloads.update(w.id, image="nginx:1.27")
    assert updated.status is WorkloadStatus.UPDATING
    assert updated.revision == 2
    assert updated.deployment_id is not None
    progress = any_client.edge.workloads.deployment(w.id, updated.deployment_id)
    assert progress.status is DeploymentStatus.IN_PROGRESS
    assert progress.batch_size == 1  # 25% of 4
    assert (progress.batches_done, progress.updated_replicas) == (1, 1)
    seen = [progress.updated_replicas]
    for _ in range(3):
        clock.advance(1)
        progress = any_client.edge.workloads.deployment(w.id, updated.deployment_id)
        seen.append(progress.updated_replicas)
    assert seen == [1, 2, 3, 4]
    assert progress.status is DeploymentStatus.COMPLETE
    assert progress.finished_at is not None
    final = any_client.edge.workloads.get(w.id)
    assert final.status is WorkloadStatus.RUNNING
    assert final.ready_replicas == 4


@ROLLOUT_GAP
def test_rolling_skips_offline_nodes_and_catches_up(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    ids = [register(any_client, f"edge-{i}").id for i in range(3)]
    for node_id in ids:
        any_client.edge.nodes.heartbeat(node_id)
    w = workload(any_client, replicas=3)
    any_client.edge.workloads.deploy(w.id, nodes=ids)
    # edge-2 goes silent; the others keep beating
    for _ in range(5):
        clock.advance(10)
        for node_id in ids[:2]:
            any_client.edge.nodes.heartbeat(node_id)
    assert any_client.edge.nodes.get(ids[2]).status is k8sedge.NodeStatus.OFFLINE
    updated = any_client.edge.workloads.update(w.id, image="nginx:1.27")
    assert updated.deployment_id is not None
    for _ in range(3):
        clock.advance(1)
        for node_id in ids[:2]:
            any_client.edge.nodes.heartbeat(node_id)
    progress = any_client.edge.workloads.deployment(w.id, updated.deployment_id)
    assert progress.status is DeploymentStatus.WAITING
    assert progress.waiting_nodes == [ids[2]]
    assert progress.updated_replicas == 2
    assert any_client.edge.workloads.get(w.id).status is WorkloadStatus.UPDATING
    # the node returns: its replica is replaced
    any_client.edge.nodes.heartbeat(ids[2])
    clock.advance(1)
    progress = any_client.edge.workloads.deployment(w.id, updated.deployment_id)
    assert progress.status is DeploymentStatus.COMPLETE
    assert progress.updated_replicas == 3
    assert progress.waiting_nodes == []


def test_scale_and_node_loss_never_silently_under_replicate(any_client: k8sedge.Client) -> None:
    a = register(any_client, "a", resources={"cpu": "1", "memory": "2Gi"}).id
    register(any_client, "b", resources={"cpu": "1", "memory": "2Gi"})
    w = workload(any_client, replicas=2, resources={"requests": {"cpu": "500m"}})
    any_client.edge.workloads.deploy(w.id)
    assert any_client.edge.workloads.update(w.id, replicas=4).ready_replicas == 4
    any_client.edge.nodes.delete(a)
    got = any_client.edge.workloads.get(w.id)
    assert got.status is WorkloadStatus.PENDING
    assert got.ready_replicas == 2
    assert got.message is not None and "2 of 4 replicas cannot be placed" in got.message
    assert any_client.edge.workloads.update(w.id, replicas=2).status is WorkloadStatus.RUNNING


def test_unknown_workload_is_not_found(any_client: k8sedge.Client) -> None:
    with pytest.raises(k8sedge.NotFoundError):
        any_client.edge.workloads.deploy("nope")
    with pytest.raises(k8sedge.NotFoundError):
        any_client.edge.workloads.update("nope", replicas=1)
    with pytest.raises(k8sedge.NotFoundError):
        any_client.edge.workloads.deployment("nope", "nope")


def test_a_jump_of_the_clock_does_every_batch_that_fell_due(
    client: k8sedge.Client, clock: ManualClock
) -> None:
    for i in range(4):
        client.edge.nodes.heartbeat(register(client, f"edge-{i}").id)
    w = workload(client, replicas=4)
    client.edge.workloads.deploy(w.id)
    client.edge.workloads.update(w.id, image="nginx:1.27")
    clock.advance(10)  # four batches of one, one per second, were due by now
    got = client.edge.workloads.get(w.id)
    progress = client.edge.workloads.deployment(w.id, got.deployment_id or "")
    assert progress.status is DeploymentStatus.COMPLETE
    assert progress.updated_replicas == 4 and progress.batches_done == 4
