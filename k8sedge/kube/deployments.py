"""The Deployment controller (``pkg/controller/deployment``): a ReplicaSet per pod template,
revisions, rolling updates paced by ``maxSurge``/``maxUnavailable`` and pod availability
(``minReadySeconds`` on the cluster's clock), ``Recreate``, ``paused``, proportional
scaling, the ``Available`` and ``Progressing`` conditions with upstream's reasons, the
progress deadline, and the revision history limit.

A rollback (``kubectl rollout undo``) writes an old ReplicaSet's template back into the
Deployment: that ReplicaSet is then the new one and takes the next revision, its previous
revisions kept in ``deployment.kubernetes.io/revision-history``, as upstream does.
"""

from __future__ import annotations

from typing import Any

from .controllers import Context
from .events import NORMAL
from .podutil import epoch, scaled_value, semantic, template_hash, timestamp
from .replicasets import claim, update_status
from .store import copy_object

__all__ = [
    "deployment_complete",
    "deployment_progressing",
    "deployment_timed_out",
    "max_surge",
    "max_unavailable",
    "new_rs_replicas",
    "resolve_fenceposts",
    "sync",
]

COMPONENT = "deployment-controller"
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
_NOT_COPIED = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}
_MAX_HISTORY_CHARS = 2000


def _spec(d: dict[str, Any]) -> dict[str, Any]:
    return d.get("spec") or {}


def _replicas(obj: dict[str, Any]) -> int:
    return int(_spec(obj).get("replicas", 1))


def _rolling(d: dict[str, Any]) -> bool:
    return ((_spec(d).get("strategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"


def resolve_fenceposts(surge: Any, unavailable: Any, desired: int) -> tuple[int, int]:
    """``ResolveFenceposts``: (surge, unavailable) for ``desired`` replicas (a missing value
    is 0; both zero means one unavailable); an invalid value is ``ValueError``."""
    up = scaled_value(surge, desired, True) if surge is not None else 0
    down = scaled_value(unavailable, desired, False) if unavailable is not None else 0
    if up == 0 and down == 0:
        down = 1
    return up, down


def _fenceposts(d: dict[str, Any]) -> tuple[int, int]:
    rolling = (_spec(d).get("strategy") or {}).get("rollingUpdate") or {}
    return resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), _replicas(d))


def max_surge(d: dict[str, Any]) -> int:
    """``deploymentutil.MaxSurge``."""
    return _fenceposts(d)[0] if _rolling(d) else 0


def max_unavailable(d: dict[str, Any]) -> int:
    """``deploymentutil.MaxUnavailable``."""
    if not _rolling(d) or _replicas(d) == 0:
        return 0
    return min(_fenceposts(d)[1], _replicas(d))


def _revision(rs: dict[str, Any]) -> int:
    value = (rs["metadata"].get("annotations") or {}).get(REVISION, "")
    return int(value) if str(value).isdigit() else 0


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = semantic(copy_object(template or {}))
    labels = (copied.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
        if not labels:
            copied["metadata"].pop("labels")
    if copied.get("metadata") == {}:
        copied.pop("metadata")
    return copied


def _status_replicas(rs: dict[str, Any] | None, field: str) -> int:
    return int(((rs or {}).get("status") or {}).get(field) or 0)


def _spec_replicas(rss: list[dict[str, Any]]) -> int:
    return sum(_replicas(rs) for rs in rss)


def _condition(status: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in status.get("conditions") or () if c.get("type") == kind), None)


def _set_condition(
    status: dict[str, Any], kind: str, value: str, reason: str, message: str, now: float
) -> None:
    """``SetDeploymentCondition``: the same status and reason is no change; the same
    status keeps its transition time."""
    current = _condition(status, kind)
    if current and current.get("status") == value and current.get("reason") == reason:
        return
    condition: dict[str, Any] = {
        "type": kind,
        "status": value,
        "lastUpdateTime": timestamp(now),
        "lastTransitionTime": timestamp(now),
        "reason": reason,
        "message": message,
    }
    if current and current.get("status") == value:
        condition["lastTransitionTime"] = current.get("lastTransitionTime")
    status["conditions"] = [c for c in status.get("conditions") or () if c.get("type") != kind] + [
        condition
    ]


def _remove_condition(status: dict[str, Any], kind: str) -> None:
    conditions = [c for c in status.get("conditions") or () if c.get("type") != kind]
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)


