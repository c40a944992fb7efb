"""MLBench metrics: batched ingest (points/s) and ``metrics.get(run, summarize=100)`` over
1,000,000 points of one run, memory backend.

A point is one metric value of a run (``run_id, name, value, date``), posted as the
dashboard's clients post them (the value a string, the date an ISO string).
Run: python bench/bench_mlbench_metrics.py [--points 1000000] [--batch 10000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

import k8sedge
from k8sedge import ManualClock


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()

    client = k8sedge.connect(clock=ManualClock(1_700_000_000.0))
    client.edge.nodes.register(name="n", address="10.0.0.1", resources={"cpu": "8"})
    run = client.mlbench.runs.create(name="bench", num_workers=1, num_cpus=1).id
    start = datetime(2023, 11, 14, tzinfo=UTC)
    step = timedelta(milliseconds=10)
    points = [
        {
            "run_id": run,
            "name": "train_loss @ 0",
            "value": str(1.0 / (1 + i)),
            "date": (start + i * step).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        for i in range(args.points)
    ]
    batches = [points[i : i + args.batch] for i in range(0, len(points), args.batch)]

    t = time.perf_counter()
    for batch in batches:
        client.mlbench.metrics.record_batch(batch)
    seconds = time.perf_counter() - t
    print(
        f"record_batch ({args.batch:,} per call): {args.points:,} points in {seconds:.2f} s = "
        f"{args.points / seconds:,.0f} points/s"
    )

    timings = []
    for _ in range(15):
        t = time.perf_counter()
        result = client.mlbench.metrics.get(run, summarize=100)
        timings.append(time.perf_counter() - t)
    assert len(result["train_loss @ 0"]) == 100
    print(
        f"get(run, summarize=100) over {args.points:,} points: "
        f"median {statistics.median(timings) * 1000:.1f} ms, min {min(timings) * 1000:.1f} ms"
    )

    timings = []
    for _ in range(15):
        t = time.perf_counter()
        client.mlbench.metrics.get(run, last_n=100)
        timings.append(time.perf_counter() - t)
    print(f"get(run, last_n=100): median {statistics.median(timings) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
