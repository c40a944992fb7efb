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
    validate_configuration,
    validate_extenders,
)
from .extenders import MAX_EXTENDER_PRIORITY, ExtenderClient, ExtenderError
from .plugins import MAX_NODE_SCORE, Plugin
from .pods import PodIndex
from .preemption import NOT_ELIGIBLE, NOT_HELPFUL, preempt
from .registry import build_plugin
from .requests import nonzero_requests
from .state import ClusterState
from .table import NodeTable
from .types import PodRequest

__all__ = ["NodeOrder", "ScheduleResult", "Scheduler"]

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


class NodeOrder:
    """The node tree's order at one moment: rows and names, shared by every result
    scheduled while the set of nodes (and their zones) stayed the same."""

    __slots__ = ("names", "rows")

    def __init__(self, rows: npt.NDArray[np.intp], names: tuple[str, ...]) -> None:
        self.rows = rows
        self.names = names


def _compact(values: npt.NDArray[np.int64]) -> int | npt.NDArray[Any]:
    """A score row as small as it goes: one int when constant, else the narrowest dtype."""
    if not len(values):
        return 0
    low, high = int(values.min()), int(values.max())
    if low == high:
        return low
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return values.astype(dtype)
    return values


@define(slots=True)
class ScheduleResult:
    """The outcome of one scheduling cycle, with its per-plugin, per-node detail.

    The detail is kept compactly (evaluated nodes as a window of a shared node order,
    constant score rows as single numbers) and expanded when read."""

    pod: str
    selected_node: str | None
    message: str | None
    order: NodeOrder | None = None
    start: int = 0  # evaluated nodes: order.names[start:start + count], wrapping around
    count: int = 0
    filter_plugins: tuple[str, ...] = ()
    failures: npt.NDArray[np.int8] | None = None  # first failing filter per evaluated node
    failure_reasons: dict[int, list[tuple[str, npt.NDArray[np.bool_]]]] = field(factory=dict)
    feasible_positions: npt.NDArray[Any] = field(factory=lambda: np.zeros(0, dtype=np.int32))
    score_plugins: tuple[str, ...] = ()
    weights: tuple[int, ...] = ()
    raw_rows: list[Any] = field(factory=list)
    normalized_rows: list[Any] = field(factory=list)
    nominated_node: str | None = None
    victims: list[str] = field(factory=list)
    # extension points' statuses: {"pre_filter": {plugin: "success" | ""}, ...}
    statuses: dict[str, dict[str, str]] = field(factory=dict)
    extender_results: dict[str, dict[str, Any]] = field(factory=dict)

    @property
    def scheduled(self) -> bool:
        return self.selected_node is not None

    @property
    def evaluated_nodes(self) -> tuple[str, ...]:
        if self.order is None or not self.count:
            return ()
        names = self.order.names
        end = self.start + self.count
        if end <= len(names):
            return names[self.start : end]
        return names[self.start :] + names[: end - len(names)]

    @property
    def feasible(self) -> npt.NDArray[np.intp]:
        return self.feasible_positions.astype(np.intp)

    @property
    def first_failure(self) -> npt.NDArray[np.int8]:
        if self.failures is None:
            return np.full(self.count, -1, dtype=np.int8)
        return self.failures

    def _matrix(self, rows: list[Any]) -> npt.NDArray[np.int64]:
        n = len(self.feasible_positions)
        out = np.zeros((len(rows), n), dtype=np.int64)
        for k, row in enumerate(rows):
            out[k] = row
        return out

    @property
    def raw_scores(self) -> npt.NDArray[np.int64]:
        return self._matrix(self.raw_rows)

    @property
    def normalized_scores(self) -> npt.NDArray[np.int64]:
        return self._matrix(self.normalized_rows)

    def filter_result(self) -> dict[str, dict[str, str]]:
        """``{node: {plugin: "passed" | reason}}`` for every evaluated node."""
        out: dict[str, dict[str, str]] = {}
        first_failure = self.first_failure.tolist()
        passed_all = {plugin: "passed" for plugin in self.filter_plugins}
        for i, node in enumerate(self.evaluated_nodes):
            failed_at = first_failure[i]
            if failed_at < 0:
                out[node] = dict(passed_all)
                continue
            entry: dict[str, str] = {}
            for p, plugin in enumerate(self.filter_plugins):
                if p > failed_at:
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
        if not self.score_plugins:
            return out
        names = self.evaluated_nodes
        factors = np.array(self.weights if weighted else [1] * len(self.weights), dtype=np.int64)
        values = (matrix * factors[:, None]).T.tolist()
        for j, i in enumerate(self.feasible_positions.tolist()):
            out[names[i]] = dict(zip(self.score_plugins, values[j], strict=True))
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
        """Run filter and score for ``pod``; the table is not changed (see ``bind``)."""
        profile = self.profiles.get(pod.scheduler_name, self.default_profile)
        plugins = self._plugins[profile.scheduler_name]
        table = self.table
        order = self._node_order()
        total = len(order.rows)
        if total == 0:
            return ScheduleResult(
                pod=pod.name,
                selected_node=None,
                message="0/0 nodes are available: no nodes available to schedule pods.",
            )
        filter_names = tuple(
            n for n in profile.plugins("filter") if not plugins[n].skip_filter(pod)
        )
        for name in filter_names:
            reason = plugins[name].prefilter(pod)
            if reason is not None:
                message = f"0/{total} nodes are available: {reason}."
                if "DefaultPreemption" in profile.plugins("post_filter"):
                    if pod.preemption_policy == "Never":
                        message += f" preemption: {NOT_ELIGIBLE}"
                    else:
                        message += (
                            f" preemption: 0/{total} nodes are available: {total} {NOT_HELPFUL}."
                        )
                return ScheduleResult(pod=pod.name, selected_node=None, message=message)
        all_nodes = total
        absent: tuple[int, str] | None = None
        restrict: set[str] | None = None
        restricted_by: list[str] = []
        for name in filter_names:
            only = plugins[name].prefilter_nodes(pod)
            if only is not None:
                restrict = only if restrict is None else restrict & only
                restricted_by.append(name)
        if restrict is not None:
            # PreFilterResult: only the named nodes are evaluated; the rest are absent
            keep = [i for i, n in enumerate(order.names) if n in restrict]
            order = NodeOrder(order.rows[keep], tuple(order.names[i] for i in keep))
            total = len(keep)
            plugins_text = " ".join(sorted(restricted_by))
            absent = (all_nodes - total, f"node(s) didn't satisfy plugin(s) [{plugins_text}]")
        # round-robin start, as upstream's nextStartNodeIndex
        start = self.next_start_row % total if total else 0
        rows = (
            order.rows if start == 0 else np.concatenate([order.rows[start:], order.rows[:start]])
        )
        to_find = self._num_feasible_to_find(profile, total)
        if filter_names:
            first_failure, reasons = self._filter_failures(pod, plugins, filter_names, rows)
            feasible_positions = np.flatnonzero(first_failure < 0)
        else:
            first_failure, reasons = np.full(total, -1, dtype=np.int8), {}
            feasible_positions = np.arange(total)
        if len(feasible_positions) > to_find:
            cutoff = int(feasible_positions[to_find - 1]) + 1
            feasible_positions = feasible_positions[:to_find]
        else:
            cutoff = total
        self.next_start_row = (self.next_start_row + cutoff) % all_nodes
        evaluated = rows[:cutoff]
        first_failure = first_failure[:cutoff]
        if cutoff < total:
            reasons = {p: [(r, m[:cutoff]) for r, m in lst] for p, lst in reasons.items()}
        compact_type = np.uint16 if total <= 65535 else np.int32
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
            feasible_positions=feasible_positions.astype(compact_type),
            statuses=self._statuses(profile, plugins, pod),
        )
        extenders = [e for e in self.extenders if e.interested(pod)]
        extender_failures: dict[str, str] = {}
        if extenders and len(feasible_positions):
            names = result.evaluated_nodes
            try:
                feasible_positions = self._extender_filter(
                    extenders, pod, result, names, feasible_positions, extender_failures
                )
            except ExtenderError as exc:
                result.message = str(exc)
                return result
            result.feasible_positions = feasible_positions.astype(compact_type)
        if len(feasible_positions) == 0:
            result.message = self._fit_error(
                all_nodes, reasons, first_failure, extender_failures, absent
            )
            if "DefaultPreemption" in profile.plugins("post_filter"):
                self._post_filter(
                    pod, profile, plugins, result, filter_names, evaluated, first_failure
                )
            return result
        if len(feasible_positions) == 1:
            result.selected_node = order.names[(start + int(feasible_positions[0])) % total]
            return result

        feasible_rows = evaluated[feasible_positions]
        score_names = tuple(n for n in profile.plugins("score") if not plugins[n].skip_score(pod))
        total_score = np.zeros(len(feasible_rows), dtype=np.int64)
        weights = tuple(profile.weights.get(n, 1) for n in score_names)
        raw_rows: list[Any] = []
        normalized_rows: list[Any] = []
        late_skips: list[str] = []
        for k, name in enumerate(score_names):
            plugin = plugins[name]
            raw = plugin.score(pod, table, feasible_rows)
            if plugin.skipped_after_score():
                late_skips.append(name)
                continue
            normalized = plugin.normalize(raw)
            total_score += normalized * weights[k]
            raw_rows.append(_compact(raw))
            normalized_rows.append(_compact(normalized))
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
            try:
                total_score += self._extender_scores(
                    extenders, pod, result, result.evaluated_nodes, feasible_positions
                )
            except ExtenderError as exc:
                result.message = str(exc)
                return result
        best = np.flatnonzero(total_score == total_score.max())
        choice = int(best[self.rng.integers(len(best))]) if len(best) > 1 else int(best[0])
        result.selected_node = order.names[(start + int(feasible_positions[choice])) % total]
        result.score_plugins = score_names
        result.weights = weights
        result.raw_rows = raw_rows
        result.normalized_rows = normalized_rows
        return result

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
