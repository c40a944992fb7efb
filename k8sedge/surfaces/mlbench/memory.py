"""The MLBench lens on the memory cluster.

A run is a StatefulSet in the cluster's store: the cluster's StatefulSet controller creates
its worker pods and the one scheduling queue places them, so they show in
``simulator.export()``, ``kubectl`` and the nodes' allocations like any other pod. The runs'
records and the lens's bookkeeping are a cluster extension (``mlbench``): told when a worker
is bound or deleted, moved forward on every tick, cleared by ``reset``. Metrics are the
cluster's metrics store's named series.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._ops import Binary
from ...errors import ConflictError
from ...kube.store import DELETED
from ...memory import Cluster
from ...memory.scheduling import pod_key
from .book import RunBook
from .models import (
    AllMetrics,
    KubePod,
    MetricPost,
    MetricValue,
    Recorded,
    Run,
    RunRequest,
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

__all__ = ["MLBenchState", "MemoryMLBench"]


def is_worker(pod: dict[str, Any]) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in WORKER_SELECTOR.items())


def kube_pod(pod: dict[str, Any]) -> KubePod:
    """A pod as the dashboard's pod monitor records it."""
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    return KubePod(
        name=str(meta.get("name", "")),
        labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        phase=str(status.get("phase") or "Pending"),
        ip=str(status.get("podIP") or ""),
    )


