"""From an edge workload's spec to the Pod its replicas are.

Constraints become one required node-selector term (requirements ANDed); the
placement strategy becomes a preferred term (``edge-first``, ``cloud-first``) or a
required one (``edge-only``, ``cloud-only``) on the ``k8sedge.io/tier`` label — a node
is a cloud node when that label is ``cloud`` and an edge node otherwise; deploying to
named nodes adds one ``metadata.name`` field term per node, ORed, as Kubernetes does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ...errors import BadRequestError
from .models import (
    Operator,
    Placement,
    PlacementStrategy,
    ResourceRequirements,
    WorkloadSpec,
)
from .nodemap import resource_names

__all__ = [
    "EDGE_TIER_LABEL",
    "WORKLOAD_LABEL",
    "pod_document",
    "validate_placement",
    "validate_replicas",
    "validate_resources",
    "validate_spec",
]

WORKLOAD_LABEL = "k8sedge.io/workload"
EDGE_TIER_LABEL = "k8sedge.io/tier"

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


def validate_replicas(replicas: int, field: str = "replicas") -> None:
    """0..2^31-1, as Kubernetes' int32 ``replicas`` (a server may cap it lower)."""
    if replicas < 0:
        raise _bad(field, "must not be negative")
    if replicas > 2**31 - 1:
        raise _bad(field, "must be at most 2147483647")


def validate_spec(spec: WorkloadSpec) -> None:
    _validate_dns_name("name", spec.name)
    _validate_dns_name("namespace", spec.namespace)
    if not spec.image.strip():
        raise _bad("image", "must not be empty")
    validate_replicas(spec.replicas)
    validate_resources(spec.resources)
    validate_placement(spec.placement)


def pod_document(
    *,
    workload_id: str,
    name: str,
    namespace: str,
    image: str,
    resources: ResourceRequirements,
    placement: Placement,
    target_nodes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The Pod template of a workload's replicas (every replica adds its name and revision).

    Its node affinity is the placement: constraints ANDed in one required term, the strategy
    a preferred (``edge-first``, ``cloud-first``) or required (``edge-only``, ``cloud-only``)
    expression on ``k8sedge.io/tier``, and deploying to named nodes one ``metadata.name``
    field term per node, ORed. The workload is the pod's controller, so PodTopologySpread's
    system default constraints spread its replicas, as for a Deployment's.
    """
    expressions = [
        {"key": c.key, "operator": str(c.operator), "values": list(c.values)}
        for c in placement.constraints
    ]
    for expression in expressions:
        if not expression["values"]:
            del expression["values"]
    affinity: dict[str, Any] = {}
    strategy = placement.strategy
    if strategy is PlacementStrategy.EDGE_ONLY:
        expressions.append(_tier(_EDGE))
    elif strategy is PlacementStrategy.CLOUD_ONLY:
        expressions.append(_tier(_CLOUD))
    elif strategy in (PlacementStrategy.EDGE_FIRST, PlacementStrategy.CLOUD_FIRST):
        tier = _EDGE if strategy is PlacementStrategy.EDGE_FIRST else _CLOUD
        affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": 100, "preference": {"matchExpressions": [_tier(tier)]}}
        ]
    terms: list[dict[str, Any]] | None = None
    if target_nodes is not None:
        terms = [
            {
                **({"matchExpressions": expressions} if expressions else {}),
                "matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}],
            }
            for node in target_nodes
        ]
    elif expressions:
        terms = [{"matchExpressions": expressions}]
    if terms is not None:
        affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": terms}
    container: dict[str, Any] = {"name": name, "image": image}
    requirements = {
        kind: {k: str(v) for k, v in resource_names(getattr(resources, kind)).items()}
        for kind in ("requests", "limits")
        if getattr(resources, kind)
    }
    if requirements:
        container["resources"] = requirements
    spec: dict[str, Any] = {"containers": [container]}
    if affinity:
        spec["affinity"] = {"nodeAffinity": affinity}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "namespace": namespace,
            "labels": {WORKLOAD_LABEL: name},
            "ownerReferences": [
                {
                    "apiVersion": "k8sedge.io/v1",
                    "kind": "Workload",
                    "name": name,
                    "uid": workload_id,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": spec,
    }


def _tier(requirement: tuple[str, str, tuple[str, ...]]) -> dict[str, Any]:
    key, operator, values = requirement
    return {"key": key, "operator": operator, "values": list(values)}