def new_rs_replicas(
    d: dict[str, Any], everything: list[dict[str, Any]], new: dict[str, Any]
) -> int:
    """``NewRSNewReplicas``: the new ReplicaSet's size this step (all of ``replicas`` at once
    for ``Recreate``; up to ``maxSurge`` above ``replicas`` in total for a rolling update)."""
    if not _rolling(d):
        return _replicas(d)
    current = _spec_replicas(everything)
    most = _replicas(d) + max_surge(d)
    if current >= most:
        return _replicas(new)
    return _replicas(new) + min(most - current, _replicas(d) - _replicas(new))


def deployment_complete(d: dict[str, Any], status: dict[str, Any]) -> bool:
    """``DeploymentComplete``: every replica updated and available, no old one left."""
    desired = _replicas(d)
    return bool(
        status.get("updatedReplicas", 0) == desired
        and status.get("replicas", 0) == desired
        and status.get("availableReplicas", 0) == desired
        and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 1)
    )


def deployment_progressing(d: dict[str, Any], status: dict[str, Any]) -> bool:
    """``DeploymentProgressing``: more updated, ready or available pods, or fewer old ones,
    than the Deployment's last status."""
    before = d.get("status") or {}

    def old_count(s: dict[str, Any]) -> int:
        return int(s.get("replicas", 0)) - int(s.get("updatedReplicas", 0))

    return bool(
        status.get("updatedReplicas", 0) > before.get("updatedReplicas", 0)
        or old_count(status) < old_count(before)
        or status.get("readyReplicas", 0) > before.get("readyReplicas", 0)
        or status.get("availableReplicas", 0) > before.get("availableReplicas", 0)
    )


def deployment_timed_out(d: dict[str, Any], status: dict[str, Any], now: float) -> bool:
    """``DeploymentTimedOut``: the Progressing condition was last updated longer ago than
    ``progressDeadlineSeconds``."""
    deadline = _progress_deadline(d)
    if deadline is None:
        return False
    current = _condition(status, "Progressing")
    if current is None:
        return False
    if current.get("reason") == "ProgressDeadlineExceeded":
        return True
    if current.get("reason") == "NewReplicaSetAvailable":
        return False
    since = epoch(current.get("lastUpdateTime"))
    return since is not None and since + deadline < now


def _progress_deadline(d: dict[str, Any]) -> int | None:
    value = _spec(d).get("progressDeadlineSeconds", 600)
    return None if value is None or value >= 2**31 - 1 else int(value)


