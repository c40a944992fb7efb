"""Scheduling throughput of the simulator, end to end through ``client.simulator.import_``.

5,000 nodes and 10,000 pods, default profile, every result kept. Variants: plain pods, and
pods with a required node affinity. Reports pods scheduled per second and peak memory.
Run: python bench/bench_simulator.py [--nodes 5000] [--pods 10000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

# measure the checkout this script lives in, not whichever k8sedge is installed
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import k8sedge
from k8sedge import ManualClock


def nodes(count: int) -> list[dict[str, Any]]:
    return [
        {
            "metadata": {
                "name": f"node-{i:05d}",
                "labels": {
                    "kubernetes.io/hostname": f"node-{i:05d}",
                    "topology.kubernetes.io/zone": f"zone-{i % 5}",
                    "tier": "gold" if i % 2 else "silver",
                },
            },
            "status": {
                "allocatable": {"cpu": "32", "memory": "128Gi", "pods": "110"},
                "capacity": {"cpu": "32", "memory": "128Gi", "pods": "110"},
            },
        }
        for i in range(count)
    ]


def pods(count: int, affinity: bool) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        spec: dict[str, Any] = {
            "containers": [
                {
                    "name": "app",
                    "image": "registry.local/app:1",
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                }
            ],
        }
        if affinity:
            spec["affinity"] = {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "tier", "operator": "In", "values": ["gold"]}
                                ]
                            }
                        ]
                    }
                }
            }
        out.append({"metadata": {"name": f"pod-{i:05d}", "namespace": "default"}, "spec": spec})
    return out


def run(node_count: int, pod_count: int, affinity: bool) -> None:
    client = k8sedge.connect(clock=ManualClock())
    client.simulator.import_({"nodes": nodes(node_count)})
    batch = pods(pod_count, affinity)
    start = time.perf_counter()
    client.simulator.import_({"pods": batch})
    seconds = time.perf_counter() - start
    listed = client.simulator.pods.list()
    scheduled = sum(1 for p in listed if p.node_name)
    sample = client.simulator.pods.result(listed[-1].name)
    label = "required node affinity" if affinity else "plain pods"
    print(
        f"{label:>24}: {pod_count:,} pods on {node_count:,} nodes in {seconds:.2f} s = "
        f"{pod_count / seconds:,.0f} pods/s; scheduled {scheduled:,}; "
        f"last pod scored {len(sample.final_score)} nodes"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=10000)
    args = parser.parse_args()
    run(args.nodes, args.pods, affinity=False)
    run(args.nodes, args.pods, affinity=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of the process): {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
