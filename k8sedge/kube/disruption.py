"""PodDisruptionBudgets: the disruption controller's status (``pkg/controller/disruption``)
and the eviction subresource's check (``pkg/registry/core/pod/storage/eviction.go``).

``currentHealthy`` counts the selected pods that are ready and not being deleted (nor
already approved for eviction); ``desiredHealthy`` comes from ``minAvailable`` or
``maxUnavailable`` (a percentage of, or subtracted from, the scale of the pods'
controllers); ``disruptionsAllowed`` is the difference. The scheduler's preemption reads
the same status to put victims that would violate a budget last, as DefaultPreemption does.
"""

from __future__ import annotations

from typing import Any

from ..errors import ForbiddenError, K8sEdgeError, RateLimitedError
from .controllers import PLURAL_OF_KIND, Context
from .events import NORMAL, WARNING
from .podutil import (
    controller_ref,
    epoch,
    is_ready,
    scaled_value,
    selector_empty,
    selector_matches,
    timestamp,
)
from .replicasets import update_status
from .store import copy_object

__all__ = ["TooManyRequestsError", "budgets_for", "check_eviction", "sync"]

COMPONENT = "controllermanager"
DELETION_TIMEOUT = 120.0  # an approved eviction not carried out by then is forgotten
MAX_DISRUPTED_PODS = 2000
_SCALABLE = ("ReplicationController", "ReplicaSet", "StatefulSet", "Deployment")


class TooManyRequestsError(RateLimitedError):
    """429 ``TooManyRequests``: the eviction would violate a disruption budget."""


