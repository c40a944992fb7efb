"""In-tree kube-scheduler plugins, vectorised over the rows of a ``NodeTable``.

A filter returns, for the candidate rows, the failing rows with the upstream reason
string; a score plugin returns raw scores and normalises them as upstream does.
Plugins whose extension points do not apply to a pod report ``skip``, as the real
framework's PreFilter/PreScore ``Skip`` status does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from .requests import nonzero_requests
from .state import ClusterState
from .table import NodeTable, normalized_image
from .types import (
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodRequest,
    Taint,
    TaintEffect,
)

__all__ = ["MAX_NODE_SCORE", "FilterFailure", "Plugin", "default_normalize"]

MAX_NODE_SCORE = 100

Rows = npt.NDArray[np.intp]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FilterFailure = tuple[BoolArray, str]


def default_normalize(scores: IntArray, reverse: bool = False) -> IntArray:
    """``helper.DefaultNormalizeScore`` with ``MaxNodeScore``."""
    max_count = int(scores.max()) if len(scores) else 0
    if max_count == 0:
        if reverse:
            return np.full(len(scores), MAX_NODE_SCORE, dtype=np.int64)
        return scores.copy()
    normalized = MAX_NODE_SCORE * scores // max_count
    return MAX_NODE_SCORE - normalized if reverse else normalized


class Plugin:
    """Base: by default a plugin passes every node and does not score."""

    name: ClassVar[str] = ""

    def __init__(self, args: Mapping[str, Any] | None = None, state: ClusterState | None = None):
        self.args = dict(args or {})
        self.state = state or ClusterState(NodeTable())

    def skip_filter(self, pod: PodRequest) -> bool:
        """PreFilter ``Skip``: the plugin's Filter does not run for this pod."""
        return False

    def prefilter(self, pod: PodRequest) -> str | None:
        """PreFilter: a reason the pod fits no node at all, or None."""
        return None

    def prefilter_nodes(self, pod: PodRequest) -> set[str] | None:
        """PreFilterResult.NodeNames: the only nodes worth evaluating (None: all)."""
        return None

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        return []

    def resolvable(self, reason: str) -> bool:
        """Whether a filter failure is ``Unschedulable`` (preemption might help) rather than
        ``UnschedulableAndUnresolvable``."""
        return False

    def skip_score(self, pod: PodRequest) -> bool:
        """PreScore ``Skip``: the plugin's Score does not run for this pod."""
        return False

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        return np.zeros(len(rows), dtype=np.int64)

    def skipped_after_score(self) -> bool:
        """PreScore ``Skip`` that is only known once the scores are computed (the last
        ``score`` call found nothing to score)."""
        return False

    def normalize(self, scores: IntArray) -> IntArray:
        return scores


class NodeUnschedulable(Plugin):
    name = "NodeUnschedulable"
    _TAINT = Taint("node.kubernetes.io/unschedulable", "", TaintEffect.NO_SCHEDULE)

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        if any(t.tolerates(self._TAINT) for t in pod.tolerations):
            return []
        return [(table.unschedulable[rows], "node(s) were unschedulable")]


class NodeName(Plugin):
    name = "NodeName"

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        if not pod.node_name:
            return []
        row = table.row_of.get(pod.node_name, -1)
        return [(rows != row, "node(s) didn't match the requested node name")]


class TaintToleration(Plugin):
    name = "TaintToleration"

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        failures: list[FilterFailure] = []
        tainted = rows[table.has_taints[rows]]
        by_reason: dict[str, list[int]] = {}
        for row in tainted.tolist():
            for taint in table.taints[row]:
                if taint.effect == TaintEffect.PREFER_NO_SCHEDULE:
                    continue
                if not any(t.tolerates(taint) for t in pod.tolerations):
                    reason = f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"
                    by_reason.setdefault(reason, []).append(row)
                    break
        for reason, failed in by_reason.items():
            failures.append((np.isin(rows, failed), reason))
        return failures

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        scores = np.zeros(len(rows), dtype=np.int64)
        tolerations = [
            t for t in pod.tolerations if t.effect in ("", TaintEffect.PREFER_NO_SCHEDULE)
        ]
        for i in np.flatnonzero(table.has_taints[rows]).tolist():
            scores[i] = sum(
                1
                for taint in table.taints[int(rows[i])]
                if taint.effect == TaintEffect.PREFER_NO_SCHEDULE
                and not any(t.tolerates(taint) for t in tolerations)
            )
        return scores

    def normalize(self, scores: IntArray) -> IntArray:
        return default_normalize(scores, reverse=True)


