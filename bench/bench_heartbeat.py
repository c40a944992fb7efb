"""Heartbeat throughput: ``PUT /api/v1/nodes/{id}/status`` with a node token, one uvicorn
worker, loaded by ``wrk`` from a second process on loopback — measured in the same run as a
bare Starlette endpoint doing the same JSON parse/respond. Also ``GET /api/v1/nodes?limit=20``.

Run: python bench/bench_heartbeat.py [--seconds 10] [--connections 64]
Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import re
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


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def wrk(
    url: str, seconds: int, connections: int, method: str, headers: dict[str, str], body: str | None
) -> tuple[float, str]:
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = '{body}'")
    for key, value in headers.items():
        lines.append(f'wrk.headers["{key}"] = "{value}"')
    lines.append("""
done = function(summary, latency, requests)
  io.write(string.format("NON2XX %d\\n", summary.errors.status))
end""")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines))
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "-s", script.name, url],
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


def run_server(kind: str, out: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "heartbeat_server.py"), kind, "--port", str(port), "--out", out]
    )
    wait_ready(port)
    return proc, port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="alternate bare/edge this many times")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    creds_file = tempfile.mktemp(suffix=".json")
    results: dict[str, list[float]] = {"bare": [], "edge": [], "list": []}
    for _ in range(args.rounds):
        proc, port = run_server("bare", creds_file)
        try:
            rate, lat = wrk(
                f"http://127.0.0.1:{port}/api/v1/nodes/n1/status",
                args.seconds,
                args.connections,
                "PUT",
                {"Content-Type": "application/json"},
                BODY,
            )
            results["bare"].append(rate)
            print(f"bare endpoint:        {rate:>9,.0f} req/s  (latency avg {lat})")
        finally:
            proc.terminate()
            proc.wait()
        proc, port = run_server("edge", creds_file)
        try:
            creds = json.loads(Path(creds_file).read_text())
            rate, lat = wrk(
                f"http://127.0.0.1:{port}/api/v1/nodes/{creds['node_id']}/status",
                args.seconds,
                args.connections,
                "PUT",
                {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {creds['node_token']}",
                },
                BODY,
            )
            results["edge"].append(rate)
            print(f"k8sedge heartbeat:    {rate:>9,.0f} req/s  (latency avg {lat})")
            rate, lat = wrk(
                f"http://127.0.0.1:{port}/api/v1/nodes?limit=20",
                args.seconds,
                args.connections,
                "GET",
                {"Authorization": f"Bearer {creds['admin_token']}"},
                None,
            )
            results["list"].append(rate)
            print(f"GET /nodes?limit=20:  {rate:>9,.0f} req/s  (latency avg {lat})")
        finally:
            proc.terminate()
            proc.wait()
    bare = max(results["bare"])
    edge = max(results["edge"])
    print(
        f"\nheartbeat / bare = {edge / bare:.2f}  (best of {args.rounds}: "
        f"{edge:,.0f} vs {bare:,.0f} req/s); "
        f"GET /nodes?limit=20 best {max(results['list']):,.0f} req/s"
    )


if __name__ == "__main__":
    main()
