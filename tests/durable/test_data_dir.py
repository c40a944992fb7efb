"""A data directory: the memory cluster's state survives a restart, through the public API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import k8sedge
from k8sedge import ManualClock

START = 1_700_000_000.0


def _open(path: Path, clock: ManualClock) -> k8sedge.Client:
    return k8sedge.connect(f"memory://{path}", clock=clock)


def test_every_lens_comes_back_after_a_restart(tmp_path: Path) -> None:
    clock = ManualClock(START)
    with _open(tmp_path, clock) as client:
        node = client.edge.nodes.register(
            name="edge-1",
            address="10.0.0.1",
            resources={"cpu": "8", "memory": "16Gi"},
            labels={"site": "a"},
        )
        client.edge.nodes.heartbeat(node.id)
        client.simulator.nodes.create(
            {
                "metadata": {"name": "made-by-kubectl"},
                "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
            }
        )
        w = client.edge.workloads.create(name="web", image="nginx", replicas=2)
        client.edge.workloads.deploy(w.id)
        client.edge.metrics.record(node.id, cpu_usage=42.0, memory_usage=3.0)
        token = client.edge.tokens.generate(node.id, "1h").token
        revoked = client.edge.tokens.generate(node.id, "1h").token
        client.edge.tokens.revoke(revoked)
        client.simulator.pods.create(
            {"metadata": {"name": "probe"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
        )
        result = client.simulator.pods.result("probe")
        exported = client.simulator.export()

    with _open(tmp_path, clock) as client:
        assert [n.name for n in client.edge.nodes.iter()] == ["edge-1", "made-by-kubectl"]
        back = client.edge.nodes.get(node.id)
        assert back.labels == {"site": "a"} and back.status is k8sedge.NodeStatus.ACTIVE
        got = client.edge.workloads.get(w.id)
        assert got.status is k8sedge.WorkloadStatus.RUNNING and got.ready_replicas == 2
        assert client.edge.tokens.validate(token).valid
        assert not client.edge.tokens.validate(revoked).valid
        series = client.edge.metrics.node(node.id, "1h", "5m").metrics["cpu_usage"]
        assert [p.value for p in series] == [42.0]
        assert client.simulator.pods.get("probe").node_name == result.selected_node
        again = client.simulator.export()
        assert [p["metadata"]["name"] for p in again.pods] == [
            p["metadata"]["name"] for p in exported.pods
        ]
        # versions keep growing after a restart
        before = max(int(p["metadata"]["resourceVersion"]) for p in exported.pods)
        client.simulator.pods.create(
            {"metadata": {"name": "later"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
        )
        assert int(client.simulator.pods.get("later").resource_version or 0) > before


def test_liveness_starts_from_the_stored_heartbeats_with_a_grace_period(tmp_path: Path) -> None:
    clock = ManualClock(START)
    with _open(tmp_path, clock) as client:
        node = client.edge.nodes.register(name="edge-1", address="10.0.0.1")
        client.edge.nodes.heartbeat(node.id)
    clock.advance(600)  # the server was down for ten minutes
    with _open(tmp_path, clock) as client:
        assert client.edge.nodes.get(node.id).status is k8sedge.NodeStatus.ACTIVE
        clock.advance(41)
        assert client.edge.nodes.get(node.id).status is k8sedge.NodeStatus.OFFLINE
        client.edge.nodes.heartbeat(node.id)
        assert client.edge.nodes.get(node.id).status is k8sedge.NodeStatus.ACTIVE


def test_one_process_per_directory(tmp_path: Path) -> None:
    with (
        k8sedge.connect(data_dir=str(tmp_path)),
        pytest.raises(k8sedge.ConflictError, match="in use by process"),
    ):
        k8sedge.connect(data_dir=str(tmp_path))
    with k8sedge.connect(data_dir=str(tmp_path)) as client:  # released on close
        assert client.edge.health().status == "healthy"


def test_a_newer_format_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with k8sedge.connect(data_dir=str(tmp_path)):
        pass
    db = sqlite3.connect(tmp_path / "k8sedge.db")
    db.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    db.commit()
    db.close()
    with pytest.raises(k8sedge.UnsupportedError, match="newer k8sedge"):
        k8sedge.connect(data_dir=str(tmp_path))


def test_without_a_data_dir_nothing_is_written(tmp_path: Path) -> None:
    with k8sedge.connect() as client:
        client.edge.nodes.register(name="edge-1", address="10.0.0.1")
    assert list(tmp_path.iterdir()) == []


def test_the_pool_mlbench_and_cello_lenses_come_back(tmp_path: Path) -> None:
    clock = ManualClock(START)
    with _open(tmp_path, clock) as client:
        for i in range(3):
            node = client.edge.nodes.register(
                name=f"edge-{i}", address=f"10.0.0.{i}", resources={"cpu": "8", "memory": "16Gi"}
            )
            client.edge.nodes.heartbeat(node.id)
        pool_node = client.pool.nodes.list()[0].id
        client.pool.containers.create(pool_node, id="vfw", hostname="vfw", flist="http://x/f.flist")
        job = client.pool.processes.start(pool_node, "vfw", name="/bin/sleep", args=["60"])
        processes = {p.pid for p in client.pool.processes.list(pool_node, "vfw")}
        run = client.mlbench.runs.create(name="train", num_workers=2, num_cpus=1)
        client.mlbench.metrics.record(run_id=str(run.id), name="loss", value="0.5")
        host = client.cello.hosts.create(
            name="compute", worker_api="tcp://10.0.0.1:2375", capacity=2
        )
        client.cello.hosts.fillup(host.id)
        clock.advance(6)
        for i in range(3):
            client.edge.nodes.heartbeat(client.edge.nodes.list().items[i].id)
        applied = client.cello.apply(user_id="alice")

    with _open(tmp_path, clock) as client:
        assert {p.pid for p in client.pool.processes.list(pool_node, "vfw")} == processes
        assert client.pool.jobs.get(pool_node, "vfw", job).id == job
        again = client.mlbench.runs.get(run.id)
        assert again.name == "train"
        loss = client.mlbench.metrics.get(str(run.id), metric_type="run")["loss"]
        assert [p.value for p in loss] == ["0.5"]
        assert client.cello.clusters.get(applied.id).user_id == "alice"
        assert len(client.cello.clusters.list()) == 2
