"""One scheduling cycle per pod, as kube-scheduler runs it, over a ``NodeTable``.

Filters run in profile order and a node stops at its first failing plugin; only the
first ``numFeasibleNodesToFind`` feasible nodes (``percentageOfNodesToScore``) are
scored, starting where the previous cycle stopped; scores are normalised and weighted;
ties are broken by a seeded random choice. Every decision keeps compact arrays from
which the simulator's result annotations are rendered on demand.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt
from attrs import define

from ..surfaces.simulator.config import (
    ResolvedProfile,
    SchedulerConfiguration,
    default_configuration,
    resolve_profile,
    validate_configuration,
    validate_extenders,
)
from .extenders import MAX_EXTENDER_PRIORITY, ExtenderClient, ExtenderError
from .plugins import MAX_NODE_SCORE, Plugin
from .pods import PodIndex
from .preemption import NOT_ELIGIBLE, NOT_HELPFUL, preempt
from .registry import build_plugin
from .requests import nonzero_requests
from .result import NodeOrder, ScheduleResult, compact
from .state import ClusterState
from .table import NodeTable
from .types import PodRequest

__all__ = ["NodeOrder", "ScheduleResult", "Scheduler"]

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


@define(slots=True)
class _Cycle:
    """What one cycle's filter phase found, for the phases after it."""

    result: ScheduleResult
    order: NodeOrder
    start: int
    total: int
    all_nodes: int
    evaluated: npt.NDArray[np.intp]
    first_failure: npt.NDArray[np.int8]
    reasons: dict[int, list[tuple[str, npt.NDArray[np.bool_]]]]
    feasible: npt.NDArray[np.intp]
    absent: tuple[int, str] | None
    position_type: Any

    def node_name(self, position: int) -> str:
        """The name of the evaluated node at ``position``."""
        return self.order.names[(self.start + position) % self.total]