class _Rollout:
    """One sync of one Deployment."""

    def __init__(self, ctx: Context, d: dict[str, Any]) -> None:
        self.ctx, self.d = ctx, d
        self.namespace = d["metadata"]["namespace"]
        self.name = d["metadata"]["name"]

    # -- replica sets ------------------------------------------------------------------------

    def replica_sets(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The new ReplicaSet (its template is the Deployment's) and the old ones."""
        rss = claim(self.ctx, "replicasets", self.d)
        wanted = _without_hash(_spec(self.d).get("template") or {})
        matching = sorted(
            (rs for rs in rss if _without_hash(_spec(rs).get("template") or {}) == wanted),
            key=lambda rs: (str(rs["metadata"].get("creationTimestamp")), rs["metadata"]["name"]),
        )
        new = matching[0] if matching else None
        return new, [rs for rs in rss if rs is not new]

    def _annotate(self, rs: dict[str, Any], revision: int, exists: bool) -> bool:
        """``SetNewReplicaSetAnnotations``; True if ``rs`` changed."""
        meta = rs["metadata"]
        annotations = meta.setdefault("annotations", {})
        changed = False
        for key, value in (self.d["metadata"].get("annotations") or {}).items():
            if key not in _NOT_COPIED and annotations.get(key) != value:
                annotations[key] = value
                changed = True
        old = annotations.get(REVISION)
        old_number = int(old) if old and str(old).isdigit() else 0
        if old and not str(old).isdigit():
            return changed
        if old_number < revision:
            annotations[REVISION] = str(revision)
            changed = True
            if old:
                history = annotations.get(REVISION_HISTORY)
                history = f"{history},{old}" if history else str(old)
                annotations[REVISION_HISTORY] = history[-_MAX_HISTORY_CHARS:].lstrip(",")
        if not exists:
            changed = self._replica_annotations(rs) or changed
        return changed

    def _replica_annotations(self, rs: dict[str, Any]) -> bool:
        annotations = rs["metadata"].setdefault("annotations", {})
        desired = str(_replicas(self.d))
        most = str(_replicas(self.d) + max_surge(self.d))
        if annotations.get(DESIRED) == desired and annotations.get(MAX_REPLICAS) == most:
            return False
        annotations[DESIRED], annotations[MAX_REPLICAS] = desired, most
        return True

    def new_replica_set(
        self, new: dict[str, Any] | None, old: list[dict[str, Any]], create: bool
    ) -> dict[str, Any] | None:
        """``getNewReplicaSet``: bring the new one's annotations up to date, or create it."""
        revision = max((_revision(rs) for rs in old), default=0) + 1
        spec = _spec(self.d)
        if new is not None:
            updated = copy_object(new)
            changed = self._annotate(updated, revision, True)
            min_ready = int(spec.get("minReadySeconds") or 0)
            if int(_spec(updated).get("minReadySeconds") or 0) != min_ready:
                updated["spec"]["minReadySeconds"] = min_ready
                changed = True
            if changed:
                new = self.ctx.writer.update("replicasets", updated)
            self._set_revision(str(_revision(new)))
            status = copy_object(self.d.get("status") or {})
            if _progress_deadline(self.d) is not None and _condition(status, "Progressing") is None:
                message = f'Found new replica set "{new["metadata"]["name"]}"'
                _set_condition(
                    status, "Progressing", "True", "FoundNewReplicaSet", message, self.ctx.now
                )
                self._write_status(status)
            return new
        if not create:
            return None
        template = copy_object(spec.get("template") or {})
        collisions = int((self.d.get("status") or {}).get("collisionCount") or 0)
        hashed = template_hash(template, collisions)
        labels = {**((template.get("metadata") or {}).get("labels") or {}), HASH_LABEL: hashed}
        template.setdefault("metadata", {})["labels"] = labels
        selector = copy_object(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = hashed
        from .podutil import owner_ref

        rs: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{self.name}-{hashed}",
                "namespace": self.namespace,
                "labels": dict(labels),
                "ownerReferences": [owner_ref(self.d)],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": int(spec.get("minReadySeconds") or 0),
                "selector": selector,
                "template": template,
            },
        }
        count = self._new_replicas(old, rs)
        rs["spec"]["replicas"] = count
        self._annotate(rs, revision, False)
        existing = self.ctx.writer.find("replicasets", rs["metadata"]["name"], self.namespace)
        if existing is not None:  # a hash collision: count it, the next sync picks a new name
            status = copy_object(self.d.get("status") or {})
            status["collisionCount"] = collisions + 1
            self._write_status(status)
            return None
        created = self.ctx.writer.create("replicasets", rs)
        if count > 0:
            self.ctx.record(
                self.d,
                NORMAL,
                "ScalingReplicaSet",
                f"Scaled up replica set {created['metadata']['name']} from 0 to {count}",
                COMPONENT,
            )
        self._set_revision(str(revision))
        if _progress_deadline(self.d) is not None:
            status = copy_object(self.d.get("status") or {})
            message = f'Created new replica set "{created["metadata"]["name"]}"'
            _set_condition(
                status, "Progressing", "True", "NewReplicaSetCreated", message, self.ctx.now
            )
            self._write_status(status)
        return created

    def _set_revision(self, revision: str) -> None:
        annotations = self.d["metadata"].get("annotations") or {}
        if annotations.get(REVISION) == revision:
            return
        updated = copy_object(self.d)
        updated["metadata"].setdefault("annotations", {})[REVISION] = revision
        self.d = self.ctx.writer.update("deployments", updated)

    def _write_status(self, status: dict[str, Any]) -> None:
        self.d = update_status(self.ctx, "deployments", self.d, status)

    def _new_replicas(self, old: list[dict[str, Any]], new: dict[str, Any]) -> int:
        return new_rs_replicas(self.d, [*old, new], new)

    def scale(self, rs: dict[str, Any], size: int, operation: str | None = None) -> bool:
        """``scaleReplicaSetAndRecordEvent``: True if the ReplicaSet's size changed."""
        old = _replicas(rs)
        updated = copy_object(rs)
        annotations_changed = self._replica_annotations(updated)
        if old == size and not annotations_changed:
            return False
        updated["spec"]["replicas"] = size
        self.ctx.writer.update("replicasets", updated)
        if old != size:
            verb = operation or ("up" if old < size else "down")
            self.ctx.record(
                self.d,
                NORMAL,
                "ScalingReplicaSet",
                f"Scaled {verb} replica set {rs['metadata']['name']} from {old} to {size}",
                COMPONENT,
            )
        return old != size

    # -- strategies --------------------------------------------------------------------------

    def rolling(self) -> None:
        new, old = self.replica_sets()
        new = self.new_replica_set(new, old, create=True)
        if new is None:
            return
        desired = _replicas(self.d)
        if _replicas(new) != desired:
            size = desired if _replicas(new) > desired else self._new_replicas(old, new)
            if size != _replicas(new) and self.scale(new, size):
                self.rollout_status()
                return
        if self._scale_down_old(new, old):
            self.rollout_status()
            return
        if self._complete(self._status(new, old)):
            self.cleanup(old)
        self.rollout_status()

    def _scale_down_old(self, new: dict[str, Any], old: list[dict[str, Any]]) -> bool:
        """``reconcileOldReplicaSets``."""
        active_old = [rs for rs in old if _replicas(rs) > 0]
        if not active_old:
            return False
        everything = [*old, new]
        min_available = _replicas(self.d) - max_unavailable(self.d)
        new_unavailable = _replicas(new) - _status_replicas(new, "availableReplicas")
        budget = _spec_replicas(everything) - min_available - new_unavailable
        if budget <= 0:
            return False
        scaled = 0
        by_age = sorted(active_old, key=lambda rs: str(rs["metadata"].get("creationTimestamp")))
        for rs in by_age:  # unhealthy replicas first (cleanupUnhealthyReplicas)
            if scaled >= budget:
                break
            unhealthy = _replicas(rs) - _status_replicas(rs, "availableReplicas")
            if unhealthy <= 0:
                continue
            down = min(budget - scaled, unhealthy)
            self.scale(rs, _replicas(rs) - down)
            scaled += down
        rss = {r["metadata"]["name"]: r for r in claim(self.ctx, "replicasets", self.d)}
        available = sum(_status_replicas(r, "availableReplicas") for r in rss.values())
        if available > min_available:
            total = available - min_available
            done = 0
            for rs in by_age:
                current = rss.get(rs["metadata"]["name"])
                if current is None or done >= total or _replicas(current) == 0:
                    continue
                down = min(_replicas(current), total - done)
                self.scale(current, _replicas(current) - down)
                done += down
            scaled += done
        return scaled > 0

    def recreate(self) -> None:
        new, old = self.replica_sets()
        new = self.new_replica_set(new, old, create=False)
        scaled = False
        for rs in old:
            if _replicas(rs) > 0:
                scaled = self.scale(rs, 0) or scaled
        if scaled or any(_status_replicas(rs, "replicas") for rs in old):
            self.rollout_status()  # old pods are still running
            return
        if new is None:
            new, old = self.replica_sets()
            new = self.new_replica_set(new, old, create=True)
            if new is None:
                return
        if _replicas(new) != _replicas(self.d):
            self.scale(new, _replicas(self.d))
        if self._complete(self._status(new, old)):
            self.cleanup(old)
        self.rollout_status()

    def sync_only(self) -> None:
        """``sync``: a paused Deployment or a scaling event: scale, no new revision."""
        new, old = self.replica_sets()
        new = self.new_replica_set(new, old, create=False)
        self._proportional(new, old)
        if _spec(self.d).get("paused"):
            self.cleanup(old)
        new, old = self.replica_sets()
        self._write_status(self._status(new, old))

    def _proportional(self, new: dict[str, Any] | None, old: list[dict[str, Any]]) -> None:
        """``scale``: one active ReplicaSet takes every replica; otherwise the difference is
        shared in proportion to their sizes (leftovers to the largest)."""
        everything = [rs for rs in [new, *old] if rs is not None]
        active = [rs for rs in everything if _replicas(rs) > 0]
        desired = _replicas(self.d)
        target = active[0] if len(active) == 1 else None
        if not active:
            target = new or max(
                old, key=lambda rs: str(rs["metadata"].get("creationTimestamp")), default=None
            )
        if target is not None:
            self.scale(target, desired)
            return
        if (
            new is not None
            and _replicas(new) == desired
            and _status_replicas(new, "availableReplicas") == desired
        ):
            for rs in old:
                self.scale(rs, 0)
            return
        if not _rolling(self.d):
            return
        allowed = desired + max_surge(self.d) if desired > 0 else 0
        current = _spec_replicas(active)
        to_add = allowed - current
        if to_add == 0 or current == 0:
            return
        active.sort(
            key=lambda rs: (-_replicas(rs), str(rs["metadata"].get("creationTimestamp"))),
            reverse=False,
        )
        sizes = {}
        added = 0
        for rs in active:
            share = (
                _replicas(rs) * to_add // current
                if to_add > 0
                else -(_replicas(rs) * -to_add // current)
            )
            sizes[rs["metadata"]["name"]] = _replicas(rs) + share
            added += share
        first = active[0]["metadata"]["name"]
        sizes[first] = max(0, sizes[first] + to_add - added)
        for rs in active:
            self.scale(rs, sizes[rs["metadata"]["name"]], "up" if to_add > 0 else "down")

    # -- status ------------------------------------------------------------------------------

    def _status(self, new: dict[str, Any] | None, old: list[dict[str, Any]]) -> dict[str, Any]:
        """``calculateStatus``."""
        everything = [rs for rs in [*old, new] if rs is not None]
        available = sum(_status_replicas(rs, "availableReplicas") for rs in everything)
        total = _spec_replicas(everything)
        status: dict[str, Any] = {
            "observedGeneration": self.d["metadata"].get("generation", 1),
            "replicas": sum(_status_replicas(rs, "replicas") for rs in everything),
            "updatedReplicas": _status_replicas(new, "replicas"),
            "readyReplicas": sum(_status_replicas(rs, "readyReplicas") for rs in everything),
            "availableReplicas": available,
            "unavailableReplicas": max(0, total - available),
        }
        previous = self.d.get("status") or {}
        if previous.get("collisionCount"):
            status["collisionCount"] = previous["collisionCount"]
        if previous.get("conditions"):
            status["conditions"] = copy_object(previous["conditions"])
        now = self.ctx.now
        if available >= _replicas(self.d) - max_unavailable(self.d):
            _set_condition(
                status,
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                now,
            )
        else:
            _set_condition(
                status,
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                now,
            )
        for key in (
            "replicas",
            "readyReplicas",
            "availableReplicas",
            "unavailableReplicas",
            "updatedReplicas",
        ):
            if not status[key]:
                del status[key]
        return status

    def _complete(self, status: dict[str, Any]) -> bool:
        return deployment_complete(self.d, status)

    def rollout_status(self) -> None:
        """``syncRolloutStatus``: the Progressing condition, then the status if it changed."""
        new, old = self.replica_sets()
        status = self._status(new, old)
        deadline = _progress_deadline(self.d)
        now = self.ctx.now
        if deadline is None:
            _remove_condition(status, "Progressing")
        current = _condition(self.d.get("status") or {}, "Progressing")
        complete_before = (
            status.get("replicas", 0) == status.get("updatedReplicas", 0)
            and current is not None
            and current.get("reason") == "NewReplicaSetAvailable"
        )
        name = new["metadata"]["name"] if new else None
        if deadline is not None and not complete_before:
            if self._complete(status):
                message = (
                    f'ReplicaSet "{name}" has successfully progressed.'
                    if name
                    else f'Deployment "{self.name}" has successfully progressed.'
                )
                _set_condition(
                    status, "Progressing", "True", "NewReplicaSetAvailable", message, now
                )
            elif self._progressing(status):
                message = (
                    f'ReplicaSet "{name}" is progressing.'
                    if name
                    else f'Deployment "{self.name}" is progressing.'
                )
                transition = timestamp(now)
                if current is not None and current.get("status") == "True":
                    transition = str(current.get("lastTransitionTime"))
                _remove_condition(status, "Progressing")
                status.setdefault("conditions", []).append(
                    {
                        "type": "Progressing",
                        "status": "True",
                        "lastUpdateTime": timestamp(now),
                        "lastTransitionTime": transition,
                        "reason": "ReplicaSetUpdated",
                        "message": message,
                    }
                )
            elif deployment_timed_out(self.d, self.d.get("status") or {}, now):
                message = (
                    f'ReplicaSet "{name}" has timed out progressing.'
                    if name
                    else f'Deployment "{self.name}" has timed out progressing.'
                )
                _set_condition(
                    status, "Progressing", "False", "ProgressDeadlineExceeded", message, now
                )
        failure = next(
            (
                c
                for rs in [new, *old]
                if rs is not None
                for c in (rs.get("status") or {}).get("conditions") or ()
                if c.get("type") == "ReplicaFailure" and c.get("status") == "True"
            ),
            None,
        )
        if failure is not None:
            _set_condition(
                status,
                "ReplicaFailure",
                "True",
                str(failure.get("reason")),
                str(failure.get("message")),
                now,
            )
        else:
            _remove_condition(status, "ReplicaFailure")
        if (self.d.get("status") or {}) != status:
            self._write_status(status)
        progressing = _condition(status, "Progressing")
        if (
            deadline is not None
            and progressing is not None
            and progressing.get("status") == "True"
            and not self._complete(status)
        ):
            since = epoch(progressing.get("lastUpdateTime")) or now
            self.ctx.at(since + deadline + 1, ("deployments", self.namespace, self.name))

    def _progressing(self, status: dict[str, Any]) -> bool:
        return deployment_progressing(self.d, status)

    def paused_condition(self) -> None:
        """``checkPausedConditions``."""
        if _progress_deadline(self.d) is None:
            return
        status = copy_object(self.d.get("status") or {})
        current = _condition(status, "Progressing")
        if current is not None and current.get("reason") == "ProgressDeadlineExceeded":
            return
        shown = current is not None and current.get("reason") == "DeploymentPaused"
        paused = bool(_spec(self.d).get("paused"))
        if paused and not shown:
            _set_condition(
                status,
                "Progressing",
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused",
                self.ctx.now,
            )
        elif not paused and shown:
            _set_condition(
                status,
                "Progressing",
                "Unknown",
                "DeploymentResumed",
                "Deployment is resumed",
                self.ctx.now,
            )
        else:
            return
        self._write_status(status)

    def cleanup(self, old: list[dict[str, Any]]) -> None:
        """``cleanupDeployment``: old ReplicaSets beyond ``revisionHistoryLimit`` go."""
        limit = _spec(self.d).get("revisionHistoryLimit", 10)
        if limit is None:
            return
        alive = [rs for rs in old if not rs["metadata"].get("deletionTimestamp")]
        surplus = len(alive) - int(limit)
        for rs in sorted(alive, key=_revision)[: max(0, surplus)]:
            current = self.ctx.writer.find("replicasets", rs["metadata"]["name"], self.namespace)
            if current is None:
                continue
            status = current.get("status") or {}
            if (
                status.get("replicas")
                or _replicas(current)
                or current["metadata"].get("generation", 1) > status.get("observedGeneration", 0)
            ):
                continue
            self.ctx.writer.delete("replicasets", rs["metadata"]["name"], self.namespace)

    def scaling_event(self) -> bool:
        """``isScalingEvent``: an active ReplicaSet was sized for other replicas."""
        new, old = self.replica_sets()
        for rs in [new, *old]:
            if rs is None or _replicas(rs) == 0:
                continue
            desired = (rs["metadata"].get("annotations") or {}).get(DESIRED)
            if desired is not None and desired != str(_replicas(self.d)):
                return True
        return False


def sync(ctx: Context, namespace: str | None, name: str) -> None:
    d = ctx.writer.find("deployments", name, namespace)
    if d is None:
        return
    rollout = _Rollout(ctx, d)
    if d["metadata"].get("deletionTimestamp"):
        new, old = rollout.replica_sets()
        rollout._write_status(rollout._status(new, old))
        return
    rollout.paused_condition()
    if _spec(rollout.d).get("paused") or rollout.scaling_event():
        rollout.sync_only()
    elif _rolling(rollout.d):
        rollout.rolling()
    else:
        rollout.recreate()
