"""Helpers the controllers share: owner references, pod states, template hashes and
int-or-percent values, as upstream's ``controller``, ``podutil`` and ``intstr`` packages
define them."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import orjson

from ..timeutil import to_datetime
from .store import copy_object

__all__ = [
    "RUN_SECONDS",
    "controller_ref",
    "epoch",
    "is_active",
    "is_available",
    "is_ready",
    "new_pod",
    "owned_by",
    "owner_ref",
    "ready_since",
    "safe_encode",
    "scaled_value",
    "selector_empty",
    "selector_matches",
    "semantic",
    "template_hash",
    "timestamp",
]

# per-pod override of how long a pod of a Job (or any run-to-completion pod) runs, in seconds
RUN_SECONDS = "k8sedge.io/run-seconds"
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


def timestamp(when: float) -> str:
    """RFC 3339 seconds, as ``metav1.Time`` serialises."""
    return to_datetime(int(when)).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(value: Any) -> float | None:
    """Epoch seconds of an RFC 3339 timestamp, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def owner_ref(owner: dict[str, Any], *, controller: bool = True) -> dict[str, Any]:
    """An ``ownerReference`` to ``owner`` (``metav1.NewControllerRef``)."""
    return {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner.get("kind", ""),
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"].get("uid", ""),
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def controller_ref(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The owner reference marked ``controller``, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def owned_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    """Whether ``owner`` is ``obj``'s controller."""
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == owner["metadata"].get("uid")


def is_active(pod: dict[str, Any]) -> bool:
    """``controller.IsPodActive``: not finished and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def ready_since(pod: dict[str, Any]) -> float | None:
    """When the pod's Ready condition turned True (None if it is not ready)."""
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            if condition.get("status") != "True":
                return None
            return epoch(condition.get("lastTransitionTime")) or 0.0
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    """``podutil.IsPodReady``."""
    return ready_since(pod) is not None


def is_available(pod: dict[str, Any], min_ready_seconds: int, now: float) -> bool:
    """``podutil.IsPodAvailable``: ready for at least ``minReadySeconds``."""
    since = ready_since(pod)
    return since is not None and (min_ready_seconds <= 0 or since + min_ready_seconds <= now)


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``."""
    if isinstance(value, bool):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        share = int(value[:-1]) * total / 100
        return math.ceil(share) if round_up else math.floor(share)
    if isinstance(value, str) and value.isdigit():
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    raise ValueError(f"invalid value for IntOrString: {value!r}")


def semantic(value: Any) -> Any:
    """``value`` without nulls and empty objects or arrays: two templates equal after this
    are equal as ``apiequality.Semantic.DeepEqual`` compares them (nil, empty and absent
    are one), whether a client sent ``creationTimestamp: null`` and ``resources: {}`` or
    left them out."""
    if isinstance(value, dict):
        cleaned = {k: semantic(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [semantic(v) for v in value]
    return value


def selector_empty(selector: Any) -> bool:
    """A nil or empty ``LabelSelector`` (which selects nothing for a disruption budget)."""
    return not isinstance(selector, dict) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    )


def selector_matches(selector: Any, labels: dict[str, Any]) -> bool:
    """Whether a ``LabelSelector`` (an object; an empty one selects everything) matches."""
    from .translate import label_selector

    if not isinstance(selector, dict):
        return False
    try:
        parsed = label_selector(selector)
    except (AttributeError, TypeError, ValueError):
        return False  # an invalid selector matches nothing
    return parsed is None or parsed.matches({str(k): str(v) for k, v in labels.items()})


def safe_encode(text: str) -> str:
    """``rand.SafeEncodeString``: no vowels, no look-alikes (used in generated names)."""
    return "".join(_ALPHANUMS[ord(c) % len(_ALPHANUMS)] for c in text)


def template_hash(template: dict[str, Any], collisions: int = 0) -> str:
    """``controller.ComputeHash``: FNV-32a of the template (and the collision count), safely
    encoded, as the ``pod-template-hash`` / ``controller-revision-hash`` labels show it."""
    data = orjson.dumps(semantic(template), option=orjson.OPT_SORT_KEYS)
    if collisions:
        data += str(collisions).encode()
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return safe_encode(str(value))


def new_pod(
    template: dict[str, Any],
    owner: dict[str, Any],
    *,
    name: str | None = None,
    generate_name: str | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A pod from a controller's template (``GetPodFromTemplate``)."""
    pod = copy_object(template)
    meta = pod.setdefault("metadata", {})
    meta.pop("name", None)
    if name is not None:
        meta["name"] = name
    elif generate_name is not None:
        meta["generateName"] = generate_name
    meta["namespace"] = owner["metadata"]["namespace"]
    if labels:
        meta["labels"] = {**(meta.get("labels") or {}), **labels}
    meta["ownerReferences"] = [owner_ref(owner)]
    pod["apiVersion"], pod["kind"] = "v1", "Pod"
    pod.setdefault("spec", {})
    return pod