class Scheduler:
    """A kube-scheduler profile running against a ``NodeTable``."""

    def __init__(
        self,
        table: NodeTable,
        config: SchedulerConfiguration | None = None,
        *,
        seed: int = 0,
    ) -> None:
        self.table = table
        self.pods = PodIndex()
        self.state = ClusterState(table, self.pods)
        self.rng = np.random.default_rng(seed)
        self.next_start_row = 0
        self._order: NodeOrder | None = None
        self._status_cache: dict[Any, dict[str, dict[str, str]]] = {}
        self.configure(config or default_configuration())

    def configure(self, config: SchedulerConfiguration) -> None:
        """Switch to a (defaulted) configuration; raises ``BadRequestError`` if invalid."""
        validate_configuration(config)
        profiles = [resolve_profile(p, i) for i, p in enumerate(config.profiles)]
        validate_extenders(config.extenders)
        self.config = config
        self.profiles: dict[str, ResolvedProfile] = {p.scheduler_name: p for p in profiles}
        self.default_profile = profiles[0]
        self._plugins: dict[str, dict[str, Plugin]] = {}
        for profile in profiles:
            names = {n for point in profile.points.values() for n in point}
            self._plugins[profile.scheduler_name] = {
                name: build_plugin(name, profile.args.get(name), self.state) for name in names
            }
        self.percentage = config.percentage_of_nodes_to_score or 0
        self._status_cache = {}
        self.extenders = [ExtenderClient(e) for e in config.extenders]

    def _num_feasible_to_find(self, profile: ResolvedProfile, total: int) -> int:
        if total < MIN_FEASIBLE_NODES_TO_FIND:
            return total
        percentage = profile.percentage_of_nodes_to_score
        if percentage is None:
            percentage = self.percentage
        if percentage == 0:
            percentage = max(50 - total // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
        return max(total * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)

    def _node_order(self) -> NodeOrder:
        rows = self.table.node_order()
        cached = self._order
        if cached is None or cached.rows is not rows:
            names = self.table.names
            cached = self._order = NodeOrder(rows, tuple(str(names[r]) for r in rows.tolist()))
        return cached

    def _filter_failures(
        self,
        pod: PodRequest,
        plugins: dict[str, Plugin],
        filter_names: tuple[str, ...],
        rows: npt.NDArray[np.intp],
    ) -> tuple[npt.NDArray[np.int8], dict[int, list[tuple[str, npt.NDArray[np.bool_]]]]]:
        """Each node's first failing filter (-1: passed) and the reasons, per filter."""
        total = len(rows)
        first_failure = np.full(total, -1, dtype=np.int8)
        reasons: dict[int, list[tuple[str, npt.NDArray[np.bool_]]]] = {}
        alive = np.ones(total, dtype=np.bool_)
        candidates = np.arange(total)
        for p, name in enumerate(filter_names):
            if p:
                candidates = np.flatnonzero(alive)
            if len(candidates) == 0:
                break
            failures = plugins[name].filter(pod, self.table, rows[candidates])
            failed = None
            for mask, reason in failures:
                if mask.any():
                    full = np.zeros(total, dtype=np.bool_)
                    full[candidates[mask]] = True
                    reasons.setdefault(p, []).append((reason, full))
                    failed = mask if failed is None else failed | mask
            if failed is not None:
                hit = candidates[failed]
                first_failure[hit] = p
                alive[hit] = False
        return first_failure, reasons

    def schedule(self, pod: PodRequest) -> ScheduleResult:
        """Run one cycle for ``pod``: PreFilter, Filter over the nodes in node-tree order
        from where the last cycle stopped, extenders, PostFilter (preemption) when nothing
        fits, then Score on the feasible nodes. The table is not changed (see ``bind``)."""
        profile = self.profiles.get(pod.scheduler_name, self.default_profile)
        plugins = self._plugins[profile.scheduler_name]
        order = self._node_order()
        if not len(order.rows):
            return ScheduleResult(
                pod=pod.name,
                selected_node=None,
                message="0/0 nodes are available: no nodes available to schedule pods.",
            )
        filter_names = tuple(
            n for n in profile.plugins("filter") if not plugins[n].skip_filter(pod)
        )
        refused = self._prefilter(pod, profile, plugins, filter_names, len(order.rows))
        if refused is not None:
            return refused
        cycle = self._filter(pod, profile, plugins, filter_names, order)
        result = cycle.result
        extenders = [e for e in self.extenders if e.interested(pod)]
        extender_failures: dict[str, str] = {}
        if extenders and len(cycle.feasible):
            try:
                cycle.feasible = self._extender_filter(
                    extenders,
                    pod,
                    result,
                    result.evaluated_nodes,
                    cycle.feasible,
                    extender_failures,
                )
            except ExtenderError as exc:
                result.message = str(exc)
                return result
            result.feasible_positions = cycle.feasible.astype(cycle.position_type)
        if len(cycle.feasible) == 0:
            result.message = self._fit_error(
                cycle.all_nodes,
                cycle.reasons,
                cycle.first_failure,
                extender_failures,
                cycle.absent,
            )
            if "DefaultPreemption" in profile.plugins("post_filter"):
                self._post_filter(
                    pod,
                    profile,
                    plugins,
                    result,
                    filter_names,
                    cycle.evaluated,
                    cycle.first_failure,
                )
            return result
        if len(cycle.feasible) > 1:
            try:
                choice = self._score(pod, profile, plugins, cycle, extenders)
            except ExtenderError as exc:
                result.message = str(exc)
                return result
        else:
            choice = 0
        result.selected_node = cycle.node_name(int(cycle.feasible[choice]))
        return result

    def _prefilter(
        self,
        pod: PodRequest,
        profile: ResolvedProfile,
        plugins: dict[str, Plugin],
        filter_names: tuple[str, ...],
        total: int,
    ) -> ScheduleResult | None:
        """PreFilter: a plugin that rejects the pod outright ends the cycle."""
        for name in filter_names:
            reason = plugins[name].prefilter(pod)
            if reason is None:
                continue
            message = f"0/{total} nodes are available: {reason}."
            if "DefaultPreemption" in profile.plugins("post_filter"):
                if pod.preemption_policy == "Never":
                    message += f" preemption: {NOT_ELIGIBLE}"
                else:
                    message += f" preemption: 0/{total} nodes are available: {total} {NOT_HELPFUL}."
            return ScheduleResult(pod=pod.name, selected_node=None, message=message)
        return None

    def _restrict(
        self,
        pod: PodRequest,
        plugins: dict[str, Plugin],
        filter_names: tuple[str, ...],
        order: NodeOrder,
    ) -> tuple[NodeOrder, tuple[int, str] | None]:
        """PreFilterResult: when plugins name the only nodes that can fit (NodeAffinity on
        ``metadata.name``), only those are evaluated; the rest are reported absent."""
        restrict: set[str] | None = None
        restricted_by: list[str] = []
        for name in filter_names:
            only = plugins[name].prefilter_nodes(pod)
            if only is not None:
                restrict = only if restrict is None else restrict & only
                restricted_by.append(name)
        if restrict is None:
            return order, None
        keep = [i for i, n in enumerate(order.names) if n in restrict]
        kept = NodeOrder(order.rows[keep], tuple(order.names[i] for i in keep))
        reason = f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(restricted_by))}]"
        return kept, (len(order.rows) - len(keep), reason)

    def _filter(
        self,
        pod: PodRequest,
        profile: ResolvedProfile,
        plugins: dict[str, Plugin],
        filter_names: tuple[str, ...],
        order: NodeOrder,
    ) -> _Cycle:
        """Filter from the round-robin start until ``numFeasibleNodesToFind`` nodes fit."""
        all_nodes = len(order.rows)
        order, absent = self._restrict(pod, plugins, filter_names, order)
        total = len(order.rows)
        # round-robin start, as upstream's nextStartNodeIndex
        start = self.next_start_row % total if total else 0
        rows = (
            order.rows if start == 0 else np.concatenate([order.rows[start:], order.rows[:start]])
        )
        to_find = self._num_feasible_to_find(profile, total)
        reasons: dict[int, list[tuple[str, npt.NDArray[np.bool_]]]] = {}
        if filter_names:
            first_failure, reasons = self._filter_failures(pod, plugins, filter_names, rows)
            feasible = np.flatnonzero(first_failure < 0)
        else:
            first_failure, feasible = np.full(total, -1, dtype=np.int8), np.arange(total)
        cutoff = total
        if len(feasible) > to_find:
            cutoff = int(feasible[to_find - 1]) + 1
            feasible = feasible[:to_find]
        self.next_start_row = (self.next_start_row + cutoff) % all_nodes
        first_failure = first_failure[:cutoff]
        if cutoff < total:
            reasons = {p: [(r, m[:cutoff]) for r, m in lst] for p, lst in reasons.items()}
        position_type = np.uint16 if total <= 65535 else np.int32
        result = ScheduleResult(
            pod=pod.name,
            selected_node=None,
            message=None,
            order=order,
            start=start,
            count=cutoff,
            filter_plugins=filter_names,
            failures=first_failure if reasons else None,
            failure_reasons=reasons,
            feasible_positions=feasible.astype(position_type),
            statuses=self._statuses(profile, plugins, pod),
        )
        return _Cycle(
            result=result,
            order=order,
            start=start,
            total=total,
            all_nodes=all_nodes,
            evaluated=rows[:cutoff],
            first_failure=first_failure,
            reasons=reasons,
            feasible=feasible,
            absent=absent,
            position_type=position_type,
        )

    def _score(
        self,
        pod: PodRequest,
        profile: ResolvedProfile,
        plugins: dict[str, Plugin],
        cycle: _Cycle,
        extenders: list[ExtenderClient],
    ) -> int:
        """Score, normalise and weight the feasible nodes; the position of the best one
        (ties broken by the seeded generator)."""
        result = cycle.result
        feasible_rows = cycle.evaluated[cycle.feasible]
        score_names = tuple(n for n in profile.plugins("score") if not plugins[n].skip_score(pod))
        total_score = np.zeros(len(feasible_rows), dtype=np.int64)
        weights = tuple(profile.weights.get(n, 1) for n in score_names)
        raw_rows: list[Any] = []
        normalized_rows: list[Any] = []
        late_skips: list[str] = []
        for k, name in enumerate(score_names):
            plugin = plugins[name]
            raw = plugin.score(pod, self.table, feasible_rows)
            if plugin.skipped_after_score():
                late_skips.append(name)
                continue
            normalized = plugin.normalize(raw)
            total_score += normalized * weights[k]
            raw_rows.append(compact(raw))
            normalized_rows.append(compact(normalized))
        if late_skips:
            kept = [k for k, n in enumerate(score_names) if n not in late_skips]
            score_names = tuple(score_names[k] for k in kept)
            weights = tuple(weights[k] for k in kept)
            statuses = dict(result.statuses)
            statuses["pre_score"] = {
                n: "" if n in late_skips else v for n, v in statuses["pre_score"].items()
            }
            result.statuses = statuses
        if extenders:
            total_score += self._extender_scores(
                extenders, pod, result, result.evaluated_nodes, cycle.feasible
            )
        result.score_plugins = score_names
        result.weights = weights
        result.raw_rows = raw_rows
        result.normalized_rows = normalized_rows
        best = np.flatnonzero(total_score == total_score.max())
        return int(best[self.rng.integers(len(best))]) if len(best) > 1 else int(best[0])

    def _statuses(
        self, profile: ResolvedProfile, plugins: dict[str, Plugin], pod: PodRequest
    ) -> dict[str, dict[str, str]]:
        """What each plugin answered at the points with no per-node detail ("" = Skip);
        one shared dictionary per profile and pattern of skips."""
        pre_filter = profile.plugins("pre_filter")
        pre_score = profile.plugins("pre_score")
        key = (
            profile.scheduler_name,
            tuple(plugins[n].skip_filter(pod) for n in pre_filter),
            tuple(plugins[n].skip_score(pod) for n in pre_score),
        )
        cached = self._status_cache.get(key)
        if cached is None:
            cached = self._status_cache[key] = {
                "pre_filter": {
                    n: "" if skip else "success" for n, skip in zip(pre_filter, key[1], strict=True)
                },
                "pre_score": {
                    n: "" if skip else "success" for n, skip in zip(pre_score, key[2], strict=True)
                },
                "reserve": {n: "success" for n in profile.plugins("reserve")},
                "pre_bind": {n: "success" for n in profile.plugins("pre_bind")},
                "bind": {n: "success" for n in profile.plugins("bind")},
            }
        return cached

    def _post_filter(
        self,
        pod: PodRequest,
        profile: ResolvedProfile,
        plugins: dict[str, Plugin],
        result: ScheduleResult,
        filters: tuple[str, ...],
        evaluated: npt.NDArray[np.intp],
        first_failure: npt.NDArray[np.int8],
    ) -> None:
        """DefaultPreemption: nominate a node and name the victims, or explain why not."""
        potential: list[int] = []
        reasons = result.failure_reasons
        for i, failed_at in enumerate(first_failure.tolist()):
            if failed_at < 0:
                continue  # filtered out by an extender
            plugin = plugins[filters[failed_at]]
            first = next((r for r, mask in reasons.get(failed_at, []) if mask[i]), "")
            if plugin.resolvable(first):
                potential.append(int(evaluated[i]))
        # the node order, as NodeToStatus.NodesForStatusCode lists them
        position = {int(r): i for i, r in enumerate(self._node_order().rows.tolist())}
        potential.sort(key=position.__getitem__)

        def run(row: int) -> tuple[bool, list[str]]:
            first, found = self._filter_failures(pod, plugins, filters, np.array([row]))
            if first[0] < 0:
                return True, []
            return False, [r for r, mask in found.get(int(first[0]), []) if mask[0]]

        offset = int(self.rng.integers(len(potential))) if potential else 0
        outcome = preempt(
            pod,
            self.table,
            self.pods,
            len(position),
            potential,
            run,
            profile.args.get("DefaultPreemption") or {},
            offset,
            nonzero_requests,
            self.state.budgets(),
        )
        if outcome.message:
            result.message = f"{result.message} {outcome.message}"
        result.nominated_node = outcome.node
        result.victims = outcome.victims

    def _node_object(self, name: str) -> dict[str, Any]:
        return self.state.node_object(name)

    def _extender_filter(
        self,
        extenders: list[ExtenderClient],
        pod: PodRequest,
        result: ScheduleResult,
        names: tuple[str, ...],
        feasible: npt.NDArray[np.intp],
        failures: dict[str, str],
    ) -> npt.NDArray[np.intp]:
        records: dict[str, Any] = {}
        for extender in extenders:
            if not extender.config.filter_verb or not len(feasible):
                continue
            candidates = [names[int(i)] for i in feasible]
            try:
                passed, failed, record = extender.filter(pod, candidates, self._node_object)
            except ExtenderError:
                if extender.config.ignorable:
                    continue
                raise
            records[extender.name] = record
            failures.update(failed)
            keep = set(passed)
            feasible = np.array([i for i in feasible if names[int(i)] in keep], dtype=np.intp)
        if records:
            result.extender_results["filter"] = records
        return feasible

    def _extender_scores(
        self,
        extenders: list[ExtenderClient],
        pod: PodRequest,
        result: ScheduleResult,
        names: tuple[str, ...],
        feasible: npt.NDArray[np.intp],
    ) -> npt.NDArray[np.int64]:
        candidates = [names[int(i)] for i in feasible]
        total = np.zeros(len(candidates), dtype=np.int64)
        records: dict[str, Any] = {}
        for extender in extenders:
            if not extender.config.prioritize_verb:
                continue
            try:
                scores, record = extender.prioritize(pod, candidates, self._node_object)
            except ExtenderError:
                if extender.config.ignorable:
                    continue
                raise
            records[extender.name] = record
            factor = extender.config.weight * (MAX_NODE_SCORE // MAX_EXTENDER_PRIORITY)
            total += np.array([scores.get(n, 0) * factor for n in candidates], dtype=np.int64)
        if records:
            result.extender_results["prioritize"] = records
        return total

    @staticmethod
    def _fit_error(
        total: int,
        reasons: dict[int, list[tuple[str, npt.NDArray[np.bool_]]]],
        first_failure: npt.NDArray[np.int8],
        extender_failures: dict[str, str] | None = None,
        absent: tuple[int, str] | None = None,
    ) -> str:
        """``FitError.Error()``: the sorted histogram of filter reasons."""
        histogram: Counter[str] = Counter(dict(Counter((extender_failures or {}).values())))
        if absent is not None and absent[0]:
            histogram[absent[1]] += absent[0]
        for p, entries in reasons.items():
            at_plugin = first_failure == p
            for reason, mask in entries:
                histogram[reason] += int((mask & at_plugin).sum())
        parts = sorted(f"{count} {reason}" for reason, count in histogram.items() if count)
        message = f"0/{total} nodes are available:"
        if parts:
            message += f" {', '.join(parts)}."
        return message

    def bind(self, result: ScheduleResult, pod: PodRequest, key: str | None = None) -> int:
        """Account the pod on its selected node; returns the node's row."""
        if result.selected_node is None:
            raise ValueError(f"pod {pod.name!r} was not scheduled")
        return self.assume(result.selected_node, pod, key)

    def assume(self, node: str, pod: PodRequest, key: str | None = None) -> int:
        """Account a pod on ``node`` (placed by us, or already bound when imported)."""
        row = self.table.row_of[node]
        self.table.assume(row, pod.requests, nonzero=nonzero_requests(pod))
        self.pods.add(key or f"{pod.namespace}/{pod.name}", row, pod)
        return row

    def remove_node(self, name: str) -> None:
        """Drop a node from the table; pods placed there stop counting."""
        row = self.table.row_of.get(name)
        if row is not None:
            self.pods.forget_row(row)
            self.table.remove(name)

    def unbind(self, key: str) -> None:
        """Release a placed pod's resources (it was deleted or replaced)."""
        slot = self.pods.slot_of.get(key)
        if slot is None:
            return
        row = int(self.pods.row[slot])
        pod = self.pods.remove(key)
        if pod is not None and row < self.table.size and self.table.alive[row]:
            self.table.assume(row, pod.requests, sign=-1, nonzero=nonzero_requests(pod))
