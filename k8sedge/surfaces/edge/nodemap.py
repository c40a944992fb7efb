"""An edge node as a Kubernetes Node, and back: the one mapping every backend uses.

An edge node is a Node labelled ``k8sedge.io/edge=true`` and ``k8sedge.io/id=<id>`` (plus the
``kubernetes.io/hostname`` label a kubelet sets); its registration details are ``k8sedge.io/``
annotations; its resources are the Node's capacity and allocatable; liveness is the Ready
condition and the ``node.kubernetes.io/unreachable:NoSchedule`` taint, as the node lifecycle
controller writes them. A Node without those annotations (created with kubectl or through the
simulator) reads as an edge node too: its address from ``status.addresses``, its resources
from its capacity, its status from its conditions and ``spec.unschedulable``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from ...quantity import Quantity

__all__ = [
    "EDGE_LABEL",
    "HOSTNAME_LABEL",
    "ID_LABEL",
    "PREFIX",
    "SEQUENCE",
    "STATUS",
    "UNREACHABLE_TAINT",
    "USAGE",
    "EdgeFields",
    "edge_fields",
    "micro_time",
    "node_document",
    "resource_names",
    "with_liveness",
]

PREFIX = "k8sedge.io/"
EDGE_LABEL = f"{PREFIX}edge"
ID_LABEL = f"{PREFIX}id"
HOSTNAME_LABEL = "kubernetes.io/hostname"
ADDRESS, CAPABILITIES, RESOURCES = f"{PREFIX}address", f"{PREFIX}capabilities", f"{PREFIX}resources"
REGISTERED_AT, STATUS, USAGE = f"{PREFIX}registered-at", f"{PREFIX}status", f"{PREFIX}usage"
SEQUENCE = f"{PREFIX}sequence"
UNREACHABLE_TAINT = {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}
_SYSTEM_LABELS = (EDGE_LABEL, ID_LABEL)
# the edge API's resource names → Kubernetes resource names
_KUBE_NAMES = {"storage": "ephemeral-storage"}
_EDGE_NAMES = {v: k for k, v in _KUBE_NAMES.items()}


def resource_names(resources: Mapping[str, Any]) -> dict[str, Any]:
    """Edge resource names (``storage``) as Kubernetes resource names (``ephemeral-storage``)."""
    return {_KUBE_NAMES.get(k, k): v for k, v in resources.items()}


def micro_time(epoch: float) -> str:
    """A Kubernetes ``MicroTime`` (``2023-07-01T00:00:00.000000Z``)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seconds_time(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def node_document(
    *,
    node_id: str,
    name: str,
    address: str,
    capabilities: list[str],
    resources: Mapping[str, Quantity],
    labels: Mapping[str, str],
    registered_at: float,
    status: str,
    usage: Mapping[str, Quantity] | None = None,
) -> dict[str, Any]:
    """The Node a registered edge node is (without liveness: see ``with_liveness``)."""
    capacity = {k: str(v) for k, v in resource_names(resources).items()}
    capacity.setdefault("pods", "110")
    annotations = {
        ADDRESS: address,
        CAPABILITIES: orjson.dumps(capabilities).decode(),
        RESOURCES: orjson.dumps({k: str(v) for k, v in resources.items()}).decode(),
        REGISTERED_AT: repr(registered_at),
        STATUS: status,
    }
    if usage:
        annotations[USAGE] = orjson.dumps({k: str(v) for k, v in usage.items()}).decode()
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {**labels, HOSTNAME_LABEL: name, EDGE_LABEL: "true", ID_LABEL: node_id},
            "annotations": annotations,
        },
        "spec": {},
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "addresses": [{"type": "InternalIP", "address": address}],
        },
    }


