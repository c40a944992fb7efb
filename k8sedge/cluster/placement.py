"""From an edge workload's spec to the pod the scheduler engine places.

Constraints become one required node-selector term (requirements ANDed); the
placement strategy becomes a preferred term (``edge-first``, ``cloud-first``) or a
required one (``edge-only``, ``cloud-only``) on the ``k8sedge.io/tier`` label — a node
is a cloud node when that label is ``cloud`` and an edge node otherwise; deploying to
named nodes adds one ``metadata.name`` field term per node, ORed, as Kubernetes does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..engine import NodeSelectorRequirement, NodeSelectorTerm, PodRequest, PreferredTerm
from ..engine.types import LabelSelector
from ..errors import BadRequestError
from ..models.edge import (
    Operator,
    Placement,
    PlacementStrategy,
    ResourceRequirements,
    WorkloadSpec,
)
from ..quantity import Quantity
from .nodes import EDGE_TIER_LABEL, node_allocatable

__all__ = ["WORKLOAD_LABEL", "pod_requests", "pod_template", "validate_placement", "validate_spec"]

WORKLOAD_LABEL = "k8sedge.io/workload"

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CLOUD = (EDGE_TIER_LABEL, "In", ("cloud",))
_EDGE = (EDGE_TIER_LABEL, "NotIn", ("cloud",))


def _bad(field: str, message: str) -> BadRequestError:
    return BadRequestError(f"{field}: {message}", {field: message})


def _validate_dns_name(field: str, value: str) -> None:
    if not value or len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise _bad(field, "must be a lowercase RFC 1123 name such as 'web-app'")


def validate_resources(resources: ResourceRequirements, field: str = "resources") -> None:
    for kind in ("requests", "limits"):
        for name, quantity in getattr(resources, kind).items():
            if quantity.value < 0:
                raise _bad(f"{field}.{kind}.{name}", "must not be negative")
    for name, request in resources.requests.items():
        limit = resources.limits.get(name)
        if limit is not None and request > limit:
            raise _bad(
                f"{field}.requests.{name}", f"must be less than or equal to the limit {limit}"
            )


def validate_placement(placement: Placement, field: str = "placement") -> None:
    for i, constraint in enumerate(placement.constraints):
        path = f"{field}.constraints[{i}]"
        if not constraint.key:
            raise _bad(f"{path}.key", "must not be empty")
        op, values = constraint.operator, constraint.values
        if op in (Operator.IN, Operator.NOT_IN) and not values:
            raise _bad(f"{path}.values", f"must be non-empty when operator is {op}")
        if op in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and values:
            raise _bad(f"{path}.values", f"must be empty when operator is {op}")
        if op in (Operator.GT, Operator.LT):
            if len(values) != 1:
                raise _bad(f"{path}.values", f"must have a single element when operator is {op}")
            try:
                int(values[0])
            except ValueError:
                raise _bad(f"{path}.values[0]", "must be an integer") from None


def validate_spec(spec: WorkloadSpec) -> None:
    _validate_dns_name("name", spec.name)
    _validate_dns_name("namespace", spec.namespace)
    if not spec.image.strip():
        raise _bad("image", "must not be empty")
    if spec.replicas < 0:
        raise _bad("replicas", "must not be negative")
    validate_resources(spec.resources)
    validate_placement(spec.placement)


def pod_requests(resources: ResourceRequirements) -> dict[str, int]:
    """Scheduling requests in engine units; a missing request defaults to its limit."""
    merged: dict[str, Quantity] = dict(resources.limits)
    merged.update(resources.requests)
    return {k: v for k, v in node_allocatable(merged).items() if v}


def pod_template(
    name: str,
    namespace: str,
    resources: ResourceRequirements,
    placement: Placement,
    target_nodes: Sequence[str] | None = None,
    image: str = "",
) -> PodRequest:
    """The pod the scheduler places for one replica."""
    expressions = [
        NodeSelectorRequirement(c.key, str(c.operator), tuple(c.values))
        for c in placement.constraints
    ]
    preferred: tuple[PreferredTerm, ...] = ()
    strategy = placement.strategy
    if strategy is PlacementStrategy.EDGE_ONLY:
        expressions.append(NodeSelectorRequirement(*_EDGE))
    elif strategy is PlacementStrategy.CLOUD_ONLY:
        expressions.append(NodeSelectorRequirement(*_CLOUD))
    elif strategy in (PlacementStrategy.EDGE_FIRST, PlacementStrategy.CLOUD_FIRST):
        tier = _EDGE if strategy is PlacementStrategy.EDGE_FIRST else _CLOUD
        term = NodeSelectorTerm(match_expressions=(NodeSelectorRequirement(*tier),))
        preferred = (PreferredTerm(100, term),)
    required: tuple[NodeSelectorTerm, ...] | None = None
    if target_nodes is not None:
        required = tuple(
            NodeSelectorTerm(
                match_expressions=tuple(expressions),
                match_fields=(NodeSelectorRequirement("metadata.name", "In", (node,)),),
            )
            for node in target_nodes
        )
    elif expressions:
        required = (NodeSelectorTerm(match_expressions=tuple(expressions)),)
    labels = {WORKLOAD_LABEL: name}
    return PodRequest(
        name=name,
        namespace=namespace,
        requests=pod_requests(resources),
        required_terms=required,
        preferred_terms=preferred,
        labels=labels,
        images=(image,) if image else (),
        # a workload's replicas are spread like a Deployment's (system default constraints)
        default_spread_selector=LabelSelector(match_labels=tuple(labels.items())),
    )
