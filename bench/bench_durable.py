"""Durable state: the cost of a data directory, and how long a restart takes.

- writes: registering nodes, creating and deploying workloads, batched metrics ingest, on the
  memory backend with a data directory, as a ratio of the same run without one;
- restart: a directory holding 10,000 nodes and 1,000,000 metric points, opened again.

The crash test is bench/bench_crash.py; the heartbeat ratio through `k8sedge serve
--data-dir` is bench/bench_heartbeat.py.

Run: python bench/bench_durable.py [--nodes 2000] [--restart-nodes 10000] [--points 1000000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import k8sedge
from k8sedge import ManualClock

START = 1_700_000_000.0


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _client(data_dir: str | None) -> k8sedge.Client:
    options = {} if data_dir is None else {"data_dir": data_dir}
    return k8sedge.connect(clock=ManualClock(START), **options)


def writes(count: int, data_dir: str | None) -> dict[str, float]:
    """Operations per second of each kind of write."""
    out = {}
    with _client(data_dir) as client:
        t = time.perf_counter()
        ids = [
            client.edge.nodes.register(
                name=f"edge-{i}",
                address="10.0.0.1",
                resources={"cpu": "64", "memory": "256Gi"},
                labels={"site": f"s{i % 10}"},
            ).id
            for i in range(count)
        ]
        out["node registrations/s"] = count / (time.perf_counter() - t)
        workloads = max(10, count // 20)
        t = time.perf_counter()
        for i in range(workloads):
            w = client.edge.workloads.create(name=f"app-{i}", image="nginx", replicas=2)
            client.edge.workloads.deploy(w.id)
        out["workload create+deploy/s"] = workloads / (time.perf_counter() - t)
        batch = [
            {"timestamp": _at(START + j), "cpu_usage": 1.0, "memory_usage": 2.0}
            for j in range(1000)
        ]
        rounds = min(len(ids), 200)
        t = time.perf_counter()
        for node_id in ids[:rounds]:
            client.edge.metrics.record_batch(node_id, batch)
        out["metric points/s (batches of 1,000)"] = rounds * 1000 / (time.perf_counter() - t)
    return out


def restart(nodes: int, points: int) -> tuple[float, float]:
    """(seconds to fill the directory, seconds to open it again)."""
    path = tempfile.mkdtemp()
    try:
        t = time.perf_counter()
        with _client(path) as client:
            ids = [
                client.edge.nodes.register(name=f"edge-{i}", address="10.0.0.1").id
                for i in range(nodes)
            ]
            per_node = max(1, points // len(ids))
            stamps = START + np.arange(per_node, dtype=np.float64)
            for node_id in ids:
                samples = [{"timestamp": _at(float(s)), "cpu_usage": 1.0} for s in stamps]
                client.edge.metrics.record_batch(node_id, samples)
        fill = time.perf_counter() - t
        t = time.perf_counter()
        with _client(path) as client:
            assert client.edge.nodes.list().pagination.total == nodes
            loaded = client.backend.cluster.durability.loaded  # type: ignore[attr-defined]
        reopen = time.perf_counter() - t
        print(f"  loaded: {loaded}")
        return fill, reopen
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--restart-nodes", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    memory = writes(args.nodes, None)
    path = tempfile.mkdtemp()
    try:
        durable = writes(args.nodes, path)
    finally:
        shutil.rmtree(path, ignore_errors=True)
    for what, rate in memory.items():
        print(
            f"{what:38} memory {rate:>10,.0f}   data dir {durable[what]:>10,.0f}"
            f"   ratio {durable[what] / rate:.2f}"
        )
    fill, reopen = restart(args.restart_nodes, args.points)
    print(
        f"restart with {args.restart_nodes:,} nodes and {args.points:,} metric points: "
        f"{reopen:.2f} s (filled in {fill:.1f} s)"
    )


if __name__ == "__main__":
    main()