def with_liveness(
    node: dict[str, Any], *, ready: bool | None, last_heartbeat: float | None, since: float
) -> dict[str, Any]:
    """Write the Ready condition and the unreachable taint as the node lifecycle controller
    does (``ready=None`` leaves a node's own conditions alone); returns ``node``."""
    if ready is None:
        return node
    spec = node.setdefault("spec", {})
    taints = [t for t in spec.get("taints") or () if t.get("key") != UNREACHABLE_TAINT["key"]]
    if not ready:
        taints.append(dict(UNREACHABLE_TAINT))
    if taints:
        spec["taints"] = taints
    else:
        spec.pop("taints", None)
    status = node.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or () if c.get("type") != "Ready"]
    beat = _seconds_time(last_heartbeat if last_heartbeat is not None else since)
    conditions.append(
        {
            "type": "Ready",
            "status": "True" if ready else "Unknown",
            "reason": "KubeletReady" if ready else "NodeStatusUnknown",
            "message": "kubelet is posting ready status"
            if ready
            else "Kubelet stopped posting node status.",
            "lastHeartbeatTime": beat,
            "lastTransitionTime": _seconds_time(since),
        }
    )
    status["conditions"] = conditions
    return node


class EdgeFields:
    """What the edge API reads from a Node document."""

    __slots__ = (
        "address",
        "capabilities",
        "labels",
        "name",
        "node_id",
        "ready",
        "registered",
        "registered_at",
        "resources",
        "status",
        "unschedulable",
        "usage",
    )

    def __init__(self, node: dict[str, Any]) -> None:
        metadata = node.get("metadata") or {}
        labels = dict(metadata.get("labels") or {})
        annotations = metadata.get("annotations") or {}
        spec = node.get("spec") or {}
        status = node.get("status") or {}
        self.name = str(metadata.get("name", ""))
        self.node_id = str(labels.get(ID_LABEL) or metadata.get("uid") or self.name)
        self.registered = ADDRESS in annotations or labels.get(EDGE_LABEL) == "true"
        self.address = str(annotations.get(ADDRESS) or _internal_ip(status) or "")
        self.capabilities = _json_list(annotations.get(CAPABILITIES))
        given = _json_quantities(annotations.get(RESOURCES))
        if given is None:
            capacity = status.get("capacity") or status.get("allocatable") or {}
            given = {}
            for key, value in capacity.items():
                if key == "pods":
                    continue
                with contextlib.suppress(Exception):
                    given[_EDGE_NAMES.get(key, key)] = Quantity.coerce(value)
        self.resources = given
        for key in _SYSTEM_LABELS:
            labels.pop(key, None)
        if labels.get(HOSTNAME_LABEL) == self.name:
            del labels[HOSTNAME_LABEL]
        self.labels = labels
        registered_at = annotations.get(REGISTERED_AT)
        try:
            self.registered_at = float(registered_at) if registered_at else None
        except ValueError:
            self.registered_at = None
        if self.registered_at is None:
            self.registered_at = _epoch(metadata.get("creationTimestamp"))
        self.status = annotations.get(STATUS) if isinstance(annotations.get(STATUS), str) else None
        self.usage = _json_quantities(annotations.get(USAGE)) or {}
        self.unschedulable = bool(spec.get("unschedulable"))
        self.ready: bool | None = None
        for condition in status.get("conditions") or ():
            if isinstance(condition, dict) and condition.get("type") == "Ready":
                self.ready = condition.get("status") == "True"


def edge_fields(node: dict[str, Any]) -> EdgeFields:
    """Read the edge view of a Node document."""
    return EdgeFields(node)


def _internal_ip(status: dict[str, Any]) -> str | None:
    for address in status.get("addresses") or ():
        if isinstance(address, dict) and address.get("type") == "InternalIP":
            return str(address.get("address") or "")
    return None


def _json_list(raw: Any) -> list[str]:
    if not isinstance(raw, str):
        return []
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _json_quantities(raw: Any) -> dict[str, Quantity] | None:
    if not isinstance(raw, str):
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    out: dict[str, Quantity] = {}
    for key, quantity in value.items():
        with contextlib.suppress(Exception):
            out[str(key)] = Quantity.coerce(quantity)
    return out
