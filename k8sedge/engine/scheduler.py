"""One scheduling cycle per pod, as kube-scheduler runs it, over a ``NodeTable``.

Filters run in profile order and a node stops at its first failing plugin; only the
first ``numFeasibleNodesToFind`` feasible nodes (``percentageOfNodesToScore``) are
scored, starting where the previous cycle stopped; scores are normalised and weighted;
ties are broken by a seeded random choice. Every decision keeps compact arrays from
which the simulator's result annotations are rendered on demand.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt
from attrs import define, field

from ..surfaces.simulator.config import (
    ResolvedProfile,
    SchedulerConfiguration,
    default_configuration,
    resolve_profile,
    validate_extenders,
)
from .extenders import MAX_EXTENDER_PRIORITY, ExtenderClient, ExtenderError
from .plugins import MAX_NODE_SCORE, Plugin
from .pods import PodIndex
from .preemption import preempt
from .registry import build_plugin
from .state import ClusterState
from .table import NodeTable
from .types import PodRequest

__all__ = ["ScheduleResult", "Scheduler"]

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


@define(slots=True)
class ScheduleResult:
    """The outcome of one scheduling cycle, with its per-plugin, per-node detail."""

    pod: str
    selected_node: str | None
    message: str | None
    evaluated_nodes: tuple[str, ...] = ()
    filter_plugins: tuple[str, ...] = ()
    first_failure: npt.NDArray[np.int8] = field(factory=lambda: np.zeros(0, dtype=np.int8))
    failure_reasons: dict[int, list[tuple[str, npt.NDArray[np.bool_]]]] = field(factory=dict)
    feasible: npt.NDArray[np.intp] = field(factory=lambda: np.zeros(0, dtype=np.intp))
    score_plugins: tuple[str, ...] = ()
    weights: tuple[int, ...] = ()
    raw_scores: npt.NDArray[np.int64] = field(factory=lambda: np.zeros((0, 0), dtype=np.int64))
    normalized_scores: npt.NDArray[np.int64] = field(
        factory=lambda: np.zeros((0, 0), dtype=np.int64)
    )
    nominated_node: str | None = None
    victims: list[str] = field(factory=list)
    # extension points' statuses: {"pre_filter": {plugin: "success" | ""}, ...}
    statuses: dict[str, dict[str, str]] = field(factory=dict)
    extender_results: dict[str, dict[str, Any]] = field(factory=dict)

    @property
    def scheduled(self) -> bool:
        return self.selected_node is not None

    def filter_result(self) -> dict[str, dict[str, str]]:
        """``{node: {plugin: "passed" | reason}}`` for every evaluated node."""
        out: dict[str, dict[str, str]] = {}
        for i, node in enumerate(self.evaluated_nodes):
            failed_at = int(self.first_failure[i])
            entry: dict[str, str] = {}
            for p, plugin in enumerate(self.filter_plugins):
                if failed_at >= 0 and p > failed_at:
                    break
                if p == failed_at:
                    reasons = [r for r, mask in self.failure_reasons.get(p, []) if mask[i]]
                    entry[plugin] = ", ".join(reasons)
                else:
                    entry[plugin] = "passed"
            out[node] = entry
        return out

    def score_result(self) -> dict[str, dict[str, int]]:
        """Raw scores: ``{node: {plugin: score}}`` for every scored node."""
        return self._scores(self.raw_scores, weighted=False)

    def final_score_result(self) -> dict[str, dict[str, int]]:
        """Normalised score times weight: ``{node: {plugin: score}}``."""
        return self._scores(self.normalized_scores, weighted=True)

    def _scores(self, matrix: npt.NDArray[np.int64], weighted: bool) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for j, i in enumerate(self.feasible.tolist()):
            out[self.evaluated_nodes[i]] = {
                plugin: int(matrix[k, j]) * (self.weights[k] if weighted else 1)
                for k, plugin in enumerate(self.score_plugins)
            }
        return out

    def annotations(self, prefix: str = "kube-scheduler-simulator.sigs.k8s.io/") -> dict[str, str]:
        """The real simulator's result annotations, values in its formats."""

        def as_strings(d: dict[str, dict[str, int]]) -> str:
            return json.dumps({n: {p: str(s) for p, s in v.items()} for n, v in d.items()})

        statuses = self.statuses
        scheduled = self.selected_node is not None
        postfilter = (
            {self.nominated_node: {"DefaultPreemption": "preemption victim"}}
            if self.nominated_node
            else {}
        )
        out = {
            f"{prefix}prefilter-result-status": json.dumps(statuses.get("pre_filter", {})),
            f"{prefix}prefilter-result": "{}",
            f"{prefix}filter-result": json.dumps(self.filter_result()),
            f"{prefix}postfilter-result": json.dumps(postfilter),
            f"{prefix}prescore-result": json.dumps(statuses.get("pre_score", {})),
            f"{prefix}score-result": as_strings(self.score_result()),
            f"{prefix}finalscore-result": as_strings(self.final_score_result()),
            f"{prefix}reserve-result": json.dumps(statuses.get("reserve", {}) if scheduled else {}),
            f"{prefix}permit-result": "{}",
            f"{prefix}permit-result-timeout": "{}",
            f"{prefix}prebind-result": json.dumps(
                statuses.get("pre_bind", {}) if scheduled else {}
            ),
            f"{prefix}bind-result": json.dumps(statuses.get("bind", {}) if scheduled else {}),
            f"{prefix}selected-node": self.selected_node or "",
        }
        for point, results in self.extender_results.items():
            out[f"{prefix}extender-{point}-result"] = json.dumps(results)
        return out


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
        self.configure(config or default_configuration())

    def configure(self, config: SchedulerConfiguration) -> None:
        """Switch to a (defaulted) configuration; raises ``BadRequestError`` if invalid."""
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

    def schedule(self, pod: PodRequest) -> ScheduleResult:
        """Run filter and score for ``pod``; the table is not changed (see ``bind``)."""
        profile = self.profiles.get(pod.scheduler_name, self.default_profile)
        plugins = self._plugins[profile.scheduler_name]
        table = self.table
        rows = table.live_rows()
        total = len(rows)
        if total == 0:
            return ScheduleResult(
                pod=pod.name,
                selected_node=None,
                message="0/0 nodes are available: no nodes available to schedule pods.",
            )
        # round-robin start, as upstream's nextStartNodeIndex
        start = self.next_start_row % total
        rows = np.concatenate([rows[start:], rows[:start]])

        filter_names = tuple(
            n for n in profile.plugins("filter") if not plugins[n].skip_filter(pod)
        )
        for name in filter_names:
            reason = plugins[name].prefilter(pod)
            if reason is not None:
                message = f"0/{total} nodes are available: {reason}."
                if "DefaultPreemption" in profile.plugins("post_filter"):
                    message += (
                        f" preemption: 0/{total} nodes are available: {total} "
                        "Preemption is not helpful for scheduling."
                    )
                return ScheduleResult(pod=pod.name, selected_node=None, message=message)
        first_failure = np.full(total, -1, dtype=np.int8)
        reasons: dict[int, list[tuple[str, npt.NDArray[np.bool_]]]] = {}
        alive = np.ones(total, dtype=np.bool_)
        for p, name in enumerate(filter_names):
            candidates = np.flatnonzero(alive)
            if len(candidates) == 0:
                break
            failures = plugins[name].filter(pod, table, rows[candidates])
            failed = np.zeros(len(candidates), dtype=np.bool_)
            for mask, reason in failures:
                if mask.any():
                    full = np.zeros(total, dtype=np.bool_)
                    full[candidates[mask]] = True
                    reasons.setdefault(p, []).append((reason, full))
                    failed |= mask
            hit = candidates[failed]
            first_failure[hit] = p
            alive[hit] = False

        feasible_positions = np.flatnonzero(alive)
        to_find = self._num_feasible_to_find(profile, total)
        if len(feasible_positions) > to_find:
            cutoff = int(feasible_positions[to_find - 1]) + 1
            feasible_positions = feasible_positions[:to_find]
        else:
            cutoff = total
        self.next_start_row = (start + cutoff) % total
        evaluated = rows[:cutoff]
        first_failure = first_failure[:cutoff]
        reasons = {p: [(r, m[:cutoff]) for r, m in lst] for p, lst in reasons.items()}
        names = tuple(str(table.names[int(r)]) for r in evaluated)

        result = ScheduleResult(
            pod=pod.name,
            selected_node=None,
            message=None,
            evaluated_nodes=names,
            filter_plugins=filter_names,
            first_failure=first_failure,
            failure_reasons=reasons,
            feasible=feasible_positions,
            statuses=self._statuses(profile, plugins, pod),
        )
        extenders = [e for e in self.extenders if e.interested(pod)]
        extender_failures: dict[str, str] = {}
        if extenders and len(feasible_positions):
            try:
                feasible_positions = self._extender_filter(
                    extenders, pod, result, names, feasible_positions, extender_failures
                )
            except ExtenderError as exc:
                result.message = str(exc)
                return result
            result.feasible = feasible_positions
        if len(feasible_positions) == 0:
            result.message = self._fit_error(total, reasons, first_failure, extender_failures)
            if "DefaultPreemption" in profile.plugins("post_filter"):
                self._post_filter(pod, result, filter_names)
            return result
        if len(feasible_positions) == 1:
            result.selected_node = names[int(feasible_positions[0])]
            return result

        feasible_rows = evaluated[feasible_positions]
        score_names = tuple(n for n in profile.plugins("score") if not plugins[n].skip_score(pod))
        raw = np.zeros((len(score_names), len(feasible_rows)), dtype=np.int64)
        normalized = np.zeros_like(raw)
        total_score = np.zeros(len(feasible_rows), dtype=np.int64)
        weights = tuple(profile.weights.get(n, 1) for n in score_names)
        for k, name in enumerate(score_names):
            plugin = plugins[name]
            raw[k] = plugin.score(pod, table, feasible_rows)
            normalized[k] = plugin.normalize(raw[k])
            total_score += normalized[k] * weights[k]
        if extenders:
            try:
                total_score += self._extender_scores(
                    extenders, pod, result, names, feasible_positions
                )
            except ExtenderError as exc:
                result.message = str(exc)
                return result
        best = np.flatnonzero(total_score == total_score.max())
        choice = int(best[self.rng.integers(len(best))]) if len(best) > 1 else int(best[0])
        result.selected_node = names[int(feasible_positions[choice])]
        result.score_plugins = score_names
        result.weights = weights
        result.raw_scores = raw
        result.normalized_scores = normalized
        return result

    @staticmethod
    def _statuses(
        profile: ResolvedProfile, plugins: dict[str, Plugin], pod: PodRequest
    ) -> dict[str, dict[str, str]]:
        """What each plugin answered at the points with no per-node detail ("" = Skip)."""
        return {
            "pre_filter": {
                n: "" if plugins[n].skip_filter(pod) else "success"
                for n in profile.plugins("pre_filter")
            },
            "pre_score": {
                n: "" if plugins[n].skip_score(pod) else "success"
                for n in profile.plugins("pre_score")
            },
            "reserve": {n: "success" for n in profile.plugins("reserve")},
            "pre_bind": {n: "success" for n in profile.plugins("pre_bind")},
            "bind": {n: "success" for n in profile.plugins("bind")},
        }

    def _post_filter(
        self, pod: PodRequest, result: ScheduleResult, filters: tuple[str, ...]
    ) -> None:
        """DefaultPreemption: nominate a node and name the victims, or explain why not."""
        if pod.preemption_policy == "Never":
            return
        fixable = {filters.index(n) for n in ("NodeResourcesFit",) if n in filters}
        candidates = [int(f) in fixable for f in result.first_failure]
        outcome = preempt(pod, self.table, self.pods, result.evaluated_nodes, candidates)
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
    ) -> str:
        """``FitError.Error()``: the sorted histogram of filter reasons."""
        histogram: Counter[str] = Counter(dict(Counter((extender_failures or {}).values())))
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
        self.table.assume(row, pod.requests)
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
            self.table.assume(row, pod.requests, sign=-1)