def _requirement_mask(req: NodeSelectorRequirement, table: NodeTable, rows: Rows) -> BoolArray:
    column, codes = table.label_codes(req.key)
    codes = codes[rows]
    op = req.operator
    if op in ("In", "NotIn"):
        wanted = [column.index[v] for v in req.values if v in column.index]
        if len(wanted) == 1:
            hit: BoolArray = codes == wanted[0]
        elif wanted:
            lookup = np.zeros(len(column.values) + 1, dtype=np.bool_)  # code -1: last slot
            lookup[wanted] = True
            hit = lookup[codes]
        else:
            hit = np.zeros(len(rows), dtype=np.bool_)
        return hit if op == "In" else ~hit
    if op == "Exists":
        return codes >= 0
    if op == "DoesNotExist":
        return codes < 0
    if op in ("Gt", "Lt"):
        if len(req.values) != 1:
            return np.zeros(len(rows), dtype=np.bool_)
        try:
            bound = int(req.values[0])
        except ValueError:
            return np.zeros(len(rows), dtype=np.bool_)
        numbers = column.as_numbers()[rows]
        with np.errstate(invalid="ignore"):
            compared: BoolArray = numbers > bound if op == "Gt" else numbers < bound
        return compared
    return np.zeros(len(rows), dtype=np.bool_)


def _field_mask(req: NodeSelectorRequirement, table: NodeTable, rows: Rows) -> BoolArray:
    if req.key != "metadata.name" or req.operator not in ("In", "NotIn") or len(req.values) != 1:
        return np.zeros(len(rows), dtype=np.bool_)
    hit: BoolArray = np.equal(rows, table.row_of.get(req.values[0], -1))
    return hit if req.operator == "In" else ~hit


def term_mask(term: NodeSelectorTerm, table: NodeTable, rows: Rows) -> BoolArray:
    """Rows matching one node selector term (requirements ANDed; empty matches nothing)."""
    if not term.match_expressions and not term.match_fields:
        return np.zeros(len(rows), dtype=np.bool_)
    mask = np.ones(len(rows), dtype=np.bool_)
    for req in term.match_expressions:
        mask &= _requirement_mask(req, table, rows)
    for req in term.match_fields:
        mask &= _field_mask(req, table, rows)
    return mask


def _any_term(terms: tuple[NodeSelectorTerm, ...], table: NodeTable, rows: Rows) -> BoolArray:
    """Rows matching any term. Terms that differ only in one ``metadata.name In [x]``
    field (one term per named node) are evaluated together: one mask for the shared
    expressions, one ``isin`` for the names."""
    result = np.zeros(len(rows), dtype=np.bool_)
    by_expressions: dict[tuple[NodeSelectorRequirement, ...], list[str]] = {}
    for term in terms:
        fields = term.match_fields
        if (
            len(fields) == 1
            and fields[0].key == "metadata.name"
            and fields[0].operator == "In"
            and len(fields[0].values) == 1
        ):
            by_expressions.setdefault(term.match_expressions, []).append(fields[0].values[0])
        else:
            result |= term_mask(term, table, rows)
    for expressions, names in by_expressions.items():
        named = np.isin(rows, [table.row_of[n] for n in names if n in table.row_of])
        if expressions:
            named &= term_mask(NodeSelectorTerm(match_expressions=expressions), table, rows)
        result |= named
    return result


def _parse_terms(raw: Any) -> tuple[NodeSelectorTerm, ...]:
    def requirements(items: Any) -> tuple[NodeSelectorRequirement, ...]:
        return tuple(
            NodeSelectorRequirement(
                str(r.get("key", "")),
                str(r.get("operator", "")),
                tuple(str(v) for v in r.get("values") or ()),
            )
            for r in items or ()
        )

    return tuple(
        NodeSelectorTerm(
            match_expressions=requirements(t.get("matchExpressions")),
            match_fields=requirements(t.get("matchFields")),
        )
        for t in raw or ()
    )


def _preferred_score(
    terms: Iterable[tuple[int, NodeSelectorTerm]], table: NodeTable, rows: Rows
) -> IntArray:
    """``PreferredSchedulingTerms.Score``: the weights of the matching terms; terms with
    weight 0 or no requirements are dropped."""
    scores = np.zeros(len(rows), dtype=np.int64)
    for weight, term in terms:
        if weight and (term.match_expressions or term.match_fields):
            scores += weight * term_mask(term, table, rows)
    return scores


