"""Crash test: acknowledged writes survive SIGKILL of ``k8sedge serve --data-dir``.

A load generator (tests/durable/crashload.py) registers nodes, issues and revokes tokens,
creates and deploys workloads, posts metric batches and creates simulator pods through the SDK
against ``python -m k8sedge serve --data-dir DIR``, recording every write the server
acknowledged. The server is killed with SIGKILL at a random moment (``--kills`` times); after
each restart every acknowledged write is looked for. The heartbeat throughput with a data
directory is measured by bench/bench_heartbeat.py.

Run: python bench/bench_crash.py [--kills 25] [--seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.durable.crashload import crash_loop


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-wait", type=float, default=4.0, help="longest run before a kill (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        acked, lost, restarts, server = crash_loop(
            Path(root) / "data", args.kills, seed=args.seed, max_wait=args.max_wait
        )
        server.stop()
    print(
        f"writes acknowledged: {acked.writes:,} (nodes {len(acked.nodes):,}, tokens issued "
        f"{len(acked.tokens) + len(acked.revoked):,}, revoked {len(acked.revoked):,}, workloads "
        f"{len(acked.workloads):,}, deployed {len(acked.deployed):,}, metric samples "
        f"{sum(map(len, acked.samples.values())):,}, pods {len(acked.pods):,})"
    )
    print(
        f"SIGKILLs: {args.kills}; restarts to first answer: median "
        f"{statistics.median(restarts):.2f} s, max {max(restarts):.2f} s"
    )
    print(f"acknowledged writes lost: {len(lost)}")
    for what in lost[:20]:
        print(f"  {what}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
