"""Figures for issue 10 ("Nothing a client sends can break the server"), measured against a
real ``python -m k8sedge serve`` process (one uvicorn worker, memory backend) on loopback:

- ``/health`` latency while hostile requests run (a heartbeat with ``cpu: 1e20000000``, a
  workload at the replicas cap, a 10,000-pod simulator import);
- the server's memory (RSS) after 200 requests with 1 MB ``Authorization`` headers;
- the server's threads after 100 abandoned watches (50 list-watch, 50 facade watches);
- ``GET /schedulerconfiguration`` latency with 50 list-watch clients open;
- how long ``SIGTERM`` takes with 20 watches open;
- how long the http SDK takes to give up on a server that drips its answer (2 s timeout).

Run: python bench/bench_hostile.py
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "b" * 40
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cap_memory() -> None:
    """The server may use at most 8 GiB (a regression fails here, not on the machine)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, 8 * 2**30))


class Server:
    """``python -m k8sedge serve`` in a subprocess, with the Kubernetes API facade."""

    def __init__(self, rate_limit: str = "off") -> None:
        self.port, self.kube_port = free_port(), free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "k8sedge",
                "serve",
                "--port",
                str(self.port),
                "--kube-port",
                str(self.kube_port),
                "--admin-token",
                TOKEN,
                "--rate-limit",
                rate_limit,
                "--log-level",
                "warning",
                "--kubeconfig",
                str(Path("/tmp") / f"k8sedge-bench-{self.port}.json"),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_cap_memory,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.kube = f"http://127.0.0.1:{self.kube_port}"
        for _ in range(300):
            try:
                httpx.get(f"{self.url}/api/v1/health")
                httpx.get(f"{self.kube}/version")
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        self.ps = psutil.Process(self.process.pid)

    def rss_mib(self) -> float:
        return float(self.ps.memory_info().rss) / 2**20

    def threads(self) -> int:
        return int(self.ps.num_threads())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def open_stream(base: str, path: str, headers: dict[str, str]) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sock.recv(12)
    return sock


def health_while(server: Server, hostile: Callable[[], Any]) -> tuple[list[float], float]:
    """/health latencies (ms) polled every 10 ms while ``hostile()`` runs; its duration (s)."""
    latencies: list[float] = []
    done = threading.Event()

    def poll() -> None:
        with httpx.Client() as client:
            while not done.is_set():
                start = time.perf_counter()
                client.get(f"{server.url}/api/v1/health")
                latencies.append((time.perf_counter() - start) * 1000)
                time.sleep(0.01)

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.1)
    start = time.perf_counter()
    hostile()
    took = time.perf_counter() - start
    done.set()
    poller.join()
    return latencies, took


def report(label: str, latencies: list[float], took: float) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label}: hostile request {took:.2f} s; /health during it: n={len(ordered)}, "
        f"median {statistics.median(ordered):.1f} ms, p99 {p99:.1f} ms, max {ordered[-1]:.1f} ms"
    )


def event_loop(server: Server) -> None:
    http = httpx.Client(base_url=server.url, headers=AUTH, timeout=120)
    nodes = [
        {
            "metadata": {"name": f"n{i:04d}"},
            "status": {"allocatable": {"cpu": "64", "pods": "1000"}},
        }
        for i in range(1000)
    ]
    http.post("/api/v1/import", json={"nodes": nodes}).raise_for_status()
    node = http.post("/api/v1/nodes", json={"name": "edge-1", "address": "a"}).json()
    token = http.post(
        "/api/v1/security/tokens", json={"node_id": node["id"], "expiration": "1h"}
    ).json()["token"]

    def heartbeat() -> None:
        answer = httpx.put(
            f"{server.url}/api/v1/nodes/{node['id']}/status",
            headers={"Authorization": f"Bearer {token}"},
            json={"heartbeat": True, "resources": {"cpu": "1e20000000"}},
        )
        assert answer.status_code == 200

    report("heartbeat with cpu 1e20000000", *health_while(server, heartbeat))

    def workload() -> None:
        answer = http.post(
            "/api/v1/workloads", json={"name": "big", "image": "nginx", "replicas": 1_000}
        )
        assert answer.status_code == 201, answer.text
        http.post(f"/api/v1/workloads/{answer.json()['id']}/deploy", json={}).raise_for_status()

    report(
        "workload at the cap (1,000 replicas) created and deployed",
        *health_while(server, workload),
    )

    def refused() -> None:
        answer = http.post(
            "/api/v1/workloads", json={"name": "huge", "image": "nginx", "replicas": 200_000}
        )
        assert answer.status_code == 400

    report("workload with 200,000 replicas (refused)", *health_while(server, refused))
    pods = [
        {"metadata": {"name": f"p{i:05d}"}, "spec": {"containers": [{"name": "c"}]}}
        for i in range(10_000)
    ]

    def imported() -> None:
        http.post("/api/v1/import", json={"pods": pods}).raise_for_status()

    report("simulator import of 10,000 pods", *health_while(server, imported))
    print(f"server RSS after these: {server.rss_mib():.0f} MiB")
    assert server.process.poll() is None, "the server died"


