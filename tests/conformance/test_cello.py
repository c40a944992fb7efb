"""The Cello surface — a pool of blockchain clusters on the one cluster — on every backend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.surfaces.cello.models import Cluster, ClusterHealth, ClusterStatus, Host, HostStatus

WORKER = "192.168.7.62:2375"


def node(name: str, cpu: str = "8", memory: str = "16Gi", **labels: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels},
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
        },
    }


def nodes(client: k8sedge.Client, count: int, prefix: str = "node", **labels: str) -> list[str]:
    names = [f"{prefix}-{i}" for i in range(count)]
    for name in names:
        client.simulator.nodes.create(node(name, **labels))
    return names


def pool(client: k8sedge.Client, clock: ManualClock, capacity: int = 4, **options: Any) -> Host:
    """Three nodes labelled pool=cello, a host over them, filled and healthy."""
    nodes(client, 3, pool="cello")
    host = client.cello.hosts.create(
        name="compute2",
        worker_api=WORKER,
        capacity=capacity,
        node_selector={"pool": "cello"},
        **options,
    )
    host = client.cello.hosts.fillup(host.id)
    clock.advance(5)
    return host


def cello_pods(client: k8sedge.Client, cluster_id: str) -> list[k8sedge.KubeObject]:
    return client.simulator.pods.list(namespace=f"cello-{cluster_id}")


# -- hosts -----------------------------------------------------------------------------------


def test_host_create_get_list_update_delete(any_client: k8sedge.Client, clock: ManualClock) -> None:
    nodes(any_client, 2, pool="cello")
    hosts = any_client.cello.hosts
    host = hosts.create(
        name="compute2", worker_api=WORKER, capacity=2, node_selector={"pool": "cello"}
    )
    assert host.worker_api == "tcp://192.168.7.62:2375"  # as the real dashboard stores it
    assert host.status is HostStatus.ACTIVE and host.clusters == []
    assert (host.type, host.autofill, host.schedulable) == ("docker", False, True)
    assert host.create_ts is not None and host.create_ts.timestamp() == clock.now()
    assert hosts.get(host.id) == host
    assert [h.id for h in hosts.list()] == [host.id]
    assert [h.id for h in hosts.list(status="active")] == [host.id]
    assert hosts.list(status="inactive") == []

    updated = hosts.update(
        host.id, name="compute3", capacity=5, log_type="syslog", log_server="10.0.0.1:514"
    )
    assert (updated.name, updated.capacity, updated.log_server) == (
        "compute3",
        5,
        "udp://10.0.0.1:514",
    )
    assert hosts.get(host.id).capacity == 5
    hosts.delete(host.id)
    with pytest.raises(k8sedge.NotFoundError, match=f"host not found with id={host.id}"):
        hosts.get(host.id)


def test_a_host_without_ready_nodes_is_inactive(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    hosts = any_client.cello.hosts
    host = hosts.create(name="edge", worker_api=WORKER, capacity=2, node_selector={"pool": "b"})
    assert host.status is HostStatus.INACTIVE
    with pytest.raises(k8sedge.BadRequestError, match=r"Failed to fillup the host\."):
        hosts.fillup(host.id)
    assert any_client.cello.clusters.list() == []
    any_client.simulator.nodes.create(node("late", pool="b"))
    assert hosts.get(host.id).status is HostStatus.ACTIVE
    assert len(hosts.fillup(host.id).clusters) == 2


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"capacity": -1}, k8sedge.BadRequestError, "capacity"),
        ({"host_type": "mainframe"}, k8sedge.BadRequestError, "Invalid host_type"),
        ({"log_level": "LOUD"}, k8sedge.BadRequestError, "Invalid log_level"),
        ({"node_selector": {"bad key!": "x"}}, k8sedge.BadRequestError, "invalid label key"),
        ({"worker_api": ""}, k8sedge.BadRequestError, "worker_api"),
        ({"worker_api": "tcp://[x"}, k8sedge.BadRequestError, "Invalid worker_api"),
        ({"worker_api": "tcp://h:port"}, k8sedge.BadRequestError, "Invalid worker_api"),
    ],
)
def test_bad_hosts_are_refused(
    any_client: k8sedge.Client, fields: dict[str, Any], error: type, message: str
) -> None:
    arguments: dict[str, Any] = {"name": "h", "worker_api": WORKER, "capacity": 1, **fields}
    with pytest.raises(error, match=message):
        any_client.cello.hosts.create(**arguments)
    assert any_client.cello.hosts.list() == []


def test_worker_apis_are_unique(any_client: k8sedge.Client) -> None:
    any_client.cello.hosts.create(name="a", worker_api=WORKER, capacity=1)
    with pytest.raises(k8sedge.ConflictError, match="Failed to create host b"):
        any_client.cello.hosts.create(name="b", worker_api=f"tcp://{WORKER}", capacity=1)
    assert [h.name for h in any_client.cello.hosts.list()] == ["a"]


# -- the pool --------------------------------------------------------------------------------


def test_fillup_creates_free_clusters_on_the_host_nodes(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    nodes(any_client, 2, prefix="other")  # not the host's
    created = clock.now()
    host = pool(any_client, clock, capacity=3)
    clusters = any_client.cello.clusters.list()
    assert [c.name for c in clusters] == ["compute2_0", "compute2_1", "compute2_2"]
    assert sorted(c.id for c in clusters) == sorted(host.clusters)
    for slot, cluster in enumerate(clusters):
        assert cluster.free and cluster.host_id == host.id
        assert cluster.mapped_ports["rest"] == 7050 + 100 * slot
        assert cluster.mapped_ports["tlscaa"] == 7059 + 100 * slot
        assert cluster.api_url == f"http://192.168.7.62:{7050 + 100 * slot}"
        assert cluster.service_url["grpc"] == f"192.168.7.62:{7051 + 100 * slot}"
        assert cluster.worker_api == cluster.daemon_url == "tcp://192.168.7.62:2375"
        assert cluster.network_type == "fabric-0.6"
        assert (cluster.consensus_plugin, cluster.consensus_mode) in (
            ("pbft", "batch"),
            ("noops", ""),
        )
        assert cluster.size in (4, 6)
        assert cluster.containers == [*(f"vp{i}" for i in range(cluster.size)), "membersrvc"]
        assert cluster.status is ClusterStatus.RUNNING and cluster.health is ClusterHealth.OK
        assert cluster.create_ts is not None and cluster.create_ts.timestamp() == created
        assert (cluster.apply_ts, cluster.release_ts, cluster.duration) == (None, None, None)
        pods = cello_pods(any_client, cluster.id)
        assert sorted(p.labels["cello.k8sedge.io/component"] for p in pods) == sorted(
            cluster.containers
        )
        assert {p.node_name for p in pods} <= {"node-0", "node-1", "node-2"}
    exported = any_client.simulator.export()
    assert sum(p["metadata"]["namespace"].startswith("cello-") for p in exported.pods) == sum(
        len(c.containers) for c in clusters
    )
    # the same pool (names, types, sizes) on every backend: the fillup draws are seeded
    assert [(c.consensus_plugin, c.size) for c in clusters] == [
        ("pbft", 6),
        ("pbft", 6),
        ("pbft", 4),
    ]
    assert len(any_client.cello.hosts.fillup(host.id).clusters) == 3  # already full


def test_health_is_checked_five_seconds_after_create(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    nodes(any_client, 1)
    host = any_client.cello.hosts.create(name="h", worker_api=WORKER, capacity=1)
    cluster = any_client.cello.clusters.create(
        name="chain", host_id=host.id, consensus_plugin="pbft", consensus_mode="batch", size=4
    )
    assert cluster.status is ClusterStatus.RUNNING and cluster.health is ClusterHealth.UNKNOWN
    with pytest.raises(k8sedge.BadRequestError, match="No available res for alice"):
        any_client.cello.apply(user_id="alice")  # not checked yet
    clock.advance(4.9)
    assert any_client.cello.clusters.get(cluster.id).health is ClusterHealth.UNKNOWN
    clock.advance(0.1)
    assert any_client.cello.clusters.get(cluster.id).health is ClusterHealth.OK
    assert any_client.cello.apply(user_id="alice").id == cluster.id


def test_apply_release_and_the_released_history(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    pool(any_client, clock)
    cello = any_client.cello
    first = cello.apply(user_id="alice", consensus_plugin="pbft", consensus_mode="batch", size=6)
    assert first.user_id == "alice" and first.name == "compute2_0"
    assert first.apply_ts is not None and first.apply_ts.timestamp() == clock.now()
    assert cello.apply(user_id="alice").id == first.id  # the one alice holds
    second = cello.apply(user_id="alice", allow_multiple=True)
    assert second.id != first.id and second.user_id == "alice"
    assert {c.id for c in cello.clusters.list(user_id="alice")} == {first.id, second.id}
    assert len(cello.clusters.list(user_id="")) == 2

    clock.advance(60)
    cello.release(first.id)
    with pytest.raises(k8sedge.NotFoundError, match=f"cluster not found with id={first.id}"):
        cello.clusters.get(first.id)
    (released,) = cello.clusters.list(state="released")
    assert released.id == first.id and released.user_id == "alice"
    assert released.release_ts is not None and released.release_ts.timestamp() == clock.now()
    assert released.duration == timedelta(seconds=60)
    fresh = next(c for c in cello.clusters.list() if c.name == "compute2_0")
    assert fresh.id != first.id and fresh.free
    assert fresh.mapped_ports == first.mapped_ports  # the same slot, ports and config
    assert (fresh.consensus_plugin, fresh.size) == (first.consensus_plugin, first.size)
    assert fresh.health is ClusterHealth.UNKNOWN
    assert cello_pods(any_client, first.id) == []
    assert len(cello_pods(any_client, fresh.id)) == len(fresh.containers)

    cello.release(user_id="alice")  # every cluster alice holds
    assert cello.clusters.list(user_id="alice") == []
    assert len(cello.clusters.list(state="released", user_id="alice")) == 2
    assert len(cello.clusters.list()) == 4
    cello.clusters.delete(first.id, col_name="released")
    assert [c.id for c in cello.clusters.list(state="released")] == [second.id]


def test_apply_filters_and_the_pool_running_dry(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    pool(any_client, clock, capacity=3)
    cello = any_client.cello
    assert cello.apply(user_id="u1", consensus_plugin="pbft", size=4).name == "compute2_2"
    with pytest.raises(k8sedge.BadRequestError, match="No available res for u2"):
        cello.apply(user_id="u2", consensus_plugin="pbft", size=4)
    with pytest.raises(k8sedge.BadRequestError, match="No available res for u3"):
        cello.apply(user_id="u3", consensus_plugin="noops")
    cello.apply(user_id="u4")
    cello.apply(user_id="u5")
    with pytest.raises(k8sedge.BadRequestError, match="No available res for u6"):
        cello.apply(user_id="u6")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"user_id": ""}, "cluster_apply without user_id"),
        ({"user_id": "u", "consensus_plugin": "raft"}, "Invalid consensus_plugin"),
        ({"user_id": "u", "consensus_mode": "classic"}, "Invalid consensus_mode"),
        ({"user_id": "u", "size": 5}, "Invalid cluster_size"),
    ],
)
def test_bad_applies_change_nothing(
    any_client: k8sedge.Client, clock: ManualClock, arguments: dict[str, Any], message: str
) -> None:
    pool(any_client, clock, capacity=2)
    before = any_client.cello.clusters.list()
    with pytest.raises(k8sedge.BadRequestError, match=message):
        any_client.cello.apply(**arguments)
    assert any_client.cello.clusters.list() == before


def test_unknown_ids_are_not_found_and_change_nothing(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    pool(any_client, clock, capacity=1)
    cello = any_client.cello
    before = cello.clusters.list()
    for call in (
        cello.clusters.get,
        cello.release,
        cello.start,
        cello.stop,
        cello.restart,
        cello.clusters.delete,
    ):
        with pytest.raises(k8sedge.NotFoundError, match="cluster not found with id=nope"):
            call("nope")
    with pytest.raises(k8sedge.BadRequestError, match="No cluster_id is given"):
        cello.release()
    with pytest.raises(k8sedge.NotFoundError, match="host not found with id=nope"):
        cello.hosts.fillup("nope")
    assert cello.clusters.list() == before
    assert cello.clusters.list(state="released") == []


def test_stop_start_restart(any_client: k8sedge.Client, clock: ManualClock) -> None:
    pool(any_client, clock, capacity=1)
    cello = any_client.cello
    cluster = cello.apply(user_id="alice")
    pods = {p.name for p in cello_pods(any_client, cluster.id)}

    cello.stop(cluster.id)
    stopped = cello.clusters.get(cluster.id)
    assert stopped.status is ClusterStatus.STOPPED and stopped.health is ClusterHealth.UNKNOWN
    assert stopped.user_id == "alice"  # the cluster stays the user's
    assert cello_pods(any_client, cluster.id) == []
    cello.stop(cluster.id)  # stopping again is fine

    cello.start(cluster.id)
    started = cello.clusters.get(cluster.id)
    assert started.status is ClusterStatus.RUNNING and started.health is ClusterHealth.UNKNOWN
    assert len(cello_pods(any_client, cluster.id)) == len(cluster.containers)
    clock.advance(5)
    assert cello.clusters.get(cluster.id).health is ClusterHealth.OK

    before = {p.name for p in cello_pods(any_client, cluster.id)}
    cello.restart(cluster.id)
    after = {p.name for p in cello_pods(any_client, cluster.id)}
    assert len(after) == len(cluster.containers) and not after & before and not after & pods
    assert cello.clusters.get(cluster.id).status is ClusterStatus.RUNNING


def test_raw_filters(any_client: k8sedge.Client, clock: ManualClock) -> None:
    pool(any_client, clock, capacity=3)
    clusters = any_client.cello.clusters
    assert [c.name for c in clusters.list(where={"mapped_ports.rest": 7150})] == ["compute2_1"]
    assert len(clusters.list(where={"containers": "vp5"})) == 2  # the size-6 ones
    assert len(clusters.list(consensus_plugin="pbft", size=6, user_id="")) == 2
    assert len(clusters.list(where={"user": ""})) == 3  # the spec's spelling of user_id
    assert len(clusters.list(status=ClusterStatus.RUNNING, health="OK")) == 3
    assert clusters.list(name="nope") == []
    with pytest.raises(k8sedge.BadRequestError, match="unknown cluster field 'colour'"):
        clusters.list(where={"colour": "blue"})
    with pytest.raises(k8sedge.BadRequestError, match="Unknown cluster state=gone"):
        clusters.list(state="gone")


def test_operators_create_and_delete_clusters(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    nodes(any_client, 2)
    cello = any_client.cello
    host = cello.hosts.create(name="h", worker_api=WORKER, capacity=2)
    kafka = cello.clusters.create(
        name="fabric",
        host_id=host.id,
        network_type="fabric-1.0",
        consensus_plugin="kafka",
        size=4,
    )
    assert kafka.containers == [
        "peer0-org1",
        "peer1-org1",
        "peer0-org2",
        "peer1-org2",
        "orderer",
        "ca-org1",
        "ca-org2",
        "kafka",
        "zookeeper",
    ]
    assert kafka.consensus_mode == "" and kafka.mapped_ports["rest"] == 7050
    with pytest.raises(k8sedge.BadRequestError, match="config not validated"):
        cello.clusters.create(name="x", host_id=host.id, consensus_plugin="pbft", size=4)
    with pytest.raises(k8sedge.BadRequestError, match="config not validated"):
        cello.clusters.create(
            name="x", host_id=host.id, network_type="fabric-1.0", consensus_plugin="solo", size=6
        )
    with pytest.raises(k8sedge.NotFoundError, match="host not found with id=nope"):
        cello.clusters.create(name="x", host_id="nope", consensus_plugin="noops", size=4)
    noops = cello.clusters.create(name="y", host_id=host.id, consensus_plugin="noops", size=4)
    assert noops.mapped_ports["rest"] == 7150
    with pytest.raises(k8sedge.BadRequestError, match="Failed to create cluster z"):
        cello.clusters.create(name="z", host_id=host.id, consensus_plugin="noops", size=4)

    clock.advance(5)
    applied = cello.apply(user_id="alice", consensus_plugin="kafka")
    with pytest.raises(k8sedge.ConflictError, match=f"Failed to delete cluster {applied.id}"):
        cello.clusters.delete(applied.id)
    with pytest.raises(k8sedge.ConflictError, match=f"Failed to delete host {host.id}"):
        cello.hosts.delete(host.id)
    cello.clusters.delete(noops.id)
    assert cello_pods(any_client, noops.id) == []
    assert [c.id for c in cello.clusters.list()] == [applied.id]
    again = cello.clusters.create(name="y", host_id=host.id, consensus_plugin="noops", size=4)
    assert again.mapped_ports["rest"] == 7150  # the freed slot
    with pytest.raises(k8sedge.BadRequestError, match="Failed to update host h"):
        cello.hosts.update(host.id, capacity=1)


def test_autofill_clean_and_reset(any_client: k8sedge.Client, clock: ManualClock) -> None:
    nodes(any_client, 2)
    cello = any_client.cello
    host = cello.hosts.create(name="auto", worker_api=WORKER, capacity=2, autofill=True)
    assert len(host.clusters) == 2  # filled at once
    clock.advance(5)
    applied = cello.apply(user_id="alice")
    free = next(c for c in cello.clusters.list() if c.free)
    cello.clusters.delete(free.id)
    refilled = cello.hosts.get(host.id)  # autofill keeps it full
    assert len(refilled.clusters) == 2 and free.id not in refilled.clusters

    reset = cello.hosts.reset(host.id)
    assert applied.id in reset.clusters and len(set(reset.clusters) - set(refilled.clusters)) == 1

    cleaned = cello.hosts.clean(host.id)
    assert not cleaned.autofill and cleaned.clusters == [applied.id]  # applied ones stay
    assert cello.hosts.get(host.id).clusters == [applied.id]
    cello.hosts.update(host.id, capacity=3, autofill=True)
    assert len(cello.hosts.get(host.id).clusters) == 3


def test_unschedulable_hosts_are_not_applied(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    host = pool(any_client, clock, capacity=1, schedulable=False)
    with pytest.raises(k8sedge.BadRequestError, match="No available res for alice"):
        any_client.cello.apply(user_id="alice")
    any_client.cello.hosts.update(host.id, schedulable=True)
    assert any_client.cello.apply(user_id="alice").host_id == host.id


def test_a_lost_node_fails_health_and_the_watchdog_resets_free_clusters(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    edge = any_client.edge
    registered = [
        edge.nodes.register(
            name=f"edge-{i}",
            address=f"10.0.0.{i}",
            resources={"cpu": "4", "memory": "8Gi"},
            labels={"pool": "cello"},
        )
        for i in range(3)
    ]
    for n in registered:
        edge.nodes.heartbeat(n.id)
    cello = any_client.cello
    host = cello.hosts.create(
        name="edge", worker_api=WORKER, capacity=3, node_selector={"pool": "cello"}
    )
    cello.hosts.fillup(host.id)
    clock.advance(5)
    applied = cello.apply(user_id="alice")
    lost = next(iter({p.node_name for p in cello_pods(any_client, applied.id)}))
    on_lost = {
        c.id
        for c in cello.clusters.list(user_id="")
        if lost in {p.node_name for p in cello_pods(any_client, c.id)}
    }
    edge.nodes.update_status(next(n.id for n in registered if n.name == lost), status="offline")

    assert cello.clusters.get(applied.id).health is ClusterHealth.FAIL  # the user's stays
    free = cello.clusters.list(user_id="")
    assert len(free) == 2 and not {c.id for c in free} & on_lost  # reset by the watchdog
    for cluster in free:
        assert lost not in {p.node_name for p in cello_pods(any_client, cluster.id)}
    clock.advance(5)
    assert all(c.health is ClusterHealth.OK for c in cello.clusters.list(user_id=""))
    assert cello.apply(user_id="alice").id != applied.id  # a healthy one, not her failed one


def test_the_pool_is_kept_in_the_cluster(
    any_client: k8sedge.Client, clock: ManualClock, memory_backend: k8sedge.MemoryBackend
) -> None:
    """Records are ConfigMaps of cello-system: another client (a restarted server) sees them."""
    pool(any_client, clock, capacity=2)
    applied = any_client.cello.apply(user_id="alice")
    config_maps = memory_backend.cluster.list("configmaps", "cello-system")
    assert len(config_maps) == 3  # a host, two clusters
    other = k8sedge.Client(k8sedge.MemoryBackend())  # sees nothing of it
    assert other.cello.clusters.list() == []
    again = k8sedge.Client(memory_backend)
    assert again.cello.clusters.get(applied.id) == Cluster.from_dict(applied.to_dict())


def test_a_new_node_selector_moves_the_hosts_clusters(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    host = pool(any_client, clock, capacity=2)
    nodes(any_client, 2, prefix="fresh", pool="new")
    moved = any_client.cello.hosts.update(host.id, node_selector={"pool": "new"})
    assert moved.node_selector == {"pool": "new"} and moved.status is HostStatus.ACTIVE
    for cluster_id in moved.clusters:
        placed = {p.node_name for p in cello_pods(any_client, cluster_id)}
        assert placed and placed <= {"fresh-0", "fresh-1"}
    clock.advance(5)
    assert all(c.health is ClusterHealth.OK for c in any_client.cello.clusters.list())
