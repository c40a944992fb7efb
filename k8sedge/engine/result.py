"""The outcome of one scheduling cycle, kept compactly and rendered on demand.

Evaluated nodes are a window of a shared node order, constant score rows single numbers;
``filter_result``, ``score_result``, ``final_score_result`` and ``annotations`` (the real
simulator's result annotations) expand them when read.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy.typing as npt
from attrs import define, field

__all__ = ["NodeOrder", "ScheduleResult", "compact"]


class NodeOrder:
    """The node tree's order at one moment: rows and names, shared by every result
    scheduled while the set of nodes (and their zones) stayed the same."""

    __slots__ = ("names", "rows")

    def __init__(self, rows: npt.NDArray[np.intp], names: tuple[str, ...]) -> None:
        self.rows = rows
        self.names = names


def compact(values: npt.NDArray[np.int64]) -> int | npt.NDArray[Any]:
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