class NodeAffinity(Plugin):
    name = "NodeAffinity"

    def __init__(self, args: Mapping[str, Any] | None = None, state: ClusterState | None = None):
        super().__init__(args, state)
        added = self.args.get("addedAffinity") or {}
        required = added.get("requiredDuringSchedulingIgnoredDuringExecution")
        self.added_required: tuple[NodeSelectorTerm, ...] | None = (
            None if required is None else _parse_terms(required.get("nodeSelectorTerms"))
        )
        preferred = added.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
        self.added_preferred = tuple(
            (int(p.get("weight", 0)), _parse_terms([p.get("preference") or {}])[0])
            for p in preferred
        )

    def skip_filter(self, pod: PodRequest) -> bool:
        return not pod.node_selector and pod.required_terms is None and self.added_required is None

    def prefilter(self, pod: PodRequest) -> str | None:
        """Required terms that each name nodes (``metadata.name In``) with none in common."""
        names = self.prefilter_nodes(pod)
        if names is not None and not names:
            return "pod affinity terms conflict"
        return None

    def prefilter_nodes(self, pod: PodRequest) -> set[str] | None:
        """The nodes named by ``metadata.name In`` in every required term (upstream's
        PreFilterResult); None when some term names no node."""
        terms = pod.required_terms
        if not terms:
            return None
        names: set[str] | None = None
        for term in terms:
            term_names: set[str] | None = None
            for req in term.match_fields:
                if req.key == "metadata.name" and req.operator == "In":
                    values = set(req.values)
                    term_names = values if term_names is None else term_names & values
            if term_names is None:
                return None
            names = term_names if names is None else names | term_names
        return names

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        enforced = np.zeros(len(rows), dtype=np.bool_)
        if self.added_required is not None:
            enforced = ~_any_term(self.added_required, table, rows)
        match = np.ones(len(rows), dtype=np.bool_)
        for key, value in pod.node_selector.items():
            match &= _requirement_mask(NodeSelectorRequirement(key, "In", (value,)), table, rows)
        if pod.required_terms is not None:
            match &= _any_term(pod.required_terms, table, rows)
        return [
            (enforced, "node(s) didn't match scheduler-enforced node affinity"),
            (~match & ~enforced, "node(s) didn't match Pod's node affinity/selector"),
        ]

    def skip_score(self, pod: PodRequest) -> bool:
        return not pod.preferred_terms and not self.added_preferred and not _has_preferred(pod)

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        scores = _preferred_score(self.added_preferred, table, rows)
        scores += _preferred_score(((p.weight, p.term) for p in pod.preferred_terms), table, rows)
        return scores

    def normalize(self, scores: IntArray) -> IntArray:
        return default_normalize(scores)


