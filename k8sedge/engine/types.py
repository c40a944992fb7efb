"""What the engine schedules: a pod's scheduling-relevant spec, taints and tolerations."""

from __future__ import annotations

import enum
from typing import Any

from attrs import field, frozen

__all__ = [
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "Budget",
    "LabelSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "PodAffinityTerm",
    "PodRequest",
    "PreferredTerm",
    "Taint",
    "TaintEffect",
    "Toleration",
    "TopologySpreadConstraint",
    "WeightedPodAffinityTerm",
]

# kube-scheduler's non-zero defaults for containers without requests (scoring only)
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


class TaintEffect(enum.StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


@frozen
class Taint:
    key: str
    value: str = ""
    effect: TaintEffect = TaintEffect.NO_SCHEDULE


@frozen(kw_only=True)
class Toleration:
    key: str = ""
    operator: str = "Equal"  # Equal | Exists
    value: str = ""
    effect: str = ""  # "" matches every effect

    def tolerates(self, taint: Taint) -> bool:
        """``ToleratesTaint`` from k8s.io/api/core/v1/toleration.go."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        if self.operator in ("Equal", ""):
            return self.value == taint.value
        return False


@frozen
class NodeSelectorRequirement:
    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist | Gt | Lt
    values: tuple[str, ...] = ()


@frozen(kw_only=True)
class NodeSelectorTerm:
    """Requirements ANDed together; an empty term matches no node."""

    match_expressions: tuple[NodeSelectorRequirement, ...] = ()
    match_fields: tuple[NodeSelectorRequirement, ...] = ()


@frozen
class PreferredTerm:
    weight: int
    term: NodeSelectorTerm


@frozen(kw_only=True)
class LabelSelector:
    """``matchLabels`` and ``matchExpressions`` (In, NotIn, Exists, DoesNotExist), ANDed."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[NodeSelectorRequirement, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        for req in self.match_expressions:
            present = req.key in labels
            if req.operator == "In" and labels.get(req.key) not in req.values:
                return False
            if req.operator == "NotIn" and present and labels[req.key] in req.values:
                return False
            if req.operator == "Exists" and not present:
                return False
            if req.operator == "DoesNotExist" and present:
                return False
        return True


@frozen(kw_only=True)
class PodAffinityTerm:
    selector: LabelSelector | None
    topology_key: str
    namespaces: tuple[str, ...] = ()  # empty with no namespace selector: the pod's own
    namespace_selector: LabelSelector | None = None


@frozen
class WeightedPodAffinityTerm:
    weight: int
    term: PodAffinityTerm


@frozen(kw_only=True)
class TopologySpreadConstraint:
    max_skew: int
    topology_key: str
    when_unsatisfiable: str  # DoNotSchedule | ScheduleAnyway
    selector: LabelSelector | None
    min_domains: int | None = None
    node_affinity_policy: str = "Honor"
    node_taints_policy: str = "Ignore"
    match_label_keys: tuple[str, ...] = ()


@frozen(kw_only=True)
class PodRequest:
    """The scheduling-relevant part of a pod.

    ``requests`` are in base units: ``cpu`` in millicores, ``memory`` and other
    resources as integers (bytes for memory and ephemeral-storage).
    ``required_terms`` is ``None`` when the pod has no required node affinity;
    the terms are ORed, as in Kubernetes.
    """

    name: str
    namespace: str = "default"
    requests: dict[str, int] = field(factory=dict)
    node_name: str | None = None
    node_selector: dict[str, str] = field(factory=dict)
    required_terms: tuple[NodeSelectorTerm, ...] | None = None
    preferred_terms: tuple[PreferredTerm, ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    priority: int = 0
    preemption_policy: str = "PreemptLowerPriority"
    scheduler_name: str = "default-scheduler"
    labels: dict[str, str] = field(factory=dict)
    host_ports: tuple[tuple[str, str, int], ...] = ()  # (protocol, hostIP, hostPort)
    images: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()  # PersistentVolumeClaim names, in the pod's namespace
    ephemeral_volumes: bool = False
    spread: tuple[TopologySpreadConstraint, ...] = ()
    default_spread_selector: LabelSelector | None = None  # for system default constraints
    affinity: tuple[PodAffinityTerm, ...] = ()
    anti_affinity: tuple[PodAffinityTerm, ...] = ()
    preferred_affinity: tuple[WeightedPodAffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[WeightedPodAffinityTerm, ...] = ()
    source: dict[str, Any] | None = field(default=None, eq=False, repr=False)  # the pod JSON
    # (cpu, memory) with kube-scheduler's per-container non-zero defaults; computed from
    # ``source`` on first use when not given (see ``engine.requests.nonzero_requests``)
    nonzero: tuple[int, int] | None = field(default=None, eq=False, repr=False)


@frozen(kw_only=True)
class Budget:
    """A PodDisruptionBudget as preemption reads it: its namespace, selector, how many
    disruptions its status allows, and the pods it already counts as disrupted."""

    namespace: str
    selector: LabelSelector | None
    disruptions_allowed: int
    disrupted: frozenset[str] = frozenset()
