"""A real ``k8sedge serve --data-dir`` process killed with SIGKILL while it answers writes:
after every restart each acknowledged write is there (the long loop is bench/bench_crash.py)."""

from __future__ import annotations

from pathlib import Path

import k8sedge

from .crashload import ADMIN, ServeProcess, crash_loop, missing


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    acked, lost, _, server = crash_loop(tmp_path / "data", kills=3, seed=7)
    try:
        assert lost == []
        # the load did every kind of write, so the check had something to find
        assert acked.nodes and acked.workloads and acked.samples and acked.pods
        assert acked.writes >= 20
        # each restart said what it found in the directory
        assert server.started[0].endswith("new; every change is kept here")
        assert all("loaded" in line and "nodes" in line for line in server.started[1:])
        # and the check does find a write that is not there
        acked.nodes["no-such-id"] = "ghost"
        assert missing(server.url, acked) == ["node ghost (no-such-id)"]
    finally:
        server.stop()


def test_tokens_issued_before_a_restart_still_work(tmp_path: Path) -> None:
    acked, lost, _, server = crash_loop(tmp_path / "data", kills=1, seed=3, min_wait=1.0)
    try:
        assert lost == []
        node_id, name = next(iter(acked.nodes.items()))
        with k8sedge.connect(server.url, token=ADMIN) as admin:
            token = admin.edge.tokens.generate(node_id, "1h").token
        server.kill()
        server.start()
        # a node token signed before the crash authenticates the node's own heartbeat after it
        with k8sedge.connect(server.url, token=token) as node:
            assert node.edge.nodes.heartbeat(node_id).name == name
    finally:
        server.stop()


def test_a_second_server_on_the_directory_is_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    _, _, _, server = crash_loop(tmp_path / "data", kills=0)
    try:
        other = subprocess.run(
            [
                sys.executable,
                "-m",
                "k8sedge",
                "serve",
                "--port",
                "0",
                "--data-dir",
                str(server.data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.returncode == 2
        assert f"in use by process {server.proc.pid}" in other.stderr  # type: ignore[union-attr]
    finally:
        server.stop()


def test_every_surface_comes_back_after_sigkill(tmp_path: Path) -> None:
    """Objects of every surface written through a real server process are there after it is
    killed and started again on the same directory."""
    server = ServeProcess(tmp_path / "data")
    server.start()
    try:
        with k8sedge.connect(server.url, token=ADMIN) as client:
            nodes = [
                client.edge.nodes.register(
                    name=f"edge-{i}",
                    address=f"10.0.0.{i}",
                    resources={"cpu": "8", "memory": "16Gi"},
                )
                for i in range(3)
            ]
            for node in nodes:
                client.edge.nodes.heartbeat(node.id)
            workload = client.edge.workloads.create(name="web", image="nginx", replicas=2)
            client.edge.workloads.deploy(workload.id)
            client.simulator.pods.create(
                {
                    "metadata": {"name": "solo"},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                }
            )
            pool_node = client.pool.nodes.list()[0].id
            client.pool.containers.create(pool_node, id="vfw", hostname="vfw", flist="http://x/f")
            processes = {p.pid for p in client.pool.processes.list(pool_node, "vfw")}
            run = client.mlbench.runs.create(name="train", num_workers=2, num_cpus=1)
            client.mlbench.metrics.record(run_id=str(run.id), name="loss", value="0.5")
            host = client.cello.hosts.create(
                name="compute", worker_api="tcp://10.0.0.1:2375", capacity=2
            )
            client.cello.hosts.fillup(host.id)
            before = {
                "pods": sorted(p.name for p in client.simulator.pods.list()),
                "clusters": sorted(c.id for c in client.cello.clusters.list()),
            }
        server.kill()
        server.start()
        with k8sedge.connect(server.url, token=ADMIN) as client:
            assert {n.id for n in client.edge.nodes.iter()} == {n.id for n in nodes}
            assert client.edge.workloads.get(workload.id).deployment_id is not None
            assert sorted(p.name for p in client.simulator.pods.list()) == before["pods"]
            assert client.pool.containers.get(pool_node, "vfw").hostname == "vfw"
            assert {p.pid for p in client.pool.processes.list(pool_node, "vfw")} == processes
            assert client.mlbench.runs.get(run.id).name == "train"
            loss = client.mlbench.metrics.get(str(run.id), metric_type="run")["loss"]
            assert [p.value for p in loss] == ["0.5"]
            assert sorted(c.id for c in client.cello.clusters.list()) == before["clusters"]
            assert client.cello.hosts.get(host.id).name == "compute"
    finally:
        server.stop()


def test_heartbeats_reach_the_disk_within_a_second(tmp_path: Path) -> None:
    """Heartbeats are written behind by at most ``HEARTBEAT_FLUSH`` (1 s): a SIGKILL 1.5 s
    after the last one keeps it, and a deleted node's heartbeats stay gone."""
    import time

    data = tmp_path / "data"
    data.mkdir()
    server = ServeProcess(data)
    server.start()
    try:
        with k8sedge.connect(server.url, token=ADMIN) as admin:
            kept = admin.edge.nodes.register(name="beating", address="10.0.0.1")
            gone = admin.edge.nodes.register(name="leaving", address="10.0.0.2")
            for _ in range(3):
                beat = admin.edge.nodes.heartbeat(kept.id).last_heartbeat
                admin.edge.nodes.heartbeat(gone.id)
            admin.edge.nodes.delete(gone.id)
        time.sleep(1.5)
        server.kill()
        server.start()
        with k8sedge.connect(server.url, token=ADMIN) as admin:
            assert admin.edge.nodes.get(kept.id).last_heartbeat == beat
            again = admin.edge.nodes.register(name="leaving", address="10.0.0.2")
            assert admin.edge.nodes.get(again.id).last_heartbeat is None
    finally:
        server.stop()
