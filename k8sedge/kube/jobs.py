"""The Job controller (``pkg/controller/job``) and the simulated kubelet's part in it.

A Job runs ``parallelism`` pods at a time until ``completions`` have succeeded (``Indexed``
jobs: one per completion index), then gets the ``SuccessCriteriaMet`` and ``Complete``
conditions and a ``completionTime``; ``suspend`` deletes its running pods;
``activeDeadlineSeconds`` fails it. Nothing runs a container here, so a run-to-completion
pod (a Job's, or any pod with ``restartPolicy`` other than ``Always`` annotated
``k8sedge.io/run-seconds``) succeeds once it has run for its simulated run time on the
cluster's clock: the annotation, else the cluster's ``job_run_time`` (one second by
default).
"""

from __future__ import annotations

from typing import Any

from .controllers import Context
from .events import NORMAL, WARNING
from .podutil import RUN_SECONDS, controller_ref, epoch, is_active, is_ready, timestamp
from .replicasets import claim, create_pod, delete_pod, update_status
from .store import copy_object

__all__ = ["COMPLETION_INDEX", "finished_status", "sync", "sync_pod"]

COMPONENT = "job-controller"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
_COMPLETE_MESSAGE = "Reached expected number of succeeded pods"


def _run_seconds(ctx: Context, pod: dict[str, Any]) -> float | None:
    """How long the pod runs before it succeeds (None: it runs until deleted)."""
    spec = pod.get("spec") or {}
    raw = (pod["metadata"].get("annotations") or {}).get(RUN_SECONDS)
    if raw is not None:
        try:
            seconds = float(raw)
        except ValueError:
            return None
        if seconds < 0 or seconds != seconds or (spec.get("restartPolicy") or "Always") == "Always":
            return None
        return seconds
    ref = controller_ref(pod)
    if ref is not None and ref.get("kind") == "Job":
        return ctx.job_run_time
    return None


def finished_status(
    status: dict[str, Any], containers: list[dict[str, Any]], now: str
) -> dict[str, Any]:
    """A pod whose containers exited 0 (what a kubelet reports): ``Succeeded``."""
    status = copy_object(status)
    status["phase"] = "Succeeded"
    conditions = []
    for condition in status.get("conditions") or ():
        condition = dict(condition)
        if condition.get("type") in ("Ready", "ContainersReady", "PodReadyToStartContainers"):
            condition.update(status="False", lastTransitionTime=now)
            if condition["type"] != "PodReadyToStartContainers":
                condition["reason"] = "PodCompleted"
        conditions.append(condition)
    status["conditions"] = conditions
    started = status.get("startTime") or now
    status["containerStatuses"] = [
        {
            "name": c.get("name", ""),
            "image": c.get("image", ""),
            "imageID": "",
            "ready": False,
            "started": False,
            "restartCount": 0,
            "state": {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": started,
                    "finishedAt": now,
                }
            },
        }
        for c in containers
    ]
    return status


def sync_pod(ctx: Context, namespace: str | None, name: str) -> None:
    """The kubelet: a bound run-to-completion pod succeeds when its run time is over."""
    pod = ctx.writer.find("pods", name, namespace)
    if pod is None or not (pod.get("spec") or {}).get("nodeName"):
        return
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or pod["metadata"].get("deletionTimestamp"):
        return
    seconds = _run_seconds(ctx, pod)
    if seconds is None:
        return
    started = epoch(status.get("startTime")) or ctx.now
    if started + seconds > ctx.now:
        ctx.at(started + seconds, ("kubelet", namespace, name))
        return
    done = copy_object(pod)
    done["status"] = finished_status(
        status, list((pod.get("spec") or {}).get("containers") or ()), timestamp(ctx.now)
    )
    ctx.writer.update("pods", done)


def _condition(job: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next(
        (
            c
            for c in (job.get("status") or {}).get("conditions") or ()
            if c.get("type") == kind and c.get("status") == "True"
        ),
        None,
    )


def _new_condition(kind: str, reason: str, message: str, now: float) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True",
        "lastProbeTime": timestamp(now),
        "lastTransitionTime": timestamp(now),
        "reason": reason,
        "message": message,
    }


def _index(pod: dict[str, Any]) -> int | None:
    raw = (pod["metadata"].get("annotations") or {}).get(COMPLETION_INDEX)
    return int(raw) if raw is not None and str(raw).isdigit() else None


