"""The MLBench surface on a Kubernetes cluster.

A run is a StatefulSet named as the dashboard names it (``<run>-mlbench-worker-<release>`` in
``default``), with a headless Service of the same name where the cluster serves Services; its
pods name ``schedulerName: k8sedge-scheduler``, so the backend's engine places them (the
simulator surface's secondary scheduler). ``pods.list`` reads the pods labelled
``app=mlbench,component=worker``. A run's state follows its StatefulSet's ready replicas.
Run records and metrics are kept by the backend in its own process, where it keeps the edge
metrics (the edge mapping's ``MetricsStore``): another process does not see them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..._ops import Binary
from ...backends.kubernetes import SCHEDULER_NAME
from ...clock import Clock
from ...errors import ConflictError, NotFoundError
from .book import RunBook
from .memory import kube_pod
from .models import (
    AllMetrics,
    KubePod,
    MetricPost,
    MetricValue,
    Recorded,
    Run,
    RunRequest,
    RunState,
)
from .runs import (
    NAMESPACE,
    RUN_LABEL,
    WORKER_SELECTOR,
    RunRecord,
    Worker,
    headless_service,
    statefulset,
)
from .wire import reply

__all__ = ["KubernetesMLBench"]

STATEFULSETS = f"/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets"
SERVICES = f"/api/v1/namespaces/{NAMESPACE}/services"
PODS = f"/api/v1/namespaces/{NAMESPACE}/pods"
_SELECTOR = ",".join(f"{k}={v}" for k, v in WORKER_SELECTOR.items())


def _epoch(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _condition(pod: dict[str, Any], kind: str) -> dict[str, Any]:
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if condition.get("type") == kind:
            return dict(condition)
    return {}


class KubernetesMLBench:
    """The MLBench surface on a cluster through ``KubeRest``."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.rest = context.rest
        self.clock: Clock = context.clock
        self.lock = threading.RLock()
        self._book: RunBook | None = None
        self._services: bool | None = None

    @property
    def book(self) -> RunBook:
        """Runs and metrics, kept beside the edge mapping's metrics (made on first use: the
        backend is still building this mapping when ``__init__`` runs)."""
        if self._book is None:
            self._book = RunBook(self.context.service("edge").metrics)
        return self._book

    def _serves_services(self) -> bool:
        """Whether the cluster serves Services (a real one does; the facade does not)."""
        if self._services is None:
            listed = self.rest.request("GET", "/api/v1") or {}
            self._services = any(r.get("name") == "services" for r in listed.get("resources") or ())
        return self._services

    def _schedule(self) -> None:
        self.context.service("simulator")._schedule_pending()

    # -- the cluster -------------------------------------------------------------------------

    def _worker_pods(self, selector: str = _SELECTOR) -> list[dict[str, Any]]:
        pods: list[dict[str, Any]] = self.rest.request(
            "GET", "/api/v1/pods", query=[("labelSelector", selector)]
        )["items"]
        return pods

    def _live(self) -> dict[str, dict[str, str]]:
        return {
            p["metadata"]["name"]: dict(p["metadata"].get("labels") or {})
            for p in self._worker_pods()
        }

    def _run_pods(self, record: RunRecord) -> list[dict[str, Any]]:
        pods: list[dict[str, Any]] = self.rest.request(
            "GET", PODS, query=[("labelSelector", f"{RUN_LABEL}={record.id}")]
        )["items"]
        return pods

    def _statefulset(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.rest.request("GET", f"{STATEFULSETS}/{name}")
        except NotFoundError:
            return None
        return found

    def _workers(self, record: RunRecord) -> tuple[list[Worker], int | None]:
        """The run's workers as the cluster shows them, and its StatefulSet's ready replicas
        (None when it is gone)."""
        found = self._statefulset(record.set_name)
        pods = {p["metadata"]["name"]: p for p in self._run_pods(record)}
        status = None if found is None else found.get("status") or {}
        ready = None if status is None else int(status.get("readyReplicas") or 0)
        workers = []
        for name in record.worker_names:
            pod = pods.get(name)
            if pod is None:
                workers.append(Worker(name, reason="the worker pod does not exist yet"))
                continue
            view = kube_pod(pod)
            node = (pod.get("spec") or {}).get("nodeName")
            running = _condition(pod, "Ready")
            ready_at = None
            if node and running.get("status") == "True":
                ready_at = _epoch(running.get("lastTransitionTime")) or self.clock.now()
            scheduled = _condition(pod, "PodScheduled")
            workers.append(
                Worker(
                    name,
                    node=node,
                    ready_at=ready_at,
                    ip=view.ip,
                    labels=view.labels,
                    reason=None if node else scheduled.get("message"),
                )
            )
        return workers, ready

    def _observe(self, record: RunRecord, now: float) -> None:
        workers, ready = self._workers(record)
        if record.state is RunState.INITIALIZED and any(w.node is None for w in workers):
            self._schedule()  # pods the StatefulSet controller created since
            workers, ready = self._workers(record)
        n = record.request.num_workers
        if ready is None or ready < n:  # the StatefulSet is the authority on readiness
            if record.state is RunState.STARTED:
                lost = next((w.name for w in workers if w.ready_at is None), record.set_name)
                why = "its StatefulSet is gone" if ready is None else f"{ready}/{n} workers ready"
                record.lose(lost, now, why)
            elif all(w.ready_at is not None for w in workers):  # the pods say so; it does not
                workers = [
                    Worker(w.name, node=w.node, ip=w.ip, labels=w.labels, reason=w.reason)
                    for w in workers
                ]
        if record.observe(workers, now):
            self._stop(record)

    def _refresh(self) -> float:
        now = self.clock.now()
        for record in list(self.book.runs.values()):
            if record.state.active:
                self._observe(record, now)
        return now

    def _stop(self, record: RunRecord) -> None:
        with contextlib.suppress(NotFoundError):
            self.rest.request("DELETE", f"{STATEFULSETS}/{record.set_name}")
        if self._serves_services():
            with contextlib.suppress(NotFoundError):
                self.rest.request("DELETE", f"{SERVICES}/{record.set_name}")
        # what the garbage collector does on a cluster: the StatefulSet's pods go with it
        for pod in self._run_pods(record):
            with contextlib.suppress(NotFoundError):
                self.rest.request("DELETE", f"{PODS}/{pod['metadata']['name']}")
        self._schedule()

    # -- the operations ----------------------------------------------------------------------

    def root(self, base_url: str = "") -> dict[str, str]:
        return {name: f"{base_url}/api/{name}/" for name in ("pods", "runs", "metrics")}

    def list_pods(self) -> list[KubePod]:
        with self.lock:
            self._refresh()
            return [kube_pod(p) for p in self._worker_pods()]

    def all_metrics(self) -> AllMetrics:
        with self.lock:
            self._refresh()
            return self.book.everything(self._live())

    def metrics_zip(
        self,
        pod_name_or_run_id: str,
        metric_type: str = "pod",
        since: str | None = None,
        summarize: int | None = None,
        metric_filter: str | None = None,
        last_n: int | None = None,
    ) -> Binary:
        with self.lock:
            now = self._refresh()
            return self.book.archive(
                pod_name_or_run_id,
                self._live(),
                now,
                metric_type=metric_type,
                since=since,
                summarize=summarize,
                metric_filter=metric_filter,
                last_n=last_n,
            )

    def get_metrics(
        self,
        pod_name_or_run_id: str,
        since: str | None = None,
        metric_type: str = "pod",
        summarize: int | None = None,
        metric_filter: str | None = None,
        last_n: int | None = None,
    ) -> dict[str, list[MetricValue]]:
        with self.lock:
            self._refresh()
            return self.book.query(
                pod_name_or_run_id,
                self._live(),
                since=since,
                metric_type=metric_type,
                summarize=summarize,
                metric_filter=metric_filter,
                last_n=last_n,
            )

    def record_metrics(self, points: Sequence[MetricPost]) -> Recorded:
        with self.lock:
            live = self._live() if any(p.pod_name is not None for p in points) else {}
            return self.book.record(points, live, self.clock.now())

    def list_runs(self) -> list[Run]:
        with self.lock:
            self._refresh()
            return [r.view(full=False) for r in self.book.runs.values()]

    def create_run(self, request: RunRequest) -> Run:
        request = RunRequest.from_dict(request.to_dict())
        with self.lock:
            now = self._refresh()
            self.book.check_new()
            record = self.book.add(request, now)
            try:
                if self._statefulset(record.set_name) is not None:
                    raise reply(
                        ConflictError, f"a StatefulSet named {record.set_name} already exists"
                    )
                self.rest.request("POST", STATEFULSETS, statefulset(record, SCHEDULER_NAME))
            except BaseException:
                self.book.runs.pop(record.id, None)
                self.book.next_id -= 1
                raise
            if self._serves_services():
                self.rest.request("POST", SERVICES, headless_service(record))
            self._schedule()
            return record.view(full=False)

    def get_run(self, run_id: str) -> Run:
        with self.lock:
            self._refresh()
            return self.book.require(run_id).view(full=True)

    def delete_run(self, run_id: str) -> None:
        with self.lock:
            record = self.book.require(run_id)
            self._stop(record)
            self.book.remove(record)

    def finish_run(self, run_id: str, state: str = "finished") -> Run:
        with self.lock:
            now = self._refresh()
            record = self.book.require(run_id)
            wanted = self.book.finish_state(record, state)
            record.finish(wanted, now)
            self._stop(record)
            return record.view(full=True)
