"""InterPodAffinity and PodTopologySpread, vectorised over nodes and placed pods.

Both count placed pods matching a label selector per topology domain: the pod index gives
the matching pods as a mask, their nodes' topology labels give the domains, and the
domain of every candidate node is one lookup in the node table's label codes.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from .plugins import (
    MAX_NODE_SCORE,
    FilterFailure,
    IntArray,
    Plugin,
    Rows,
    _any_term,
    _requirement_mask,
)
from .table import NodeTable
from .types import (
    LabelSelector,
    NodeSelectorRequirement,
    PodAffinityTerm,
    PodRequest,
    TaintEffect,
    TopologySpreadConstraint,
)

__all__ = ["InterPodAffinity", "PodTopologySpread"]

BoolArray = npt.NDArray[np.bool_]

AFFINITY_MISMATCH = "node(s) didn't match pod affinity rules"
ANTI_AFFINITY_MISMATCH = "node(s) didn't match pod anti-affinity rules"
EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
SPREAD_MISMATCH = "node(s) didn't match pod topology spread constraints"
SPREAD_MISSING_LABEL = (
    "node(s) didn't match pod topology spread constraints (missing required label)"
)
HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"


class InterPodAffinity(Plugin):
    name = "InterPodAffinity"

    # -- helpers -----------------------------------------------------------------------------

    def _namespace_mask(self, term: PodAffinityTerm, own: str) -> BoolArray:
        """Placed pods whose namespace the term selects: its ``namespaces`` (the owner's own
        when neither they nor a selector are given) or, with a ``namespaceSelector``, every
        namespace whose labels match (an empty selector matches all)."""
        pods = self.state.pods
        index = pods.namespace.index
        codes = pods.namespace.codes[: pods.size]
        selector = term.namespace_selector
        if selector is None:
            wanted = list(term.namespaces) or [own]
            same: BoolArray = np.isin(codes, [index[ns] for ns in wanted if ns in index])
            return same
        if not selector.match_labels and not selector.match_expressions:
            return np.ones(len(codes), dtype=np.bool_)
        labels = self.state.namespace_labels
        chosen = [
            code
            for ns, code in index.items()
            if ns in term.namespaces or selector.matches(labels(ns))
        ]
        selected: BoolArray = np.isin(codes, chosen)
        return selected

    def _selects_namespace(self, term: PodAffinityTerm, owner: str, namespace: str) -> bool:
        """``AffinityTerm.Matches``' namespace half for a pod in ``namespace``."""
        selector = term.namespace_selector
        if selector is None:
            return namespace in (term.namespaces or (owner,))
        if namespace in term.namespaces:
            return True
        return selector.matches(self.state.namespace_labels(namespace))

    def _term_matches(self, term: PodAffinityTerm, owner: str, pod: PodRequest) -> bool:
        return (
            term.selector is not None
            and self._selects_namespace(term, owner, pod.namespace)
            and term.selector.matches(pod.labels)
        )

    def _matching(self, term: PodAffinityTerm, own: str) -> BoolArray:
        pods = self.state.pods
        return pods.matching(term.selector, None) & self._namespace_mask(term, own)

    def _pair_counts(
        self, mask: BoolArray, topology_key: str, table: NodeTable
    ) -> npt.NDArray[np.int64]:
        """Matching pods per value code of ``topology_key`` (pods on nodes without it drop)."""
        pods = self.state.pods
        column, codes = table.label_codes(topology_key)
        values = codes[pods.row[: pods.size][mask]]
        values = values[values >= 0]
        return np.bincount(values, minlength=max(1, len(column.values))).astype(np.int64)

    def _existing_anti(self, pod: PodRequest, table: NodeTable) -> list[tuple[str, int]]:
        """(topology key, value code) pairs where an existing pod's required anti-affinity
        term matches ``pod``."""
        pairs: list[tuple[str, int]] = []
        pods = self.state.pods
        for slot in sorted(pods.with_anti_affinity):
            other = pods.pods[slot]
            if other is None:
                continue
            node_row = int(pods.row[slot])
            for term in other.anti_affinity:
                if self._term_matches(term, other.namespace, pod):
                    _, codes = table.label_codes(term.topology_key)
                    if codes[node_row] >= 0:
                        pairs.append((term.topology_key, int(codes[node_row])))
        return pairs

    # -- filter ------------------------------------------------------------------------------

    def skip_filter(self, pod: PodRequest) -> bool:
        if pod.affinity or pod.anti_affinity:
            return False
        if not self.state.pods.with_anti_affinity:
            return True
        return not self._existing_anti(pod, self.state.table)

    def resolvable(self, reason: str) -> bool:
        return reason != AFFINITY_MISMATCH

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        n = len(rows)
        affinity_fail = np.zeros(n, dtype=np.bool_)
        if pod.affinity:
            # an existing pod counts only when it matches every term
            together = np.ones(self.state.pods.size, dtype=np.bool_)
            for term in pod.affinity:
                together &= self._matching(term, pod.namespace)
            pods_exist = np.ones(n, dtype=np.bool_)
            any_count = False
            for term in pod.affinity:
                counts = self._pair_counts(together, term.topology_key, table)
                any_count = any_count or bool(counts.any())
                _, codes = table.label_codes(term.topology_key)
                node_codes = codes[rows]
                has = node_codes >= 0
                affinity_fail |= ~has  # every topology label must exist on the node
                pods_exist &= has & (counts[np.maximum(node_codes, 0)] > 0)
            first_of_group = not any_count and all(
                self._term_matches(t, pod.namespace, pod) for t in pod.affinity
            )
            if not first_of_group:
                affinity_fail |= ~pods_exist
        anti_fail = np.zeros(n, dtype=np.bool_)
        for term in pod.anti_affinity:
            counts = self._pair_counts(
                self._matching(term, pod.namespace), term.topology_key, table
            )
            if counts.any():
                _, codes = table.label_codes(term.topology_key)
                node_codes = codes[rows]
                anti_fail |= (node_codes >= 0) & (counts[np.maximum(node_codes, 0)] > 0)
        existing_fail = np.zeros(n, dtype=np.bool_)
        for key, code in (
            self._existing_anti(pod, table) if self.state.pods.with_anti_affinity else ()
        ):
            _, codes = table.label_codes(key)
            existing_fail |= codes[rows] == code
        return [
            (affinity_fail, AFFINITY_MISMATCH),
            (anti_fail & ~affinity_fail, ANTI_AFFINITY_MISMATCH),
            (existing_fail & ~affinity_fail & ~anti_fail, EXISTING_ANTI_AFFINITY),
        ]

    # -- score -------------------------------------------------------------------------------

    def _has_constraints(self, pod: PodRequest) -> bool:
        return bool(pod.preferred_affinity or pod.preferred_anti_affinity)

    def skip_score(self, pod: PodRequest) -> bool:
        if self._has_constraints(pod):
            return False
        if self.args.get("ignorePreferredTermsOfExistingPods"):
            return True
        return not self.state.pods.with_affinity_terms

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        """``topologyScore`` per (key, value), then each node's sum over its labels."""
        pods = self.state.pods
        by_key: dict[str, npt.NDArray[np.int64]] = {}

        def add(key: str, codes_hit: npt.NDArray[np.int64], weight: int) -> None:
            column, _ = table.label_codes(key)
            width = max(1, len(column.values))
            acc = by_key.get(key)
            if acc is None:
                acc = by_key[key] = np.zeros(width, dtype=np.int64)
            elif len(acc) < width:
                acc = by_key[key] = np.concatenate([acc, np.zeros(width - len(acc), np.int64)])
            np.add.at(acc, codes_hit, weight)

        labelled = np.array([bool(table.labels[int(r)]) for r in pods.row[: pods.size]])
        for sign, terms in ((1, pod.preferred_affinity), (-1, pod.preferred_anti_affinity)):
            for weighted in terms:
                mask = self._matching(weighted.term, pod.namespace) & labelled
                if not mask.any():
                    continue
                _, codes = table.label_codes(weighted.term.topology_key)
                hit = codes[pods.row[: pods.size][mask]]
                hit = hit[hit >= 0].astype(np.int64)
                if len(hit):
                    add(weighted.term.topology_key, hit, sign * weighted.weight)
        hard_weight = int(self.args.get("hardPodAffinityWeight", 1))
        for slot in sorted(pods.with_affinity_terms):
            other = pods.pods[slot]
            if other is None:
                continue
            node_row = int(pods.row[slot])
            if not table.labels[node_row]:
                continue
            weighted_terms: list[tuple[PodAffinityTerm, int]] = []
            if hard_weight > 0:
                weighted_terms += [(t, hard_weight) for t in other.affinity]
            weighted_terms += [(w.term, w.weight) for w in other.preferred_affinity]
            weighted_terms += [(w.term, -w.weight) for w in other.preferred_anti_affinity]
            for term, weight in weighted_terms:
                if self._term_matches(term, other.namespace, pod):
                    _, codes = table.label_codes(term.topology_key)
                    code = int(codes[node_row])
                    if code >= 0:
                        add(term.topology_key, np.array([code], dtype=np.int64), weight)
        self._touched = bool(by_key)
        scores = np.zeros(len(rows), dtype=np.int64)
        for key, acc in by_key.items():
            _, codes = table.label_codes(key)
            node_codes = codes[rows]
            scores += np.where(node_codes >= 0, acc[np.maximum(node_codes, 0)], 0)
        return scores

    def skipped_after_score(self) -> bool:
        """PreScore's Skip: no (topology key, value) got a score."""
        return not getattr(self, "_touched", True)

    def normalize(self, scores: IntArray) -> IntArray:
        if not len(scores) or not getattr(self, "_touched", True):
            return scores
        low, high = int(scores.min()), int(scores.max())
        if high - low <= 0:
            return np.zeros(len(scores), dtype=np.int64)
        return (MAX_NODE_SCORE * ((scores - low) / (high - low))).astype(np.int64)


