"""What the engine schedules: a pod's scheduling-relevant spec, taints and tolerations."""

from __future__ import annotations

import enum

from attrs import field, frozen

__all__ = [
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "PodRequest",
    "PreferredTerm",
    "Taint",
    "TaintEffect",
    "Toleration",
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
    scheduler_name: str = "default-scheduler"
