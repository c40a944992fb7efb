"""DefaultPreemption (PostFilter), as kube-scheduler's ``preemption.Evaluator`` runs it.

Candidates are the nodes whose filter status was ``Unschedulable`` (resolvable: resources,
ports, anti-affinity, topology skew), not ``UnschedulableAndUnresolvable``. Starting at a
random offset (from the scheduler's seeded source), nodes are dry-run until
``numCandidates`` (``minCandidateNodesPercentage`` of them, at least
``minCandidateNodesAbsolute``) have victims. On a node every lower-priority pod is removed
and the filters run again; if the pod fits, victims are reprieved one by one, most
important first (higher priority, then earlier start), while it still fits. The node is
picked by upstream's criteria: lowest highest-victim priority, lowest sum of priorities,
fewest victims, latest start of the most important victims, then the first found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .pods import PodIndex
from .table import NodeTable
from .types import Budget, PodRequest

__all__ = ["NOT_ELIGIBLE", "NOT_HELPFUL", "NO_VICTIMS", "Preemption", "preempt", "split_by_budget"]

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_ELIGIBLE = "not eligible due to preemptionPolicy=Never."
_NOW = "\uffff"  # a pod without status.startTime started "now": after every recorded start

# (fits, the failing filter's reasons) for the pod on one node row, as the table stands
FilterRun = Callable[[int], tuple[bool, list[str]]]


class Preemption:
    __slots__ = ("message", "node", "victims")

    def __init__(self, node: str | None, victims: list[str], message: str) -> None:
        self.node = node
        self.victims = victims
        self.message = message


def start_time(pod: PodRequest | None) -> str:
    source = pod.source if pod is not None else None
    status = source.get("status") if isinstance(source, dict) else None
    started = status.get("startTime") if isinstance(status, dict) else None
    return str(started) if started else _NOW


def _importance(pods: PodIndex, slot: int) -> tuple[int, str, int]:
    """``util.MoreImportantPod`` as a sort key: higher priority, earlier start first."""
    return (-int(pods.priority[slot]), start_time(pods.pods[slot]), int(pods.order[slot]))


def num_candidates(args: dict[str, Any], nodes: int) -> int:
    """``calculateNumCandidates``."""
    percentage = int(args.get("minCandidateNodesPercentage", 10))
    absolute = int(args.get("minCandidateNodesAbsolute", 100))
    n = nodes * percentage // 100
    return min(max(n, absolute), nodes)


def _suspend(table: NodeTable, pods: PodIndex, slot: int, nonzero: Any) -> None:
    pod = pods.pods[slot]
    assert pod is not None
    table.assume(int(pods.row[slot]), pod.requests, sign=-1, nonzero=nonzero(pod))
    pods.suspend(slot)


def _resume(table: NodeTable, pods: PodIndex, slot: int, nonzero: Any) -> None:
    pod = pods.pods[slot]
    assert pod is not None
    table.assume(int(pods.row[slot]), pod.requests, nonzero=nonzero(pod))
    pods.resume(slot)


def split_by_budget(
    slots: list[int], pods: PodIndex, budgets: Sequence[Budget]
) -> tuple[list[int], list[int]]:
    """``filterPodsWithPDBViolation``: (violating, non-violating), each in the given order.
    A pod violates a budget when removing it (after the pods before it) leaves the budget
    below zero; pods its budget already counts as disrupted do not charge it."""
    allowed = [b.disruptions_allowed for b in budgets]
    violating: list[int] = []
    fine: list[int] = []
    for slot in slots:
        pod = pods.pods[slot]
        violated = False
        if pod is not None and pod.labels:
            for i, budget in enumerate(budgets):
                if budget.namespace != pod.namespace or pod.name in budget.disrupted:
                    continue
                selector = budget.selector
                if selector is None or not (selector.match_labels or selector.match_expressions):
                    continue  # a nil or empty selector matches nothing
                if not selector.matches(pod.labels):
                    continue
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else fine).append(slot)
    return violating, fine


def select_victims(
    pod: PodRequest,
    row: int,
    table: NodeTable,
    pods: PodIndex,
    run: FilterRun,
    nonzero: Any,
    budgets: Sequence[Budget] = (),
) -> tuple[list[int] | None, int, list[str]]:
    """``SelectVictimsOnNode``: the victims' slots (most important first) and how many of
    them violate a disruption budget, or None and the failure's reasons. Victims that
    would violate a budget are reprieved first."""
    lower = sorted(
        (s for s in pods.by_row.get(row, ()) if pods.priority[s] < pod.priority),
        key=lambda s: _importance(pods, s),
    )
    if not lower:
        return None, 0, [NO_VICTIMS]
    removed = list(lower)
    for slot in removed:
        _suspend(table, pods, slot, nonzero)
    try:
        fits, reasons = run(row)
        if not fits:
            return None, 0, reasons
        violating, fine = split_by_budget(lower, pods, budgets)
        victims: list[int] = []
        violations = 0
        for group in (violating, fine):
            for slot in group:
                _resume(table, pods, slot, nonzero)
                removed.remove(slot)
                fits, _ = run(row)
                if not fits:
                    _suspend(table, pods, slot, nonzero)
                    removed.append(slot)
                    victims.append(slot)
                    violations += group is violating
        if violating and fine:
            victims.sort(key=lambda s: _importance(pods, s))
        return victims, violations, []
    finally:
        for slot in removed:
            _resume(table, pods, slot, nonzero)


Candidate = tuple[str, list[int], int]  # node, victims, disruption budget violations


def _pick(candidates: list[Candidate], pods: PodIndex) -> Candidate:
    """``pickOneNodeForPreemption``: fewest budget violations, then lowest highest victim
    priority, lowest sum of priorities, fewest victims, latest start."""
    violations = min(c[2] for c in candidates)
    candidates = [c for c in candidates if c[2] == violations]

    def highest(victims: list[int]) -> int:
        return -int(pods.priority[victims[0]])

    def total(victims: list[int]) -> int:
        return -sum(int(pods.priority[s]) + 2**31 for s in victims)

    def count(victims: list[int]) -> int:
        return -len(victims)

    def earliest(victims: list[int]) -> str:
        top = max(int(pods.priority[s]) for s in victims)
        return min(start_time(pods.pods[s]) for s in victims if pods.priority[s] == top)

    remaining = candidates
    for score in (highest, total, count, earliest):
        scores = [score(victims) for _, victims, _ in remaining]
        best = max(scores)
        remaining = [c for c, s in zip(remaining, scores, strict=True) if s == best]
        if len(remaining) == 1:
            break
    return remaining[0]


def preempt(
    pod: PodRequest,
    table: NodeTable,
    pods: PodIndex,
    total: int,
    potential: Sequence[int],
    run: FilterRun,
    args: dict[str, Any],
    offset: int,
    nonzero: Any,
    budgets: Sequence[Budget] = (),
) -> Preemption:
    """``Evaluator.Preempt`` over the ``potential`` rows (in node order). ``DryRunPreemption``
    goes on past ``numCandidates`` until a candidate violates no disruption budget."""
    if pod.preemption_policy == "Never":
        return Preemption(None, [], f"preemption: {NOT_ELIGIBLE}")
    statuses: dict[int, list[str]] = {}
    clean: list[Candidate] = []
    violating: list[Candidate] = []
    if potential:
        wanted = num_candidates(args, len(potential))
        for i in range(len(potential)):
            row = potential[(offset + i) % len(potential)]
            victims, violations, reasons = select_victims(
                pod, row, table, pods, run, nonzero, budgets
            )
            if victims:
                found = (str(table.names[row]), victims, violations)
                (violating if violations else clean).append(found)
                if clean and len(clean) + len(violating) >= wanted:
                    break
            else:
                statuses[row] = reasons or [f'expected at least one victim pod on node "{row}"']
    candidates = clean + violating
    if not candidates:
        histogram: Counter[str] = Counter()
        for reasons in statuses.values():
            histogram.update(reasons)
        if len(statuses) < total:
            histogram[NOT_HELPFUL] += total - len(statuses)
        parts = ", ".join(sorted(f"{n} {reason}" for reason, n in histogram.items()))
        return Preemption(None, [], f"preemption: 0/{total} nodes are available: {parts}.")
    node, victims, _ = candidates[0] if len(candidates) == 1 else _pick(candidates, pods)
    return Preemption(node, [str(pods.keys[s]) for s in victims], "")