def _system_constraints(selector: LabelSelector) -> tuple[TopologySpreadConstraint, ...]:
    return (
        TopologySpreadConstraint(
            max_skew=3,
            topology_key=HOSTNAME,
            when_unsatisfiable="ScheduleAnyway",
            selector=selector,
        ),
        TopologySpreadConstraint(
            max_skew=5, topology_key=ZONE, when_unsatisfiable="ScheduleAnyway", selector=selector
        ),
    )


def _default_constraints(
    args: dict[str, object], selector: LabelSelector
) -> tuple[TopologySpreadConstraint, ...]:
    """``buildDefaultConstraints``: the args' ``defaultConstraints`` (List) or the system
    defaults, with the pod's default selector."""
    if args.get("defaultingType", "System") == "System":
        return _system_constraints(selector)
    out = []
    for c in args.get("defaultConstraints") or ():  # type: ignore[attr-defined]
        out.append(
            TopologySpreadConstraint(
                max_skew=int(c.get("maxSkew", 1)),
                topology_key=str(c.get("topologyKey", "")),
                when_unsatisfiable=str(c.get("whenUnsatisfiable") or "DoNotSchedule"),
                selector=selector,
            )
        )
    return tuple(out)


class PodTopologySpread(Plugin):
    name = "PodTopologySpread"

    def _constraints(self, pod: PodRequest, mode: str) -> tuple[TopologySpreadConstraint, ...]:
        if pod.spread:
            return tuple(c for c in pod.spread if c.when_unsatisfiable == mode)
        selector = pod.default_spread_selector
        if selector is None or (not selector.match_labels and not selector.match_expressions):
            return ()
        return tuple(
            c for c in _default_constraints(self.args, selector) if c.when_unsatisfiable == mode
        )

    def _selector(self, pod: PodRequest, c: TopologySpreadConstraint) -> LabelSelector | None:
        if c.selector is None or not c.match_label_keys:
            return c.selector
        extra = tuple((k, pod.labels[k]) for k in c.match_label_keys if k in pod.labels)
        return LabelSelector(
            match_labels=c.selector.match_labels + extra,
            match_expressions=c.selector.match_expressions,
        )

    def _included(
        self, pod: PodRequest, c: TopologySpreadConstraint, table: NodeTable, rows: Rows
    ) -> BoolArray:
        """``matchNodeInclusionPolicies``: node affinity (Honor) and untolerated
        NoSchedule/NoExecute taints (Honor) decide whose pods are counted."""
        included = np.ones(len(rows), dtype=np.bool_)
        if c.node_affinity_policy == "Honor":
            for key, value in pod.node_selector.items():
                included &= _requirement_mask(
                    NodeSelectorRequirement(key, "In", (value,)), table, rows
                )
            if pod.required_terms is not None:
                included &= _any_term(pod.required_terms, table, rows)
        if c.node_taints_policy == "Honor":
            tainted = np.flatnonzero(table.has_taints[rows] & included)
            for i in tainted.tolist():
                for taint in table.taints[int(rows[i])]:
                    if taint.effect == TaintEffect.PREFER_NO_SCHEDULE:
                        continue
                    if not any(t.tolerates(taint) for t in pod.tolerations):
                        included[i] = False
                        break
        return included

    def _per_row(
        self, pod: PodRequest, c: TopologySpreadConstraint, table: NodeTable
    ) -> npt.NDArray[np.int64]:
        """``countPodsMatchSelector`` per node row: the pod's namespace; an empty selector
        counts nothing."""
        selector = self._selector(pod, c)
        pods = self.state.pods
        if selector is None or (not selector.match_labels and not selector.match_expressions):
            return np.zeros(table.size, dtype=np.int64)
        mask = pods.matching(selector, [pod.namespace])
        return pods.count_per_row(mask, table.size)

    # -- filter ------------------------------------------------------------------------------

    def skip_filter(self, pod: PodRequest) -> bool:
        return not self._constraints(pod, "DoNotSchedule")

    def resolvable(self, reason: str) -> bool:
        return reason == SPREAD_MISMATCH

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        constraints = self._constraints(pod, "DoNotSchedule")
        all_rows = table.live_rows()
        # only nodes with every constraint's topology key take part
        with_keys = np.ones(len(all_rows), dtype=np.bool_)
        for c in constraints:
            with_keys &= table.label_codes(c.topology_key)[1][all_rows] >= 0
        alive = np.ones(len(rows), dtype=np.bool_)
        missing_fail = np.zeros(len(rows), dtype=np.bool_)
        skew_fail = np.zeros(len(rows), dtype=np.bool_)
        for c in constraints:
            column, codes = table.label_codes(c.topology_key)
            per_row = self._per_row(pod, c, table)
            eligible = all_rows[with_keys & self._included(pod, c, table, all_rows)]
            width = max(1, len(column.values))
            domain_counts = np.bincount(
                codes[eligible], weights=per_row[eligible], minlength=width
            ).astype(np.int64)
            present = np.zeros(width, dtype=np.bool_)
            present[codes[eligible]] = True
            domains = int(present.sum())
            min_match = int(domain_counts[present].min()) if domains else 2**31 - 1
            if domains < (c.min_domains if c.min_domains is not None else 1):
                min_match = 0
            selector = self._selector(pod, c)
            self_match = 1 if selector is not None and selector.matches(pod.labels) else 0
            node_codes = codes[rows]
            missing = alive & (node_codes < 0)
            counts = np.where(
                (node_codes >= 0) & present[np.maximum(node_codes, 0)],
                domain_counts[np.maximum(node_codes, 0)],
                0,
            )
            skewed = alive & ~missing & (counts + self_match - min_match > c.max_skew)
            missing_fail |= missing
            skew_fail |= skewed
            alive &= ~missing & ~skewed
        return [(missing_fail, SPREAD_MISSING_LABEL), (skew_fail, SPREAD_MISMATCH)]

    # -- score -------------------------------------------------------------------------------

    def skip_score(self, pod: PodRequest) -> bool:
        return not self._constraints(pod, "ScheduleAnyway")

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        constraints = self._constraints(pod, "ScheduleAnyway")
        # system defaults do not require every topology key (a node without a zone still
        # gets hostname spreading)
        require_all = bool(pod.spread) or self.args.get("defaultingType", "System") != "System"
        ignored = np.zeros(len(rows), dtype=np.bool_)
        if require_all:
            for c in constraints:
                ignored |= table.label_codes(c.topology_key)[1][rows] < 0
        considered = rows[~ignored]
        all_rows = table.live_rows()
        all_with_keys = np.ones(len(all_rows), dtype=np.bool_)
        if require_all:
            for c in constraints:
                all_with_keys &= table.label_codes(c.topology_key)[1][all_rows] >= 0
        total = np.zeros(len(rows), dtype=np.float64)
        for c in constraints:
            column, codes = table.label_codes(c.topology_key)
            per_row = self._per_row(pod, c, table)
            node_codes = codes[rows]
            if c.topology_key == HOSTNAME:
                size = len(considered)
                counts = per_row[rows]
            else:
                # every candidate domain counts for the weight; a missing label is a domain ""
                width = max(1, len(column.values)) + 1
                candidate = np.zeros(width, dtype=np.bool_)
                candidate[codes[considered]] = True  # code -1 lands on the last slot ("")
                size = int(candidate.sum())
                counted = all_rows[all_with_keys & self._included(pod, c, table, all_rows)]
                domain_counts = np.bincount(
                    codes[counted] % width, weights=per_row[counted], minlength=width
                )
                domain_counts = np.where(candidate, domain_counts, 0)
                counts = np.where(node_codes >= 0, domain_counts[np.maximum(node_codes, 0)], 0)
            weight = math.log(size + 2)
            total += np.where(node_codes >= 0, counts * weight + (c.max_skew - 1), 0.0)
        self._ignored_nodes = ignored  # for normalize, which sees only the scores
        scores = np.floor(total + 0.5).astype(np.int64)  # math.Round (non-negative)
        scores[ignored] = 0
        return scores

    def normalize(self, scores: IntArray) -> IntArray:
        ignored = getattr(self, "_ignored_nodes", None)
        considered = (
            ~ignored
            if ignored is not None and len(ignored) == len(scores)
            else (np.ones(len(scores), dtype=np.bool_))
        )
        if not considered.any():
            return np.zeros(len(scores), dtype=np.int64)
        low, high = int(scores[considered].min()), int(scores[considered].max())
        if high == 0:
            return np.where(considered, MAX_NODE_SCORE, 0).astype(np.int64)
        normalized = MAX_NODE_SCORE * (high + low - scores) // high
        return np.where(considered, normalized, 0).astype(np.int64)