def budgets_for(pod: dict[str, Any], budgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The budgets of ``pod``'s namespace whose (non-empty) selector matches it."""
    labels = pod["metadata"].get("labels") or {}
    namespace = pod["metadata"].get("namespace")
    return [
        b
        for b in budgets
        if b["metadata"].get("namespace") == namespace
        and not selector_empty((b.get("spec") or {}).get("selector"))
        and selector_matches(b["spec"]["selector"], labels)
    ]


def _expected_scale(
    ctx: Context, pdb: dict[str, Any], pods: list[dict[str, Any]]
) -> tuple[int | None, list[str]]:
    """``getExpectedScale``: the summed scale of the pods' controllers (None if one is not
    scalable), and the names of pods without a controller."""
    seen: dict[str, int] = {}
    unmanaged = []
    for pod in pods:
        ref = controller_ref(pod)
        if ref is None:
            unmanaged.append(pod["metadata"]["name"])
            continue
        kind, namespace = str(ref.get("kind")), pod["metadata"]["namespace"]
        if kind not in _SCALABLE:
            return None, unmanaged
        owner = ctx.writer.find(PLURAL_OF_KIND.get(kind, ""), str(ref.get("name")), namespace)
        if kind == "ReplicaSet" and owner is not None:
            parent = controller_ref(owner)
            if parent is not None and parent.get("kind") == "Deployment":
                deployment = ctx.writer.find("deployments", str(parent.get("name")), namespace)
                if deployment is not None:
                    owner = deployment
        if owner is None:
            return None, unmanaged
        seen[owner["metadata"]["uid"]] = int((owner.get("spec") or {}).get("replicas", 1))
    return sum(seen.values()), unmanaged


def sync(ctx: Context, namespace: str | None, name: str) -> None:
    pdb = ctx.writer.find("poddisruptionbudgets", name, namespace)
    if pdb is None:
        return
    spec = pdb.get("spec") or {}
    now = ctx.now
    selector = spec.get("selector")
    pods = []
    if not selector_empty(selector):
        pods = [
            p
            for p in ctx.writer.items("pods", namespace)
            if selector_matches(selector, p["metadata"].get("labels") or {})
        ]
    if not pods:
        ctx.record(pdb, NORMAL, "NoPods", "No matching pods found", COMPONENT)
    previous = pdb.get("status") or {}
    disrupted: dict[str, str] = {}
    names = {p["metadata"]["name"]: p for p in pods}
    for pod_name, when in (previous.get("disruptedPods") or {}).items():
        pod = names.get(pod_name)
        since = epoch(when) or now
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            continue  # carried out: the pod went
        if since + DELETION_TIMEOUT <= now:
            continue  # never carried out: forget it
        disrupted[pod_name] = str(when)
        ctx.at(since + DELETION_TIMEOUT, ("poddisruptionbudgets", namespace, name))
    healthy = sum(
        1
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
        and p["metadata"]["name"] not in disrupted
        and is_ready(p)
    )
    failure = None
    try:
        expected, desired = _desired(ctx, pdb, pods)
    except (ValueError, TypeError) as exc:
        failure = str(exc)
        expected, desired = len(pods), 0
    if expected is None:
        failure = "found no controllers for pods of this budget"
        expected, desired = len(pods), 0
    allowed = max(0, healthy - desired) if expected > 0 and failure is None else 0
    status: dict[str, Any] = {
        "observedGeneration": pdb["metadata"].get("generation", 1),
        "disruptionsAllowed": allowed,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
    }
    if disrupted:
        status["disruptedPods"] = disrupted
    if failure is not None:
        ctx.record(pdb, WARNING, "CalculateExpectedPodCountFailed", failure, COMPONENT)
        condition = ("False", "SyncFailed", failure)
    elif allowed > 0:
        condition = ("True", "SufficientPods", "")
    else:
        condition = ("False", "InsufficientPods", "")
    status["conditions"] = [_condition(previous, condition, pdb, now)]
    update_status(ctx, "poddisruptionbudgets", pdb, status)


def _condition(
    previous: dict[str, Any], value: tuple[str, str, str], pdb: dict[str, Any], now: float
) -> dict[str, Any]:
    status, reason, message = value
    old = next(
        (c for c in previous.get("conditions") or () if c.get("type") == "DisruptionAllowed"), None
    )
    transition = timestamp(now)
    if old is not None and old.get("status") == status:
        transition = str(old.get("lastTransitionTime"))
    return {
        "type": "DisruptionAllowed",
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": pdb["metadata"].get("generation", 1),
        "lastTransitionTime": transition,
    }


def _desired(
    ctx: Context, pdb: dict[str, Any], pods: list[dict[str, Any]]
) -> tuple[int | None, int]:
    """``getExpectedPodCount``: (expected pods, desired healthy)."""
    spec = pdb.get("spec") or {}
    if spec.get("maxUnavailable") is not None:
        expected, unmanaged = _expected_scale(ctx, pdb, pods)
        _warn_unmanaged(ctx, pdb, unmanaged)
        if expected is None:
            return None, 0
        unavailable = scaled_value(spec["maxUnavailable"], expected, True)
        return expected, max(0, expected - unavailable)
    minimum = spec.get("minAvailable")
    if minimum is None:
        return len(pods), 0
    if isinstance(minimum, int) and not isinstance(minimum, bool):
        return len(pods), minimum
    expected, unmanaged = _expected_scale(ctx, pdb, pods)
    _warn_unmanaged(ctx, pdb, unmanaged)
    if expected is None:
        return None, 0
    return expected, scaled_value(minimum, expected, True)


def _warn_unmanaged(ctx: Context, pdb: dict[str, Any], unmanaged: list[str]) -> None:
    if unmanaged:
        selector = (pdb.get("spec") or {}).get("selector")
        ctx.record(
            pdb,
            WARNING,
            "UnmanagedPods",
            f"Pods selected by this PodDisruptionBudget (selector: {selector}) were found to be "
            "unmanaged. As a result, the status of the PDB cannot be calculated correctly, which "
            'may result in undefined behavior. To account for these pods please set ".spec.'
            'minAvailable" field of the PDB to an integer value.',
            COMPONENT,
        )


def check_eviction(
    pod: dict[str, Any], budgets: list[dict[str, Any]], now: float
) -> tuple[dict[str, Any] | None, bool]:
    """What evicting ``pod`` takes: the budget to charge (its status after the eviction; None
    if none), and whether the delete must carry the pod's resourceVersion as a
    precondition. Raises 429 ``TooManyRequests`` (or 403, 500) as the API server does."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed", "Pending") or pod["metadata"].get(
        "deletionTimestamp"
    ):
        return None, False  # a terminal or pending pod disrupts nothing
    matching = budgets_for(pod, budgets)
    if len(matching) > 1:
        raise K8sEdgeError(
            "This pod has more than one PodDisruptionBudget, which the eviction subresource "
            "does not support.",
            {"reason": "InternalError"},
        )
    if not matching:
        return None, True
    pdb = matching[0]
    pdb_status = pdb.get("status") or {}
    name = pdb["metadata"]["name"]
    policy = (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") or "IfHealthyBudget"
    if not is_ready(pod):
        if policy == "AlwaysAllow":
            return None, True
        current = int(pdb_status.get("currentHealthy") or 0)
        desired = int(pdb_status.get("desiredHealthy") or 0)
        if current >= desired and desired > 0:
            return None, True
    if int(pdb_status.get("observedGeneration") or 0) < int(pdb["metadata"].get("generation", 1)):
        raise TooManyRequestsError(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            {
                "reason": "TooManyRequests",
                "retryAfterSeconds": 10,
                "causes": [
                    {
                        "reason": "DisruptionBudget",
                        "message": f"The disruption budget {name} is still being processed by "
                        "the server.",
                    }
                ],
            },
        )
    allowed = int(pdb_status.get("disruptionsAllowed") or 0)
    if allowed < 0:
        raise ForbiddenError(
            f'poddisruptionbudgets.policy "{name}" is forbidden: pdb disruptions allowed is '
            "negative",
            {"reason": "Forbidden", "name": name, "kind": "poddisruptionbudgets"},
        )
    if len(pdb_status.get("disruptedPods") or {}) > MAX_DISRUPTED_PODS:
        raise ForbiddenError(
            f'poddisruptionbudgets.policy "{name}" is forbidden: DisruptedPods map too big - '
            "too many evictions not confirmed by PDB controller",
            {"reason": "Forbidden", "name": name, "kind": "poddisruptionbudgets"},
        )
    if allowed == 0:
        raise TooManyRequestsError(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            {
                "reason": "TooManyRequests",
                "causes": [
                    {
                        "reason": "DisruptionBudget",
                        "message": f"The disruption budget {name} needs "
                        f"{int(pdb_status.get('desiredHealthy') or 0)} healthy pods and has "
                        f"{int(pdb_status.get('currentHealthy') or 0)} currently",
                    }
                ],
            },
        )
    charged = copy_object(pdb)
    charged_status = charged.setdefault("status", {})
    charged_status["disruptionsAllowed"] = allowed - 1
    if allowed - 1 == 0:
        charged_status["conditions"] = [
            {
                **next(
                    (
                        c
                        for c in charged_status.get("conditions") or ()
                        if c.get("type") == "DisruptionAllowed"
                    ),
                    {"type": "DisruptionAllowed"},
                ),
                "status": "False",
                "reason": "InsufficientPods",
                "message": "",
                "lastTransitionTime": timestamp(now),
            }
        ]
    charged_status.setdefault("disruptedPods", {})[pod["metadata"]["name"]] = timestamp(now)
    return charged, True
