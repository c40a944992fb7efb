"""Watches cannot exhaust the server: an open watch holds no worker thread, a client that goes
away is noticed at once, many watchers do not slow other requests, and SIGTERM stops
``k8sedge serve`` with watches open."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from k8sedge.kubeapi import write_kubeconfig

from .conftest import KUBECTL, Served, needs_kubectl

ROOT = Path(__file__).resolve().parents[2]


def _open_stream(url: str, path: str, headers: dict[str, str]) -> socket.socket:
    """A raw request whose answer is never read to the end (an abandoned watch)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert sock.recv(12).startswith(b"HTTP/1.1 200")
    return sock


def _until(condition: object, attempts: int = 500) -> bool:
    for _ in range(attempts):
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_abandoned_watches_hold_no_threads(served: Served, kube: Served) -> None:
    threads = threading.active_count()
    auth = {"Authorization": f"Bearer {served.token}"}
    sockets = [_open_stream(served.url, "/api/v1/listwatchresources", auth) for _ in range(50)]
    sockets += [_open_stream(kube.url, "/api/v1/pods?watch=1", {}) for _ in range(50)]
    # open watches hold no thread while they wait: 100 of them would need 100; what is
    # there are the pooled workers (at most 40) that presented their initial state
    assert threading.active_count() < threads + 40
    cluster = served.backend.cluster
    assert len(cluster._listeners) == 100
    for sock in sockets:
        sock.close()
    assert _until(lambda: not cluster._listeners)  # every watch noticed its client left
    assert threading.active_count() < threads + 40
    assert served.http.get("/api/v1/schedulerconfiguration").status_code == 200


def test_many_watchers_do_not_slow_other_requests(served: Served) -> None:
    auth = {"Authorization": f"Bearer {served.token}"}
    sockets = [_open_stream(served.url, "/api/v1/listwatchresources", auth) for _ in range(50)]
    try:
        for _ in range(20):
            answer = served.http.get("/api/v1/schedulerconfiguration")
            assert answer.status_code == 200 and answer.json()["profiles"]
        created = served.http.post("/api/v1/nodes", json={"name": "n", "address": "a"})
        assert created.status_code == 201
        # every watcher is told of the change
        for sock in sockets[:5]:
            seen = b""
            while b'"nodes"' not in seen:
                seen += sock.recv(65536)
    finally:
        for sock in sockets:
            sock.close()


@needs_kubectl
def test_interrupted_kubectl_watches_leave_nothing_behind(kube: Served, tmp_path: Path) -> None:
    config = str(write_kubeconfig(tmp_path / "kubeconfig", kube.url))
    assert KUBECTL is not None
    threads = threading.active_count()
    cluster = kube.backend.cluster

    def interrupted_watches() -> int:
        watchers = [
            subprocess.Popen(
                [KUBECTL, "--kubeconfig", config, "get", "pods", "-w"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(42)
        ]
        try:
            assert _until(lambda: len(cluster._listeners) == 42, attempts=3000)
        finally:
            for watcher in watchers:
                watcher.kill()
                watcher.wait()
        assert _until(lambda: not cluster._listeners)
        return threading.active_count()

    first = interrupted_watches()
    # kubectl lists before it watches: the lists ran in worker threads, which the pool keeps
    # (anyio's limit is 40; watches share 4 more); the 42 watches themselves held none ...
    assert first <= threads + 40 + 4
    # ... so 42 more interrupted watches leave no more threads behind
    assert interrupted_watches() <= max(first, threads + 40 + 4)
    listed = subprocess.run(
        [KUBECTL, "--kubeconfig", config, "get", "namespaces", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "namespace/default" in listed.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _serve(tmp_path: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    port, kube_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "k8sedge",
            "serve",
            "--port",
            str(port),
            "--kube-port",
            str(kube_port),
            "--admin-token",
            "t" * 40,
            "--kubeconfig",
            str(tmp_path / "kubeconfig"),
            "--log-level",
            "warning",
            *extra,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _until(lambda: _answers(f"http://127.0.0.1:{kube_port}/version"), 2000)
        assert _until(lambda: _answers(f"http://127.0.0.1:{port}/api/v1/health"), 2000)
        yield process, port, kube_port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.output = process.stdout.read() if process.stdout else ""  # type: ignore[attr-defined]
        if process.stdout:
            process.stdout.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def test_sigterm_stops_the_server_within_5_seconds_with_watches_open(tmp_path: Path) -> None:
    with _serve(tmp_path) as (process, port, kube_port):
        auth = {"Authorization": "Bearer " + "t" * 40}
        sockets = [
            _open_stream(f"http://127.0.0.1:{port}", "/api/v1/listwatchresources", auth)
            for _ in range(10)
        ]
        sockets += [
            _open_stream(f"http://127.0.0.1:{kube_port}", "/api/v1/pods?watch=1", {})
            for _ in range(10)
        ]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        for sock in sockets:
            sock.close()
    assert "Traceback" not in process.output  # type: ignore[attr-defined]


def test_the_facade_is_not_open_on_a_non_loopback_address(tmp_path: Path) -> None:
    with _serve(tmp_path, "--host", "0.0.0.0") as (process, _, kube_port):
        base = f"http://127.0.0.1:{kube_port}/api/v1/namespaces"
        refused = httpx.get(base)
        assert refused.status_code == 401 and refused.json()["kind"] == "Status"
        allowed = httpx.get(base, headers={"Authorization": "Bearer " + "t" * 40})
        assert allowed.status_code == 200
    assert "requires the admin token" in process.output  # type: ignore[attr-defined]


@pytest.mark.parametrize("host", ["127.0.0.1"])
def test_the_facade_on_loopback_without_tls_needs_no_token(tmp_path: Path, host: str) -> None:
    with _serve(tmp_path, "--host", host) as (_, _port, kube_port):
        assert httpx.get(f"http://{host}:{kube_port}/api/v1/namespaces").status_code == 200


def test_watches_of_a_large_cluster_do_not_hold_the_event_loop(served: Served) -> None:
    """Each watch first sends every pod with its scheduling results (large): that work is
    done in worker threads, a chunk at a time, and stops when the client goes."""
    nodes = [
        {"metadata": {"name": f"n{i:03d}"}, "status": {"allocatable": {"cpu": "64", "pods": "500"}}}
        for i in range(300)
    ]
    pods = [
        {"metadata": {"name": f"p{i:03d}"}, "spec": {"containers": [{"name": "c"}]}}
        for i in range(500)
    ]
    assert (
        served.http.post("/api/v1/import", json={"nodes": nodes, "pods": pods}).status_code == 200
    )
    auth = {"Authorization": f"Bearer {served.token}"}
    sockets = [_open_stream(served.url, "/api/v1/listwatchresources", auth) for _ in range(20)]
    assert httpx.get(f"{served.url}/api/v1/health", timeout=10).status_code == 200
    for sock in sockets:
        sock.close()
    assert _until(lambda: not served.backend.cluster._listeners)
    answer = served.http.get("/api/v1/schedulerconfiguration", timeout=10)
    assert answer.status_code == 200
