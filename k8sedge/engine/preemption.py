"""DefaultPreemption (PostFilter): find a node where evicting lower-priority pods lets the
pod fit, with the fewest and least important victims, as kube-scheduler does.

A node is a candidate when the pod failed there for resources (NodeResourcesFit); failures
preemption cannot fix (affinity, taints, unschedulable nodes, names) make it "not helpful".
Victims are chosen by removing every lower-priority pod, then reprieving them one by one,
most important first (higher priority, then earlier start), while the pod still fits. The
node is picked by upstream's criteria: lowest highest-victim priority, lowest sum of
priorities, fewest victims, latest start of the most important victims.
"""

from __future__ import annotations

from collections import Counter

from .pods import PodIndex
from .table import NodeTable
from .types import PodRequest

__all__ = ["NOT_HELPFUL", "NO_VICTIMS", "Preemption", "preempt"]

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


class Preemption:
    __slots__ = ("message", "node", "victims")

    def __init__(self, node: str | None, victims: list[str], message: str) -> None:
        self.node = node
        self.victims = victims
        self.message = message


def _fits(
    pod: PodRequest, table: NodeTable, row: int, freed: dict[str, int], pods_freed: int
) -> bool:
    if table.pod_count[row] - pods_freed + 1 > table.max_pods[row]:
        return False
    for resource, amount in pod.requests.items():
        if amount <= 0:
            continue
        alloc = int(table.column(table.allocatable, resource)[row])
        used = int(table.column(table.requested, resource)[row]) - freed.get(resource, 0)
        if amount > alloc - used:
            return False
    return True


def preempt(
    pod: PodRequest,
    table: NodeTable,
    pods: PodIndex,
    nodes: tuple[str, ...],
    candidates: list[bool],
) -> Preemption:
    """``candidates[i]``: whether node ``nodes[i]`` failed for a reason preemption can fix."""
    reasons: Counter[str] = Counter()
    best: tuple[tuple[int, int, int, int], str, list[str]] | None = None
    for name, candidate in zip(nodes, candidates, strict=True):
        row = table.row_of.get(name)
        if not candidate or row is None:
            reasons[NOT_HELPFUL] += 1
            continue
        lower = [s for s in pods.by_row.get(row, ()) if pods.priority[s] < pod.priority]
        freed: dict[str, int] = {}
        for slot in lower:
            other = pods.pods[slot]
            assert other is not None
            for resource, amount in other.requests.items():
                freed[resource] = freed.get(resource, 0) + amount
        if not lower or not _fits(pod, table, row, freed, len(lower)):
            reasons[NO_VICTIMS] += 1
            continue
        victims = []
        kept = 0
        # most important first: higher priority, then earlier start
        for slot in sorted(lower, key=lambda s: (-int(pods.priority[s]), int(pods.order[s]))):
            other = pods.pods[slot]
            assert other is not None
            trial = {k: v - other.requests.get(k, 0) for k, v in freed.items()}
            if _fits(pod, table, row, trial, len(lower) - kept - 1):
                freed = trial
                kept += 1
            else:
                victims.append(slot)
        priorities = [int(pods.priority[s]) for s in victims]
        top = max(priorities)
        earliest_top = min(int(pods.order[s]) for s in victims if pods.priority[s] == top)
        key = (top, sum(p + 2**31 for p in priorities), len(victims), -earliest_top)
        if best is None or key < best[0]:
            best = (key, name, [str(pods.keys[s]) for s in victims])
    histogram = ", ".join(sorted(f"{count} {reason}" for reason, count in reasons.items()))
    message = (
        f"preemption: 0/{len(nodes)} nodes are available: {histogram}."
        if histogram
        else (f"preemption: 0/{len(nodes)} nodes are available.")
    )
    if best is None:
        return Preemption(None, [], message)
    return Preemption(best[1], best[2], message)
