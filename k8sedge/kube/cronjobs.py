"""The CronJob controller (``pkg/controller/cronjob``, v2) on the cluster's clock.

The schedule is read as robfig/cron's standard parser reads it (five fields, or
``@hourly``-style descriptors and ``@every <duration>``; ``croniter`` does the arithmetic),
in ``spec.timeZone`` (UTC if none). At each due time the most recent unmet schedule is run
as a Job ``<name>-<minutes since the epoch>``, unless it is later than
``startingDeadlineSeconds``, or ``concurrencyPolicy`` ``Forbid`` finds one still running
(``Replace`` deletes it first). Finished jobs leave ``status.active`` and beyond
``successfulJobsHistoryLimit``/``failedJobsHistoryLimit`` the oldest are deleted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from ..errors import K8sEdgeError
from .controllers import Context
from .events import NORMAL, WARNING
from .podutil import epoch, owned_by, owner_ref, timestamp
from .replicasets import update_status
from .store import copy_object

__all__ = ["SCHEDULED_TIMESTAMP", "schedule_problem", "sync"]

COMPONENT = "cronjob-controller"
SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_EVERY = re.compile(r"^@every\s+((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$")
_UNIT = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


class _Schedule:
    """``cron.Schedule``: ``next(t)`` is the first activation strictly after ``t``."""

    def __init__(self, text: str, zone: tzinfo) -> None:
        self.zone = zone
        self.every: float | None = None
        text = text.strip()
        every = _EVERY.match(text)
        if every:
            seconds = sum(float(n) * _SECONDS[u] for n, u in _UNIT.findall(every.group(1)))
            self.every = max(1.0, float(int(seconds)))
            self.expression = ""
            return
        self.expression = _DESCRIPTORS.get(text, text)

    def next(self, when: float) -> float:
        if self.every is not None:
            return float(int(when) + self.every)
        from croniter import croniter

        start = datetime.fromtimestamp(when, self.zone)
        nxt: datetime = croniter(self.expression, start).get_next(datetime)
        return nxt.timestamp()


def schedule_problem(text: Any, zone: Any = None) -> str | None:
    """Why a schedule (and time zone) is invalid, or None (``validateScheduleFormat``)."""
    from croniter import croniter

    if not isinstance(text, str) or not text.strip():
        return "Required value"
    if "TZ=" in text:
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    stripped = text.strip()
    if stripped in _DESCRIPTORS or _EVERY.match(stripped):
        pass
    elif len(stripped.split()) != 5 or not croniter.is_valid(stripped):
        return f"unparseable schedule: {text!r}"
    if zone is not None and _zone(zone) is None:
        return f"unknown time zone {zone!r}"
    return None


def _zone(name: Any) -> tzinfo | None:
    if name in (None, "", "UTC", "Etc/UTC"):
        return UTC
    if not isinstance(name, str):
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _most_recent(
    ctx: Context, cj: dict[str, Any], schedule: _Schedule, now: float
) -> tuple[float | None, int]:
    """``mostRecentScheduleTime``: the latest unmet activation (and how many were missed)."""
    status, spec = cj.get("status") or {}, cj.get("spec") or {}
    earliest = (
        epoch(status.get("lastScheduleTime"))
        or epoch(cj["metadata"].get("creationTimestamp"))
        or now
    )
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None:
        earliest = max(earliest, now - int(deadline))
    missed, latest = 0, None
    t = schedule.next(earliest)
    while t <= now:
        missed += 1
        latest = t
        if missed > 100:  # jump near the end instead of walking decades
            gap = schedule.next(t) - t
            if gap > 0 and now - t > 2 * gap:
                skipped = int((now - t) // gap) - 1
                missed += skipped
                t += skipped * gap
        t = schedule.next(t)
    return latest, missed


def _finished(job: dict[str, Any]) -> str | None:
    for condition in (job.get("status") or {}).get("conditions") or ():
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return str(condition["type"])
    return None


def _delete_job(ctx: Context, cj: dict[str, Any], job: dict[str, Any]) -> None:
    meta = job["metadata"]
    if ctx.writer.find("jobs", meta["name"], meta["namespace"]) is None:
        return
    ctx.writer.delete("jobs", meta["name"], meta["namespace"], "Background")
    ctx.record(cj, NORMAL, "SuccessfulDelete", f"Deleted job {meta['name']}", COMPONENT)


def _reference(job: dict[str, Any]) -> dict[str, Any]:
    meta = job["metadata"]
    return {
        "kind": "Job",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "apiVersion": "batch/v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }


def sync(ctx: Context, namespace: str | None, name: str) -> None:
    cj = ctx.writer.find("cronjobs", name, namespace)
    if cj is None:
        return
    now = ctx.now
    spec = cj.get("spec") or {}
    status = copy_object(cj.get("status") or {})
    jobs = [j for j in ctx.writer.items("jobs", namespace) if owned_by(j, cj)]
    by_name = {j["metadata"]["name"]: j for j in jobs}
    active = []
    for ref in status.get("active") or ():
        job = by_name.get(str(ref.get("name")))
        if job is None:
            ctx.record(
                cj, NORMAL, "MissingJob", f"Active job went missing: {ref.get('name')}", COMPONENT
            )
            continue
        condition = _finished(job)
        if condition is not None:
            ctx.record(
                cj,
                NORMAL,
                "SawCompletedJob",
                f"Saw completed job: {job['metadata']['name']}, condition: {condition}",
                COMPONENT,
            )
            if condition == "Complete":
                done = epoch((job.get("status") or {}).get("completionTime"))
                last = epoch(status.get("lastSuccessfulTime"))
                if done is not None and (last is None or done > last):
                    status["lastSuccessfulTime"] = timestamp(done)
            continue
        active.append(ref)
    for job in jobs:  # jobs started but not yet in the list (a controller restart)
        if _finished(job) is None and all(r.get("name") != job["metadata"]["name"] for r in active):
            active.append(_reference(job))
    _cleanup(ctx, cj, jobs)
    if cj["metadata"].get("deletionTimestamp"):
        return _write(ctx, cj, status, active)
    zone = _zone(spec.get("timeZone"))
    problem = schedule_problem(spec.get("schedule"), spec.get("timeZone"))
    if problem is not None or zone is None:
        ctx.record(
            cj,
            WARNING,
            "UnparseableSchedule",
            f"unparseable schedule: {spec.get('schedule')!r} : {problem}",
            COMPONENT,
        )
        return _write(ctx, cj, status, active)
    schedule = _Schedule(str(spec["schedule"]), zone)
    if spec.get("suspend"):
        return _write(ctx, cj, status, active)
    scheduled, missed = _most_recent(ctx, cj, schedule, now)
    if missed > 100:
        ctx.record(
            cj,
            WARNING,
            "TooManyMissedTimes",
            f"too many missed start times: {missed}. Set or decrease .spec.startingDeadlineSeconds "
            "or check clock skew",
            COMPONENT,
        )
    ctx.at(schedule.next(now), ("cronjobs", namespace, name))
    if scheduled is None:
        return _write(ctx, cj, status, active)
    deadline = spec.get("startingDeadlineSeconds")
    if deadline is not None and scheduled + int(deadline) < now:
        when = datetime.fromtimestamp(scheduled, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        ctx.record(
            cj, WARNING, "MissSchedule", f"Missed scheduled time to start a job: {when}", COMPONENT
        )
        return _write(ctx, cj, status, active)
    job_name = f"{name}-{int(scheduled) // 60}"
    if (
        any(r.get("name") == job_name for r in active)
        or epoch(status.get("lastScheduleTime")) == scheduled
    ):
        return _write(ctx, cj, status, active)
    policy = spec.get("concurrencyPolicy") or "Allow"
    if policy == "Forbid" and active:
        ctx.record(
            cj,
            NORMAL,
            "JobAlreadyActive",
            "Not starting job because prior execution is running and concurrency policy is Forbid",
            COMPONENT,
        )
        return _write(ctx, cj, status, active)
    if policy == "Replace":
        for ref in active:
            job = by_name.get(str(ref.get("name")))
            if job is not None:
                _delete_job(ctx, cj, job)
        active = []
    template = spec.get("jobTemplate") or {}
    template_meta = template.get("metadata") or {}
    local = datetime.fromtimestamp(scheduled, zone)
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name,
            "namespace": namespace,
            "labels": dict(template_meta.get("labels") or {}),
            "annotations": {
                **(template_meta.get("annotations") or {}),
                SCHEDULED_TIMESTAMP: local.isoformat().replace("+00:00", "Z"),
            },
            "ownerReferences": [owner_ref(cj)],
        },
        "spec": copy_object(template.get("spec") or {}),
    }
    try:
        created: dict[str, Any] | None = ctx.writer.create("jobs", job)
    except K8sEdgeError as exc:
        if exc.status == 409:
            created = ctx.writer.find("jobs", job_name, namespace)
            if created is None:
                return _write(ctx, cj, status, active)
        else:
            ctx.record(cj, WARNING, "FailedCreate", f"Error creating job: {exc.message}", COMPONENT)
            return _write(ctx, cj, status, active)
    else:
        ctx.record(cj, NORMAL, "SuccessfulCreate", f"Created job {job_name}", COMPONENT)
    if created is not None and _finished(created) is None:
        active.append(_reference(created))
    status["lastScheduleTime"] = timestamp(scheduled)
    return _write(ctx, cj, status, active)


def _write(
    ctx: Context, cj: dict[str, Any], status: dict[str, Any], active: list[dict[str, Any]]
) -> None:
    if active:
        status["active"] = active
    else:
        status.pop("active", None)
    current = ctx.writer.find("cronjobs", cj["metadata"]["name"], cj["metadata"]["namespace"])
    if current is not None:
        update_status(ctx, "cronjobs", current, status)


def _cleanup(ctx: Context, cj: dict[str, Any], jobs: list[dict[str, Any]]) -> None:
    """``cleanupFinishedJobs``: keep the newest finished jobs within the history limits."""
    spec = cj.get("spec") or {}
    for condition, field, default in (
        ("Complete", "successfulJobsHistoryLimit", 3),
        ("Failed", "failedJobsHistoryLimit", 1),
    ):
        limit = spec.get(field, default)
        if limit is None:
            continue
        finished = sorted(
            (j for j in jobs if _finished(j) == condition),
            key=lambda j: (
                str(
                    (j.get("status") or {}).get("startTime")
                    or j["metadata"].get("creationTimestamp")
                ),
                j["metadata"]["name"],
            ),
        )
        for job in finished[: max(0, len(finished) - int(limit))]:
            _delete_job(ctx, cj, job)
