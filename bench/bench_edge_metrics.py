"""Metrics ingest (points/s) and a 24h @ 5m query over 1,000 nodes, memory backend.

A point is one sample of one node: a timestamp with its fields (cpu, memory, disk,
network). Run: python bench/bench_edge_metrics.py [--nodes 1000] [--minutes 1440]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

import k8sedge
from k8sedge import ManualClock, MetricsSample


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=1440, help="one sample per node per minute")
    args = parser.parse_args()

    start = 1_700_000_000.0
    clock = ManualClock(start + args.minutes * 60)
    client = k8sedge.connect(clock=clock)
    nodes = [
        client.edge.nodes.register(
            name=f"edge-{i}", address="10.0.0.1", resources={"cpu": "4", "memory": "8Gi"}
        ).id
        for i in range(args.nodes)
    ]
    stamps = [datetime.fromtimestamp(start + m * 60, UTC) for m in range(args.minutes)]

    # batched ingest: one call per node with all its samples
    batches = {
        node: [
            MetricsSample(
                timestamp=ts,
                cpu_usage=float(m % 100),
                memory_usage=2.0 + (m % 7),
                memory_total=8.0,
                disk_usage=40.0,
                disk_total=100.0,
            )
            for m, ts in enumerate(stamps)
        ]
        for node in nodes
    }
    t = time.perf_counter()
    for node, samples in batches.items():
        client.edge.metrics.record_batch(node, samples)
    batch_seconds = time.perf_counter() - t
    points = args.nodes * args.minutes
    print(
        f"record_batch: {points:,} points in {batch_seconds:.2f} s = "
        f"{points / batch_seconds:,.0f} points/s"
    )

    # one sample per call, through the keyword API
    single = k8sedge.connect(clock=ManualClock(start))
    node = single.edge.nodes.register(name="n", address="a").id
    n = 50_000
    t = time.perf_counter()
    for m in range(n):
        single.edge.metrics.record(node, cpu_usage=float(m % 100), memory_usage=2.0)
    seconds = time.perf_counter() - t
    print(f"record (one call per point): {n / seconds:,.0f} points/s")

    # the query
    timings = []
    for _ in range(15):
        t = time.perf_counter()
        result = client.edge.metrics.all(timeframe="24h", resolution="5m")
        timings.append(time.perf_counter() - t)
    assert result.nodes_count == args.nodes
    print(
        f"all(24h, 5m) over {args.nodes} nodes x {args.minutes} samples: "
        f"median {statistics.median(timings) * 1000:.1f} ms, "
        f"min {min(timings) * 1000:.1f} ms, buckets {len(result.aggregated['cpu_usage_avg'])}"
    )
    timings = []
    for i in range(50):
        t = time.perf_counter()
        client.edge.metrics.node(nodes[i], timeframe="24h", resolution="5m")
        timings.append(time.perf_counter() - t)
    print(f"node(24h, 5m): median {statistics.median(timings) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
