"""InterPodAffinity and PodTopologySpread, vectorised over nodes and placed pods.

Both count placed pods matching a label selector per topology domain: the pod index gives
the matching pods as a mask, their nodes' topology labels give the domains, and the
domain of every candidate node is one lookup in the node table's label codes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from .plugins import MAX_NODE_SCORE, FilterFailure, IntArray, Plugin, Rows, _any_term
from .table import NodeTable
from .types import LabelSelector, PodAffinityTerm, PodRequest, TopologySpreadConstraint

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

    def _namespaces(self, term: PodAffinityTerm, own: str) -> list[str] | None:
        """The namespaces a term selects (None: every namespace)."""
        if term.namespace_selector is not None:
            selector = term.namespace_selector
            if not selector.match_labels and not selector.match_expressions:
                return None
            pods = self.state.pods
            names = [
                ns
                for ns in pods.namespace.index
                if selector.matches(self.state.namespace_labels(ns))
            ]
            return sorted(set(names) | set(term.namespaces))
        return list(term.namespaces) or [own]

    def _domains_with_match(
        self, term: PodAffinityTerm, own_namespace: str
    ) -> tuple[set[int], int]:
        """Topology codes (of ``term.topology_key``) of nodes holding a matching pod."""
        pods = self.state.pods
        mask = pods.matching(term.selector, self._namespaces(term, own_namespace))
        matched = int(mask.sum())
        if not matched:
            return set(), 0
        _, codes = self.state.table.label_codes(term.topology_key)
        domains = codes[pods.row[: pods.size][mask]]
        return {int(d) for d in np.unique(domains) if d >= 0}, matched

    @staticmethod
    def _self_matches(pod: PodRequest, term: PodAffinityTerm) -> bool:
        return (
            term.selector is not None
            and term.selector.matches(pod.labels)
            and (not term.namespaces or pod.namespace in term.namespaces)
        )

    # -- filter ------------------------------------------------------------------------------

    def skip_filter(self, pod: PodRequest) -> bool:
        return not pod.affinity and not pod.anti_affinity and not self.state.pods.with_anti_affinity

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        affinity_fail = np.zeros(len(rows), dtype=np.bool_)
        if pod.affinity:
            matches = [self._domains_with_match(t, pod.namespace) for t in pod.affinity]
            nobody = all(count == 0 for _, count in matches)
            if nobody and all(self._self_matches(pod, t) for t in pod.affinity):
                # the first pod of a group that wants to be together: any node with the keys
                for term in pod.affinity:
                    _, codes = table.label_codes(term.topology_key)
                    affinity_fail |= codes[rows] < 0
            else:
                for term, (domains, _) in zip(pod.affinity, matches, strict=True):
                    _, codes = table.label_codes(term.topology_key)
                    affinity_fail |= ~np.isin(codes[rows], list(domains))
        anti_fail = np.zeros(len(rows), dtype=np.bool_)
        for term in pod.anti_affinity:
            domains, _ = self._domains_with_match(term, pod.namespace)
            if domains:
                _, codes = table.label_codes(term.topology_key)
                anti_fail |= np.isin(codes[rows], list(domains))
        existing_fail = np.zeros(len(rows), dtype=np.bool_)
        pods = self.state.pods
        for slot in pods.with_anti_affinity:
            other = pods.pods[slot]
            if other is None:
                continue
            node_row = int(pods.row[slot])
            for term in other.anti_affinity:
                namespaces = self._namespaces(term, other.namespace)
                if term.selector is None or not term.selector.matches(pod.labels):
                    continue
                if namespaces is not None and pod.namespace not in namespaces:
                    continue
                _, codes = table.label_codes(term.topology_key)
                domain = codes[node_row]
                if domain >= 0:
                    existing_fail |= codes[rows] == domain
        return [
            (affinity_fail, AFFINITY_MISMATCH),
            (anti_fail & ~affinity_fail, ANTI_AFFINITY_MISMATCH),
            (existing_fail & ~affinity_fail & ~anti_fail, EXISTING_ANTI_AFFINITY),
        ]

    # -- score -------------------------------------------------------------------------------

    def skip_score(self, pod: PodRequest) -> bool:
        return (
            not pod.preferred_affinity
            and not pod.preferred_anti_affinity
            and not (self.state.pods.with_affinity_terms)
        )

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        scores = np.zeros(len(rows), dtype=np.int64)

        def credit(term: PodAffinityTerm, domain_rows: Iterable[int], weight: int) -> None:
            _, codes = table.label_codes(term.topology_key)
            for node_row in domain_rows:
                domain = codes[node_row]
                if domain >= 0:
                    scores[codes[rows] == domain] += weight

        pods = self.state.pods
        for sign, terms in ((1, pod.preferred_affinity), (-1, pod.preferred_anti_affinity)):
            for weighted in terms:
                mask = pods.matching(
                    weighted.term.selector, self._namespaces(weighted.term, pod.namespace)
                )
                column, codes = table.label_codes(weighted.term.topology_key)
                matched = codes[pods.row[: pods.size][mask]]
                counts = np.bincount(matched[matched >= 0], minlength=max(1, len(column.values)))
                node_codes = codes[rows]
                per_node = np.where(node_codes >= 0, counts[np.maximum(node_codes, 0)], 0)
                scores += sign * weighted.weight * per_node
        hard_weight = int(self.args.get("hardPodAffinityWeight", 1))
        for slot in pods.with_affinity_terms:
            other = pods.pods[slot]
            if other is None:
                continue
            node_row = int(pods.row[slot])
            for term in other.affinity:
                if hard_weight and self._matches_incoming(term, other, pod):
                    credit(term, [node_row], hard_weight)
            for weighted in other.preferred_affinity:
                if self._matches_incoming(weighted.term, other, pod):
                    credit(weighted.term, [node_row], weighted.weight)
            for weighted in other.preferred_anti_affinity:
                if self._matches_incoming(weighted.term, other, pod):
                    credit(weighted.term, [node_row], -weighted.weight)
        return scores

    def _matches_incoming(self, term: PodAffinityTerm, owner: PodRequest, pod: PodRequest) -> bool:
        namespaces = self._namespaces(term, owner.namespace)
        return (
            term.selector is not None
            and term.selector.matches(pod.labels)
            and (namespaces is None or pod.namespace in namespaces)
        )

    def normalize(self, scores: IntArray) -> IntArray:
        if not len(scores):
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


class PodTopologySpread(Plugin):
    name = "PodTopologySpread"

    def _constraints(self, pod: PodRequest, mode: str) -> tuple[TopologySpreadConstraint, ...]:
        if pod.spread:
            return tuple(c for c in pod.spread if c.when_unsatisfiable == mode)
        if (
            mode == "ScheduleAnyway"
            and pod.default_spread_selector is not None
            and (self.args.get("defaultingType", "System") == "System")
        ):
            return _system_constraints(pod.default_spread_selector)
        return ()

    def _selector(self, pod: PodRequest, c: TopologySpreadConstraint) -> LabelSelector | None:
        if c.selector is None or not c.match_label_keys:
            return c.selector
        extra = tuple((k, pod.labels[k]) for k in c.match_label_keys if k in pod.labels)
        return LabelSelector(
            match_labels=c.selector.match_labels + extra,
            match_expressions=c.selector.match_expressions,
        )

    def _eligible(
        self, pod: PodRequest, c: TopologySpreadConstraint, table: NodeTable, rows: Rows
    ) -> BoolArray:
        """Nodes whose pods count: those matching the pod's node affinity (policy Honor)."""
        eligible = np.ones(len(rows), dtype=np.bool_)
        if c.node_affinity_policy == "Honor":
            from .plugins import _requirement_mask
            from .types import NodeSelectorRequirement

            for key, value in pod.node_selector.items():
                eligible &= _requirement_mask(
                    NodeSelectorRequirement(key, "In", (value,)), table, rows
                )
            if pod.required_terms is not None:
                eligible &= _any_term(pod.required_terms, table, rows)
        if c.node_taints_policy == "Honor":
            has = table.has_taints[rows]
            eligible &= ~has  # approximation: tainted nodes do not count
        return eligible

    def _counts(
        self, pod: PodRequest, c: TopologySpreadConstraint, table: NodeTable
    ) -> npt.NDArray[np.int64]:
        """Matching pods per node row (over every row of the table)."""
        pods = self.state.pods
        mask = pods.matching(self._selector(pod, c), [pod.namespace])
        return pods.count_per_row(mask, table.size)

    # -- filter ------------------------------------------------------------------------------

    def skip_filter(self, pod: PodRequest) -> bool:
        return not self._constraints(pod, "DoNotSchedule")

    def filter(self, pod: PodRequest, table: NodeTable, rows: Rows) -> list[FilterFailure]:
        missing = np.zeros(len(rows), dtype=np.bool_)
        skewed = np.zeros(len(rows), dtype=np.bool_)
        all_rows = table.live_rows()
        for c in self._constraints(pod, "DoNotSchedule"):
            column, codes = table.label_codes(c.topology_key)
            per_row = self._counts(pod, c, table)
            eligible = all_rows[self._eligible(pod, c, table, all_rows) & (codes[all_rows] >= 0)]
            width = max(1, len(column.values))
            domain_counts = np.bincount(
                codes[eligible], weights=per_row[eligible], minlength=width
            ).astype(np.int64)
            present = np.zeros(width, dtype=np.bool_)
            present[codes[eligible]] = True
            domains = int(present.sum())
            min_match = int(domain_counts[present].min()) if domains else 0
            if c.min_domains is not None and domains < c.min_domains:
                min_match = 0
            selector = self._selector(pod, c)
            self_match = 1 if selector is not None and selector.matches(pod.labels) else 0
            node_codes = codes[rows]
            missing |= node_codes < 0
            counts = np.where(node_codes >= 0, domain_counts[np.maximum(node_codes, 0)], 0)
            skewed |= (node_codes >= 0) & (counts + self_match - min_match > c.max_skew)
        return [(missing, SPREAD_MISSING_LABEL), (skewed & ~missing, SPREAD_MISMATCH)]

    # -- score -------------------------------------------------------------------------------

    def skip_score(self, pod: PodRequest) -> bool:
        return not self._constraints(pod, "ScheduleAnyway")

    def _ignored(self, pod: PodRequest, table: NodeTable, rows: Rows) -> BoolArray:
        constraints = self._constraints(pod, "ScheduleAnyway")
        if not pod.spread:  # system defaults do not require every topology key
            return np.zeros(len(rows), dtype=np.bool_)
        ignored = np.zeros(len(rows), dtype=np.bool_)
        for c in constraints:
            ignored |= table.label_codes(c.topology_key)[1][rows] < 0
        return ignored

    def score(self, pod: PodRequest, table: NodeTable, rows: Rows) -> IntArray:
        ignored = self._ignored(pod, table, rows)
        considered = rows[~ignored]
        total = np.zeros(len(rows), dtype=np.float64)
        for c in self._constraints(pod, "ScheduleAnyway"):
            column, codes = table.label_codes(c.topology_key)
            per_row = self._counts(pod, c, table)
            node_codes = codes[rows]
            if c.topology_key == HOSTNAME:
                size = len(considered)
                counts = per_row[rows]
            else:
                eligible = considered[self._eligible(pod, c, table, considered)]
                eligible = eligible[codes[eligible] >= 0]
                size = len(np.unique(codes[eligible]))
                # pods counted on every eligible node of the domain
                all_rows = table.live_rows()
                counted = all_rows[self._eligible(pod, c, table, all_rows) & (codes[all_rows] >= 0)]
                domain_counts = np.bincount(
                    codes[counted], weights=per_row[counted], minlength=max(1, len(column.values))
                )
                counts = np.where(node_codes >= 0, domain_counts[np.maximum(node_codes, 0)], 0)
            weight = math.log(size + 2)
            total += np.where(node_codes >= 0, counts * weight + (c.max_skew - 1), 0.0)
        self._ignored_nodes = ignored  # for normalize, which sees only the scores
        scores = np.rint(total).astype(np.int64)
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