def sync(ctx: Context, namespace: str | None, name: str) -> None:
    job = ctx.writer.find("jobs", name, namespace)
    if job is None:
        return
    spec = job.get("spec") or {}
    now = ctx.now
    pods = claim(ctx, "pods", job)
    previous = job.get("status") or {}
    status = copy_object(previous)
    finished = _condition(job, "Complete") or _condition(job, "Failed")
    active = [p for p in pods if is_active(p)]
    succeeded_pods = [p for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"]
    failed_pods = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
    succeeded = max(len(succeeded_pods), int(previous.get("succeeded") or 0))
    failed = max(len(failed_pods), int(previous.get("failed") or 0))
    parallelism = int(spec.get("parallelism", 1) if spec.get("parallelism") is not None else 1)
    completions = spec.get("completions")
    indexed = spec.get("completionMode") == "Indexed"
    suspended = bool(spec.get("suspend"))
    conditions = list(status.get("conditions") or ())
    if finished is None and not job["metadata"].get("deletionTimestamp"):
        if suspended:
            for pod in active:
                delete_pod(ctx, job, COMPONENT, pod)
            active = []
            if not any(
                c.get("type") == "Suspended" and c.get("status") == "True" for c in conditions
            ):
                conditions = [c for c in conditions if c.get("type") != "Suspended"]
                conditions.append(_new_condition("Suspended", "JobSuspended", "Job suspended", now))
                ctx.record(job, NORMAL, "Suspended", "Job suspended", COMPONENT)
        else:
            if any(c.get("type") == "Suspended" and c.get("status") == "True" for c in conditions):
                conditions = [c for c in conditions if c.get("type") != "Suspended"]
                resumed = _new_condition("Suspended", "JobResumed", "Job resumed", now)
                resumed["status"] = "False"
                conditions.append(resumed)
                ctx.record(job, NORMAL, "Resumed", "Job resumed", COMPONENT)
            status.setdefault("startTime", timestamp(now))
            started = epoch(status["startTime"]) or now
            deadline = spec.get("activeDeadlineSeconds")
            backoff = int(
                spec.get("backoffLimit", 6) if spec.get("backoffLimit") is not None else 6
            )
            failure: tuple[str, str] | None = None
            if failed > backoff:
                failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
            elif deadline is not None and started + int(deadline) <= now:
                failure = ("DeadlineExceeded", "Job was active longer than specified deadline")
            elif deadline is not None:
                ctx.at(started + int(deadline), ("jobs", namespace, name))
            if failure is not None:
                for pod in active:
                    delete_pod(ctx, job, COMPONENT, pod)
                active = []
                conditions.append(_new_condition("FailureTarget", failure[0], failure[1], now))
                conditions.append(_new_condition("Failed", failure[0], failure[1], now))
                ctx.record(job, WARNING, failure[0], failure[1], COMPONENT)
            else:
                done_indexes = {i for p in succeeded_pods if (i := _index(p)) is not None}
                if indexed and completions is not None:
                    complete = len(done_indexes) >= int(completions)
                elif completions is not None:
                    complete = succeeded >= int(completions)
                else:
                    complete = succeeded > 0 and not active
                if complete:
                    for pod in active:
                        delete_pod(ctx, job, COMPONENT, pod)
                    active = []
                    conditions.append(
                        _new_condition(
                            "SuccessCriteriaMet", "CompletionsReached", _COMPLETE_MESSAGE, now
                        )
                    )
                    conditions.append(
                        _new_condition("Complete", "CompletionsReached", _COMPLETE_MESSAGE, now)
                    )
                    status["completionTime"] = timestamp(now)
                    ctx.record(job, NORMAL, "Completed", "Job completed", COMPONENT)
                else:
                    active = _start_pods(
                        ctx, job, active, succeeded, parallelism, completions, indexed, done_indexes
                    )
    status["active"] = len(active)
    status["ready"] = sum(1 for p in active if is_ready(p))
    status["terminating"] = 0
    status["uncountedTerminatedPods"] = {}
    if succeeded:
        status["succeeded"] = succeeded
    if failed:
        status["failed"] = failed
    if indexed:
        done = sorted({i for p in succeeded_pods if (i := _index(p)) is not None})
        status["completedIndexes"] = _ranges(done)
    if conditions:
        status["conditions"] = conditions
    for key in ("active",):
        if not status[key]:
            del status[key]
    update_status(ctx, "jobs", ctx.writer.find("jobs", name, namespace) or job, status)


def _start_pods(
    ctx: Context,
    job: dict[str, Any],
    active: list[dict[str, Any]],
    succeeded: int,
    parallelism: int,
    completions: Any,
    indexed: bool,
    done_indexes: set[int],
) -> list[dict[str, Any]]:
    """Create pods up to the parallelism still needed (``manageJob``)."""
    wanted = parallelism
    if completions is not None:
        remaining = int(completions) - (len(done_indexes) if indexed else succeeded)
        wanted = min(parallelism, max(0, remaining))
    elif succeeded > 0:
        wanted = 0
    name = job["metadata"]["name"]
    template = (job.get("spec") or {}).get("template") or {}
    running_indexes = {i for p in active if (i := _index(p)) is not None}
    free = (
        (i for i in range(int(completions)) if i not in done_indexes and i not in running_indexes)
        if indexed and completions is not None
        else None
    )
    for _ in range(wanted - len(active)):
        if free is not None:
            index = next(free, None)
            if index is None:
                break
            pod_template = copy_object(template)
            meta = pod_template.setdefault("metadata", {})
            meta.setdefault("annotations", {})[COMPLETION_INDEX] = str(index)
            meta.setdefault("labels", {})[COMPLETION_INDEX] = str(index)
            pod_template.setdefault("spec", {})["hostname"] = f"{name}-{index}"
            created = create_pod(
                ctx, job, COMPONENT, pod_template, generate_name=f"{name}-{index}-"
            )
        else:
            created = create_pod(ctx, job, COMPONENT, template, generate_name=f"{name}-")
        if created is None:
            break
        if is_active(created):
            active.append(created)
    if len(active) > wanted:
        for pod in sorted(active, key=lambda p: bool((p.get("spec") or {}).get("nodeName")))[
            : len(active) - wanted
        ]:
            delete_pod(ctx, job, COMPONENT, pod)
            active.remove(pod)
    return active


def _ranges(indexes: list[int]) -> str:
    """``1,3-5``: the completed indexes as the API shows them."""
    parts: list[str] = []
    start = prev = None
    for i in indexes:
        if prev is not None and i == prev + 1:
            prev = i
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = i
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(parts)
