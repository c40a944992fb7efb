"""A run's record, its workers' objects and its state machine, shared by the backends.

A run is a StatefulSet ``<name>-mlbench-worker-<release>`` of ``num_workers`` pods (and, where
the cluster serves Services, a headless Service of the same name), labelled as the dashboard
labels them (``app: mlbench``, ``component: worker``, ``release``, ``set: <run name>``), with
the cpu limit from ``num_cpus``, the bandwidth limit as the pods' bandwidth annotations and
the dashboard's anti-affinity (one worker per node).

State follows the workers: ``initialized`` until every worker is bound and running, then
``started`` (at the time the last one was bound); an initialized run fails when its
``placement_deadline`` passes, a started one finishes ``duration`` seconds after it started,
fails if a worker is lost, or ends when a client marks it. A run that ends stops its workers
(the dashboard deletes the StatefulSet when the job ends).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from attrs import define, field

from ...timeutil import to_datetime
from .models import RELEASE, Run, RunRequest, RunState
from .wire import python_dict

__all__ = [
    "NAMESPACE",
    "RELEASE",
    "RUN_LABEL",
    "WORKER_SELECTOR",
    "RunRecord",
    "Worker",
    "headless_service",
    "set_name",
    "statefulset",
]

NAMESPACE = "default"
RUN_LABEL = "k8sedge.io/mlbench-run"
WORKER_SELECTOR = {"app": "mlbench", "component": "worker"}
CHART = "mlbench-2.0.0"
SUFFIX = f"-mlbench-worker-{RELEASE}"


def slug(run_name: str) -> str:
    """A run's name as a DNS label that leaves room for the StatefulSet's suffix: lower-cased,
    other characters as ``-`` (a name that already is one, up to 29 characters, is kept)."""
    text = re.sub(r"[^a-z0-9-]+", "-", run_name.lower()).strip("-")
    return text[: 52 - len(SUFFIX)].rstrip("-") or "run"


def set_name(run_name: str) -> str:
    """The StatefulSet (and Service) of a run, as the dashboard names it:
    ``<run>-mlbench-worker-<release>``."""
    return slug(run_name) + SUFFIX


@define
class Worker:
    """What a backend sees of one worker pod."""

    name: str
    node: str | None = None  # bound to
    ready_at: float | None = None  # when it was bound and running
    ip: str = ""
    labels: dict[str, str] = field(factory=dict)
    reason: str | None = None  # why it is not placed (the scheduler's message)


@define
class RunRecord:
    """One run: what was asked, what happened, and its job's metadata."""

    id: int
    request: RunRequest
    created_at: float
    state: RunState = RunState.INITIALIZED
    started_at: float | None = None
    finished_at: float | None = None
    job_id: str = field(factory=lambda: str(uuid.uuid4()))
    stdout: list[str] = field(factory=list)
    stderr: list[str] = field(factory=list)
    pods: list[list[str]] = field(factory=list)
    command: str = ""
    master_name: str = ""
    progress: tuple[int, str | None] = (-1, None)  # last reported (placed, reason)
    lost: tuple[float, str] | None = None  # a started run's worker went away

    @property
    def name(self) -> str:
        return self.request.name

    @property
    def set_name(self) -> str:
        return set_name(self.request.name)

    @property
    def worker_names(self) -> list[str]:
        return [f"{self.set_name}-{i}" for i in range(self.request.num_workers)]

    def view(self, *, full: bool) -> Run:
        """The dashboard's serializer: ``job_metadata`` only when ``full`` (``runs.get``)."""
        metadata: dict[str, Any] = {}
        if full:
            metadata = {
                "stdout": list(self.stdout),
                "stderr": list(self.stderr),
                "pods": [list(p) for p in self.pods],
                "command": self.command,
                "master_name": self.master_name,
            }
        return Run(
            id=self.id,
            name=self.name,
            created_at=to_datetime(self.created_at),
            finished_at=None if self.finished_at is None else to_datetime(self.finished_at),
            state=self.state,
            job_id=self.job_id,
            job_metadata=metadata,
            num_workers=self.request.num_workers,
        )

    # -- the state machine -------------------------------------------------------------------

    def observe(self, workers: Sequence[Worker], now: float) -> bool:
        """Move the run forward to ``now`` given its workers; True when it just ended (its
        workers are to be stopped)."""
        if self.state is RunState.INITIALIZED:
            ready = [w for w in workers if w.node and w.ready_at is not None]
            waiting = [w for w in workers if not (w.node and w.ready_at is not None)]
            complete = len(ready) == self.request.num_workers and not waiting
            deadline = self.created_at + self.request.placement_deadline
            reason = next((w.reason for w in waiting if w.reason), None)
            if not complete and now >= deadline:
                why = reason or "the workers were not running"
                self.stderr += [
                    "Run failed",
                    f"{len(waiting) or self.request.num_workers} of "
                    f"{self.request.num_workers} workers could not be placed within "
                    f"{self.request.placement_deadline:g} s: {why}",
                ]
                return self._end(RunState.FAILED, deadline)
            self._report(len(ready), reason)
            if not complete:
                return False
            self._start(ready, max(w.ready_at or now for w in ready))
        if self.state is RunState.STARTED:
            assert self.started_at is not None
            if self.lost is not None:
                when, message = self.lost
                self.stderr += ["Run failed", message]
                return self._end(RunState.FAILED, when)
            end = self.started_at + self.request.duration
            if now >= end:
                self.stdout.append("Finished run.")
                return self._end(RunState.FINISHED, end)
        return False

    def _report(self, placed: int, reason: str | None) -> None:
        if self.progress == (placed, reason):
            return
        n = self.request.num_workers
        self.stdout.append(f"Waiting for workers: Current: {placed}/{n}, Replicas: {n}/{n}")
        if reason and reason != self.progress[1]:
            self.stderr.append(f"{n - placed} of {n} workers cannot be placed: {reason}")
        self.progress = (placed, reason)

    def _start(self, workers: Sequence[Worker], when: float) -> None:
        ordered = sorted(workers, key=lambda w: _ordinal(w.name))
        hosts = ",".join(f"{w.name}.{self.set_name}" for w in ordered)
        self.state = RunState.STARTED
        self.started_at = when
        self.pods = [[w.ip, NAMESPACE, w.name, python_dict(w.labels)] for w in ordered]
        self.master_name = ordered[0].name if ordered else ""
        launcher = "mpirun --host {hosts} " if self.request.backend == "mpi" else ""
        self.command = (
            launcher.format(hosts=hosts)
            + f"{self.request.image} --run_id {self.id} --backend {self.request.backend}"
            + (" --gpu" if self.request.gpu_enabled else "")
            + (" --light" if self.request.light_target else "")
        )
        self.stdout += [str([f"{w.name}.{self.set_name}" for w in ordered]), "Started run."]

    def _end(self, state: RunState, when: float) -> bool:
        self.state = state
        self.finished_at = when
        return True

    def finish(self, state: RunState, now: float) -> None:
        """A client marks the run finished or failed."""
        if state is RunState.FAILED:
            self.stderr += ["Run failed", "marked failed by a client"]
        else:
            self.stdout.append("Finished run (marked by a client).")
        self._end(state, now)

    def lose(self, worker: str, when: float, why: str) -> None:
        """A started run's worker went away (deleted, or its node went)."""
        if self.state is RunState.STARTED and self.lost is None:
            self.lost = (when, f"worker {worker} was lost: {why}")