def headers() -> None:
    """Distinct 1 MB Authorization headers, with rate limiting on (each one was a bucket
    key before issue 10)."""
    server = Server(rate_limit="1000000/second")
    try:
        with httpx.Client(timeout=30) as client:
            before = server.rss_mib()
            rss = []
            statuses = set()
            for batch in range(4):
                for i in range(200):
                    header = f"Bearer {batch}-{i}" + "a" * 1_000_000
                    answer = client.get(
                        f"{server.url}/api/v1/nodes", headers={"Authorization": header}
                    )
                    statuses.add(answer.status_code)
                rss.append(server.rss_mib())
        print(
            f"distinct 1 MB Authorization headers, rate limiting on: answered {sorted(statuses)}; "
            f"server RSS {before:.0f} MiB before, after 200/400/600/800: "
            + "/".join(f"{r:.0f}" for r in rss)
            + " MiB"
        )
    finally:
        server.stop()


def watches(server: Server) -> None:
    threads = server.threads()
    sockets = [open_stream(server.url, "/api/v1/listwatchresources", AUTH) for _ in range(50)]
    sockets += [open_stream(server.kube, "/api/v1/pods?watch=1", {}) for _ in range(50)]
    open_threads = server.threads()
    open_rss = server.rss_mib()
    for sock in sockets:
        sock.close()
    time.sleep(0.5)
    print(
        f"threads: {threads} before 100 watches, {open_threads} with them open, "
        f"{server.threads()} after they were abandoned; RSS with them open {open_rss:.0f} MiB"
    )
    sockets = [open_stream(server.url, "/api/v1/listwatchresources", AUTH) for _ in range(50)]
    latencies = []
    with httpx.Client(headers=AUTH) as client:
        for _ in range(50):
            start = time.perf_counter()
            client.get(f"{server.url}/api/v1/schedulerconfiguration").raise_for_status()
            latencies.append((time.perf_counter() - start) * 1000)
    for sock in sockets:
        sock.close()
    print(
        f"GET /schedulerconfiguration with 50 list-watch clients open: median "
        f"{statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms"
    )


def sigterm() -> None:
    server = Server()
    sockets = [open_stream(server.url, "/api/v1/listwatchresources", AUTH) for _ in range(10)]
    sockets += [open_stream(server.kube, "/api/v1/pods?watch=1", {}) for _ in range(10)]
    start = time.perf_counter()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=30)
    print(f"SIGTERM with 20 watches open: exited {code} after {time.perf_counter() - start:.2f} s")
    for sock in sockets:
        sock.close()


def dripping_server() -> None:
    import k8sedge
    from k8sedge.backends.http import RetryPolicy

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            )
            for _ in range(600):
                if stop.wait(0.1):
                    return
                conn.sendall(b" ")

    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    start = time.perf_counter()
    with k8sedge.connect(url, token="t", timeout=2.0, retry=RetryPolicy(attempts=1)) as client:
        try:
            client.edge.nodes.list()
        except k8sedge.errors.TransportError as exc:
            print(
                f"http SDK, timeout 2 s, server dripping one byte every 0.1 s: "
                f"{type(exc).__name__} after {time.perf_counter() - start:.2f} s"
            )
    stop.set()
    listener.close()


def main() -> None:
    server = Server()
    try:
        event_loop(server)
        watches(server)
    finally:
        server.stop()
    headers()
    sigterm()
    dripping_server()


if __name__ == "__main__":
    main()
