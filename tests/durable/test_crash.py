"""A real ``k8sedge serve --data-dir`` process killed with SIGKILL while it answers writes:
after every restart each acknowledged write is there (the long loop is bench/bench_crash.py)."""

from __future__ import annotations

from pathlib import Path

import k8sedge

from .crashload import ADMIN, crash_loop, missing


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