def _ordinal(name: str) -> int:
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


# -- the objects -------------------------------------------------------------------------------


def _labels(record: RunRecord) -> dict[str, str]:
    return {
        **WORKER_SELECTOR,
        "chart": CHART,
        "release": RELEASE,
        "heritage": "Helm",
        "set": slug(record.name),
        RUN_LABEL: str(record.id),
    }


def _selector(record: RunRecord) -> dict[str, str]:
    return {"app": "mlbench", "release": RELEASE, "set": slug(record.name)}


def statefulset(record: RunRecord, scheduler_name: str | None = None) -> dict[str, Any]:
    """The run's StatefulSet, as the dashboard's ``create_statefulset`` writes it."""
    request = record.request
    name = record.set_name
    labels = _labels(record)
    selector = _selector(record)
    limits = {
        "cpu": request.cpu_limit,
        "nvidia.com/gpu": "1" if request.gpu_enabled else "0",
    }
    bandwidth = f"{request.max_bandwidth}M"
    pod_spec: dict[str, Any] = {
        "serviceAccountName": f"{RELEASE}-mlbench-worker-sa",
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {
                            "matchExpressions": [
                                {"key": "component", "operator": "In", "values": ["worker"]}
                            ]
                        },
                        "topologyKey": "kubernetes.io/hostname",
                    }
                ]
            }
        },
        "containers": [
            {
                "name": f"{slug(request.name)}-worker",
                "image": request.image,
                "imagePullPolicy": "Always",
                "stdin": True,
                "tty": True,
                "ports": [{"name": "ssh", "containerPort": 22, "protocol": "TCP"}],
                # requests default to the limits (what the API server's defaulting does)
                "resources": {"limits": dict(limits), "requests": dict(limits)},
            }
        ],
    }
    if scheduler_name:
        pod_spec["schedulerName"] = scheduler_name
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": dict(labels)},
        "spec": {
            "replicas": request.num_workers,
            "selector": {"matchLabels": selector},
            "serviceName": name,
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {
                    "labels": dict(labels),
                    "annotations": {
                        "kubernetes.io/ingress-bandwidth": bandwidth,
                        "kubernetes.io/egress-bandwidth": bandwidth,
                    },
                },
                "spec": pod_spec,
            },
        },
    }


def headless_service(record: RunRecord) -> dict[str, Any]:
    """The run's headless Service (the workers' host names for mpirun)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": record.set_name, "namespace": NAMESPACE, "labels": _labels(record)},
        "spec": {
            "clusterIP": "None",
            "selector": _selector(record),
            "ports": [{"name": "dummy", "port": 22}],
        },
    }
