"""Heartbeat throughput of ``k8sedge serve`` as users start it, against a bare Starlette
endpoint in the same run, and with a data directory (``--data-dir``) against without one.

The server is ``python -m k8sedge serve --port P --admin-token T`` with every other option at
its default (the memory backend, the default rate limit of 600/minute per token, uvloop and
httptools, no access log) — exactly what ``docs/server.md`` says to run. ``--nodes`` nodes are
registered and given a token each over HTTP; ``wrk`` (one thread, ``--connections``
connections, from a second process on loopback) then sends ``PUT /api/v1/nodes/{id}/status``
with a random node's token, as a fleet of nodes does. The baseline is a bare Starlette
endpoint doing the same JSON parse/respond, on the same uvicorn settings, driven by the same
wrk script. The durable run is the same command with ``--data-dir DIR`` (a fresh directory).

Run: python bench/bench_heartbeat.py [--seconds 10] [--connections 64] [--nodes 600]
Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
BODY = '{"status": "active", "heartbeat": true}'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def wrk(url: str, seconds: int, connections: int, script: str) -> tuple[float, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(
            script
            + """
done = function(summary, latency, requests)
  io.write(string.format("NON2XX %d\\n", summary.errors.status))
end"""
        )
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "-s", f.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = int(re.search(r"NON2XX (\d+)", out).group(1))  # type: ignore[union-attr]
    if bad:
        raise RuntimeError(f"{bad} non-2xx answers from {url}:\n{out}")
    latency = re.search(r"Latency\s+(\S+)", out)
    return rate, latency.group(1) if latency else "?"


def heartbeat_script(nodes: list[tuple[str, str]]) -> str:
    entries = ",\n".join(f'{{"{node_id}", "{token}"}}' for node_id, token in nodes)
    return f"""
nodes = {{
{entries}
}}
wrk.method = "PUT"
wrk.body = '{BODY}'
request = function()
  local n = nodes[math.random(#nodes)]
  return wrk.format("PUT", "/api/v1/nodes/" .. n[1] .. "/status",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. n[2]}}, wrk.body)
end
"""


def bare(seconds: int, connections: int, nodes: list[tuple[str, str]]) -> float:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "heartbeat_server.py"), "bare", "--port", str(port)]
    )
    try:
        wait_ready(port)
        rate, latency = wrk(
            f"http://127.0.0.1:{port}/api/v1/nodes/x/status",
            seconds,
            connections,
            heartbeat_script(nodes),
        )
        print(f"{'bare endpoint:':<26}{rate:>9,.0f} req/s  (latency avg {latency})")
        return rate
    finally:
        proc.terminate()
        proc.wait()


def register(base: str, admin: str, count: int) -> list[tuple[str, str]]:
    """``count`` nodes and a token for each, through the SDK: the admin token is rate limited
    like every token (600/minute by default), so this waits as ``Retry-After`` says."""
    import k8sedge

    patient = k8sedge.RetryPolicy(attempts=10_000, max_delay=3600.0)
    started = time.monotonic()
    nodes = []
    with k8sedge.connect(base, token=admin, retry=patient) as client:
        for i in range(count):
            node = client.edge.nodes.register(
                name=f"edge-node-{i}",
                address=f"10.0.{i >> 8 & 255}.{i & 255}",
                resources={"cpu": "4", "memory": "8Gi"},
                labels={"location": f"site-{i % 50}"},
            )
            nodes.append((node.id, client.edge.tokens.generate(node.id, "24h").token))
    print(f"registered {count} nodes with tokens in {time.monotonic() - started:.0f} s")
    return nodes


def served(
    seconds: int, connections: int, count: int, data_dir: str | None = None
) -> tuple[float, list[tuple[str, str]]]:
    port = free_port()
    admin = secrets.token_urlsafe(32)
    command = [sys.executable, "-m", "k8sedge", "serve", "--port", str(port)]
    command += [f"--admin-token={admin}"]
    if data_dir is not None:
        command += ["--data-dir", data_dir]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port)
        base = f"http://127.0.0.1:{port}"
        nodes = register(base, admin, count)
        rate, latency = wrk(
            f"{base}/api/v1/nodes/x/status", seconds, connections, heartbeat_script(nodes)
        )
        label = "k8sedge serve --data-dir:" if data_dir else "k8sedge serve:"
        print(f"{label:<26}{rate:>9,.0f} req/s  (latency avg {latency})")
        return rate, nodes
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--nodes",
        type=int,
        default=600,
        help="nodes, each with its own token (enough that none exceeds its rate limit)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="alternate bare/served rounds")
    parser.add_argument(
        "--no-data-dir", action="store_true", help="skip the run with a data directory"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    bares, edges, durables = [], [], []
    for _ in range(args.rounds):
        rate, nodes = served(args.seconds, args.connections, args.nodes)
        edges.append(rate)
        bares.append(bare(args.seconds, args.connections, nodes))
        if not args.no_data_dir:
            with tempfile.TemporaryDirectory() as data_dir:
                durables.append(served(args.seconds, args.connections, args.nodes, data_dir)[0])
    ratios = ", ".join(f"{e / b:.2f}" for e, b in zip(edges, bares, strict=True))
    print(
        f"\nheartbeat through `k8sedge serve` / bare = {max(edges) / max(bares):.2f} "
        f"(best of {args.rounds}: {max(edges):,.0f} vs {max(bares):,.0f} req/s; "
        f"rounds {ratios})"
    )
    if durables:
        ratios = ", ".join(f"{d / e:.2f}" for d, e in zip(durables, edges, strict=True))
        print(
            f"heartbeat with --data-dir / without = {max(durables) / max(edges):.2f} "
            f"(best of {args.rounds}: {max(durables):,.0f} vs {max(edges):,.0f} req/s; "
            f"rounds {ratios})"
        )


if __name__ == "__main__":
    main()