def _has_preferred(pod: PodRequest) -> bool:
    """Whether the pod JSON has a ``preferredDuringScheduling…`` list (even an empty one)."""
    source = pod.source
    if not isinstance(source, dict):
        return False
    affinity = ((source.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
    return affinity.get("preferredDuringSchedulingIgnoredDuringExecution") is not None


def _resource_specs(args: Mapping[str, Any], default_key: str) -> list[tuple[str, int]]:
    resources = args.get(default_key)
    if resources is None:
        resources = [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]
    return [(str(r["name"]), int(r.get("weight") or 1)) for r in resources]


# resources that are not "scalar" (v1helper.IsScalarResourceName) for the allocation scorers
_NATIVE = ("cpu", "memory", "ephemeral-storage", "pods")
_FILTER_ORDER = {"cpu": 0, "memory": 1, "ephemeral-storage": 2}


def _is_extended(name: str) -> bool:
    """``v1helper.IsExtendedResourceName``: a qualified name outside kubernetes.io, not
    ``requests.``-prefixed, not a hugepage."""
    if "/" not in name or name.startswith("requests."):
        return False
    prefix = name.split("/", 1)[0]
    return not (prefix == "kubernetes.io" or prefix.endswith(".kubernetes.io"))


def _is_scalar(name: str) -> bool:
    return name not in _NATIVE and (
        _is_extended(name) or "/" in name or name.startswith(("hugepages-", "attachable-volumes-"))
    )


def _go_div(a: IntArray, b: int) -> IntArray:
    """Go's integer division (truncation toward zero) for possibly negative ``a``."""
    q: IntArray = np.abs(a) // abs(b)
    return np.where((a < 0) != (b < 0), -q, q)


def broken_linear(shape: list[tuple[int, int]], p: IntArray) -> IntArray:
    """``helper.BuildBrokenLinearFunction`` over an array of utilisations."""
    out = np.full(len(p), shape[-1][1], dtype=np.int64)
    done = np.zeros(len(p), dtype=np.bool_)
    for i, (utilization, score) in enumerate(shape):
        hit = ~done & (p <= utilization)
        if hit.any():
            if i == 0:
                out[hit] = score
            else:
                u0, s0 = shape[i - 1]
                out[hit] = s0 + _go_div((score - s0) * (p[hit] - u0), utilization - u0)
            done |= hit
    return out


class NodeResourcesFit(Plugin):
    name = "NodeResourcesFit"

    def __init__(self, args: Mapping[str, Any] | None = None, state: ClusterState | None = None):
        super().__init__(args, state)
        strategy = self.args.get("scoringStrategy") or {}
        self.strategy = str(strategy.get("type") or "LeastAllocated")
        self.resources = _resource_specs(strategy, "resources")
        shape = (strategy.get("requestedToCapacityRatio") or {}).get("shape") or [
            {"utilization": 0, "score": 10},
            {"utilization": 100, "score": 0},
        ]
        # MaxCustomPriorityScore (10) scaled to MaxNodeScore
        self.shape = [
            (int(p.get("utilization", 0)), int(p.get("score", 0)) * (MAX_NODE_SCORE // 10))
            for p in shape
        ]
        self.ignored = {str(r) for r in self.args.get("ignoredResources") or ()}
        self.ignored_groups = {str(g) for g in self.args.get("ignoredResourceGroups") or ()}

    def resolvable(self, reason: str) -> bool:
        return True

    def _ignored(self, resource: str) -> bool:
        if not _is_extended(resource):
            return False
        return resource in self.ignored or resource.split("/", 1)[0] in self.ignored_groups

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        failures: list[FilterFailure] = [
            (table.pod_count[rows] + 1 > table.max_pods[rows], "Too many pods")
        ]
        ordered = sorted(pod.requests.items(), key=lambda kv: (_FILTER_ORDER.get(kv[0], 3), kv[0]))
        for resource, amount in ordered:
            if amount <= 0 or resource == "pods" or self._ignored(resource):
                continue
            free = (
                table.column(table.allocatable, resource)[rows]
                - table.column(table.requested, resource)[rows]
            )
            failures.append((amount > free, f"Insufficient {resource}"))
        return failures

    def _alloc_requested(
        self, pod: PodRequest, table: NodeTable, rows: Rows, resource: str
    ) -> tuple[IntArray, IntArray] | None:
        """``calculateResourceAllocatableRequest`` with non-zero requests; None: bypassed."""
        if resource in ("cpu", "memory"):
            cpu, mem = nonzero_requests(pod)
            amount = cpu if resource == "cpu" else mem
            alloc = table.column(table.allocatable, resource)[rows]
            return alloc, table.nonzero_requested[resource][rows] + amount
        amount = pod.requests.get(resource, 0)
        if amount == 0 and _is_scalar(resource):
            return None  # an extended resource the pod does not request is not scored
        if resource != "ephemeral-storage" and resource not in table.allocatable:
            return None
        alloc = table.column(table.allocatable, resource)[rows]
        return alloc, table.column(table.requested, resource)[rows] + amount

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        total = np.zeros(len(rows), dtype=np.int64)
        weight_sum = np.zeros(len(rows), dtype=np.int64)
        for resource, weight in self.resources:
            pair = self._alloc_requested(pod, table, rows, resource)
            if pair is None:
                continue
            alloc, requested = pair
            present = alloc != 0
            safe = np.where(present, alloc, 1)
            if self.strategy == "MostAllocated":
                used = np.minimum(requested, alloc)
                part = used * MAX_NODE_SCORE // safe
            elif self.strategy == "RequestedToCapacityRatio":
                utilization = np.where(
                    requested > alloc, MAX_NODE_SCORE, requested * MAX_NODE_SCORE // safe
                )
                part = broken_linear(self.shape, utilization)
                present &= part > 0  # only positive scores enter the weighted average
            else:
                part = np.where(requested > alloc, 0, (alloc - requested) * MAX_NODE_SCORE // safe)
            total += np.where(present, part * weight, 0)
            weight_sum += np.where(present, weight, 0)
        safe_sum = np.maximum(weight_sum, 1)
        if self.strategy == "RequestedToCapacityRatio":
            # int64(math.Round(float64(nodeScore) / float64(weightSum))), half away from zero
            rounded = np.floor(total / safe_sum + 0.5).astype(np.int64)
            return np.where(weight_sum > 0, rounded, 0)
        return np.where(weight_sum > 0, total // safe_sum, 0)


class NodeResourcesBalancedAllocation(Plugin):
    name = "NodeResourcesBalancedAllocation"

    def __init__(self, args: Mapping[str, Any] | None = None, state: ClusterState | None = None):
        super().__init__(args, state)
        self.resources = _resource_specs(self.args, "resources")

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        fractions: list[npt.NDArray[np.float64]] = []
        presents: list[BoolArray] = []
        for resource, _ in self.resources:
            amount = pod.requests.get(resource, 0)
            if amount == 0 and _is_scalar(resource):
                continue
            if resource not in ("cpu", "memory", "ephemeral-storage") and (
                resource not in table.allocatable
            ):
                continue
            alloc = table.column(table.allocatable, resource)[rows]
            requested = table.column(table.requested, resource)[rows] + amount
            present = alloc != 0
            fraction = np.minimum(requested / np.where(present, alloc, 1), 1.0)
            fractions.append(np.where(present, fraction, np.nan))
            presents.append(present)
        if not fractions:
            return np.full(len(rows), MAX_NODE_SCORE, dtype=np.int64)
        stack = np.vstack(fractions)
        present_stack = np.vstack(presents)
        count = present_stack.sum(axis=0)
        std = np.zeros(len(rows), dtype=np.float64)
        two = count == 2
        if two.any():
            # upstream's shortcut for two resources: |f1 - f2| / 2, in list order
            columns = np.arange(len(rows))
            first = stack[np.argmax(present_stack, axis=0), columns]
            last = len(stack) - 1 - np.argmax(present_stack[::-1], axis=0)
            second = stack[last, columns]
            std = np.where(two, np.abs((first - second) / 2), std)
        many = count > 2
        if many.any():
            with np.errstate(invalid="ignore"):
                mean = np.nansum(stack, axis=0) / np.maximum(count, 1)
                variance = np.nansum((stack - mean) ** 2, axis=0) / np.maximum(count, 1)
            std = np.where(many, np.sqrt(variance), std)
        return ((1 - std) * MAX_NODE_SCORE).astype(np.int64)


class NodePorts(Plugin):
    name = "NodePorts"

    def resolvable(self, reason: str) -> bool:
        return True

    def skip_filter(self, pod: PodRequest) -> bool:
        return not pod.host_ports

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        taken: set[int] = set()
        for protocol, ip, port in pod.host_ports:
            for row, used_ip in self.state.pods.host_ports.get((protocol, port), {}).values():
                if ip == used_ip or "0.0.0.0" in (ip, used_ip):
                    taken.add(row)
        return [
            (
                np.isin(rows, list(taken)),
                "node(s) didn't have free ports for the requested pod ports",
            )
        ]


_MB = 1024 * 1024
_MIN_IMAGE_THRESHOLD = 23 * _MB
_MAX_CONTAINER_THRESHOLD = 1000 * _MB


class ImageLocality(Plugin):
    """Favours nodes that already have the pod's images, weighted by how widely spread
    each image is (``sumImageScores`` / ``calculatePriority`` upstream)."""

    name = "ImageLocality"

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        total_nodes = max(1, len(table.row_of))
        sums = np.zeros(len(rows), dtype=np.int64)
        for image in pod.images:
            entry = table.images.get(normalized_image(image))
            if entry is not None:
                size, with_image = entry
                scaled = int(size * (len(with_image) / total_nodes))
                sums += np.isin(rows, list(with_image)) * scaled
        maximum = _MAX_CONTAINER_THRESHOLD * max(1, len(pod.images))
        clamped = np.clip(sums, _MIN_IMAGE_THRESHOLD, maximum)
        return MAX_NODE_SCORE * (clamped - _MIN_IMAGE_THRESHOLD) // (maximum - _MIN_IMAGE_THRESHOLD)
