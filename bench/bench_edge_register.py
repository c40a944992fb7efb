"""Registering 100,000 nodes on the memory backend: time, and memory per node.

Run: python bench/bench_edge_register.py [--nodes 100000]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import k8sedge
from k8sedge import ManualClock


def register_all(client: k8sedge.Client, count: int) -> None:
    for i in range(count):
        client.edge.nodes.register(
            name=f"edge-node-{i}",
            address=f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
            capabilities=["compute", "storage"],
            resources={"cpu": "4", "memory": "8Gi", "storage": "100Gi"},
            labels={"location": f"site-{i % 50}", "environment": "production"},
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=100_000)
    args = parser.parse_args()

    client = k8sedge.connect(clock=ManualClock())
    t = time.perf_counter()
    register_all(client, args.nodes)
    seconds = time.perf_counter() - t
    print(
        f"registered {args.nodes:,} nodes in {seconds:.2f} s ({args.nodes / seconds:,.0f} nodes/s)"
    )

    gc.collect()
    tracemalloc.start()
    client = k8sedge.connect(clock=ManualClock())
    client.edge.nodes.register(name="warm-up", address="x")  # one-time structures
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    register_all(client, args.nodes)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per_node = (after - before) / args.nodes
    print(f"memory: {per_node:,.0f} bytes per registered node ({per_node / 1024:.2f} KiB)")


if __name__ == "__main__":
    main()