class MLBenchState:
    """The lens's state on one cluster: the run book and when each worker was bound."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.book = RunBook(cluster.metrics)
        self.ready_at: dict[str, float] = {}  # worker pod -> when it was bound

    # -- the extension protocol --------------------------------------------------------------

    def reconcile(self, now: float) -> None:
        for record in list(self.book.runs.values()):
            if record.state.active:
                self.observe(record, now)

    def pod_event(self, event: str, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        run = (meta.get("labels") or {}).get(RUN_LABEL)
        if run is None:
            return
        name = str(meta.get("name", ""))
        if event == DELETED:
            self.ready_at.pop(name, None)
            record = self.book.runs.get(int(run)) if str(run).isdigit() else None
            if record is not None and name in record.worker_names:
                node = (pod.get("spec") or {}).get("nodeName")
                why = f"its pod was deleted (it ran on {node})" if node else "its pod was deleted"
                record.lose(name, self.cluster.now(), why)
        elif (pod.get("spec") or {}).get("nodeName"):
            self.ready_at.setdefault(name, self.cluster.now())

    def node_event(self, event: str, name: str) -> None:
        """Nodes matter through their pods (a removed node's workers are deleted)."""

    def clear(self) -> None:
        self.book.clear()
        self.ready_at.clear()

    # -- runs on the cluster -----------------------------------------------------------------

    def workers(self, record: RunRecord) -> list[Worker]:
        store, queue = self.cluster.store, self.cluster.queue
        out = []
        for name in record.worker_names:
            pod = store.find("pods", name, NAMESPACE)
            if pod is None:
                out.append(Worker(name, reason="the worker pod does not exist yet"))
                continue
            view = kube_pod(pod)
            node = (pod.get("spec") or {}).get("nodeName")
            out.append(
                Worker(
                    name,
                    node=node,
                    ready_at=self.ready_at.get(name) if node else None,
                    ip=view.ip,
                    labels=view.labels,
                    reason=None if node else queue.messages.get(pod_key(pod)),
                )
            )
        return out

    def observe(self, record: RunRecord, now: float) -> None:
        if record.observe(self.workers(record), now):
            self.stop(record)

    def stop(self, record: RunRecord) -> None:
        """The workers go: the StatefulSet is deleted, and with it its pods; so does the
        run's headless Service."""
        for plural in ("statefulsets", "services"):
            found = self.cluster.store.find(plural, record.set_name, NAMESPACE)
            labels = (found or {}).get("metadata", {}).get("labels") or {}
            if found is not None and labels.get(RUN_LABEL) == str(record.id):
                self.cluster.delete(plural, record.set_name, NAMESPACE)

    def live(self) -> dict[str, dict[str, str]]:
        """The worker pods: name -> labels."""
        return {
            pod["metadata"]["name"]: dict(pod["metadata"].get("labels") or {})
            for pod in self.cluster.store.items("pods")
            if is_worker(pod)
        }


class MemoryMLBench:
    """The MLBench surface over the memory cluster's ``Cluster``."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    @property
    def state(self) -> MLBenchState:
        return self.cluster.extension("mlbench", MLBenchState)

    def root(self, base_url: str = "") -> dict[str, str]:
        return {name: f"{base_url}/api/{name}/" for name in ("pods", "runs", "metrics")}

    def list_pods(self) -> list[KubePod]:
        with self.cluster.lock:
            self.cluster.tick()
            return [kube_pod(p) for p in self.cluster.store.items("pods") if is_worker(p)]

    # -- metrics -----------------------------------------------------------------------------

    def all_metrics(self) -> AllMetrics:
        with self.cluster.lock:
            self.cluster.tick()
            state = self.state
            return state.book.everything(state.live())

    def metrics_zip(
        self,
        pod_name_or_run_id: str,
        metric_type: str = "pod",
        since: str | None = None,
        summarize: int | None = None,
        metric_filter: str | None = None,
        last_n: int | None = None,
    ) -> Binary:
        with self.cluster.lock:
            now = self.cluster.tick()
            state = self.state
            return state.book.archive(
                pod_name_or_run_id,
                state.live(),
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
        with self.cluster.lock:
            self.cluster.tick()
            state = self.state
            return state.book.query(
                pod_name_or_run_id,
                state.live(),
                since=since,
                metric_type=metric_type,
                summarize=summarize,
                metric_filter=metric_filter,
                last_n=last_n,
            )

    def record_metrics(self, points: Sequence[MetricPost]) -> Recorded:
        with self.cluster.lock:
            now = self.cluster.tick()
            state = self.state
            return state.book.record(points, state.live(), now)

    # -- runs --------------------------------------------------------------------------------

    def list_runs(self) -> list[Run]:
        with self.cluster.lock:
            self.cluster.tick()
            return [r.view(full=False) for r in self.state.book.runs.values()]

    def create_run(self, request: RunRequest) -> Run:
        request = RunRequest.from_dict(request.to_dict())  # a model built by hand is checked too
        with self.cluster.writing() as now:
            state = self.state
            book = state.book
            book.check_new()
            record = book.add(request, now)
            made: list[str] = []
            try:
                if self.cluster.store.find("statefulsets", record.set_name, NAMESPACE):
                    raise reply(
                        ConflictError, f"a StatefulSet named {record.set_name} already exists"
                    )
                self.cluster.create("statefulsets", statefulset(record))
                made.append("statefulsets")
                if self.cluster.store.find("services", record.set_name, NAMESPACE) is None:
                    self.cluster.create("services", headless_service(record))
                    made.append("services")
            except BaseException:
                for plural in reversed(made):  # nothing half-made
                    self.cluster.delete(plural, record.set_name, NAMESPACE)
                book.runs.pop(record.id, None)
                book.next_id -= 1
                raise
            return record.view(full=False)

    def get_run(self, run_id: str) -> Run:
        with self.cluster.lock:
            self.cluster.tick()
            return self.state.book.require(run_id).view(full=True)

    def delete_run(self, run_id: str) -> None:
        with self.cluster.writing():
            state = self.state
            record = state.book.require(run_id)
            state.stop(record)
            state.book.remove(record)

    def finish_run(self, run_id: str, state: str = "finished") -> Run:
        with self.cluster.writing() as now:
            lens = self.state
            record = lens.book.require(run_id)
            wanted = lens.book.finish_state(record, state)
            record.finish(wanted, now)
            lens.stop(record)
            return record.view(full=True)
