"""``client.mlbench``: the MLBench dashboard, typed and convenient, over any backend.

Keyword arguments are the dashboard's JSON fields, checked as the server checks them, so bad
input raises the same ``BadRequestError`` (naming the field) on every backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..._facade import Facade, Runner
from ..._ops import Binary
from ...errors import BadRequestError, ConflictError
from .models import (
    AllMetrics,
    KubePod,
    Metric,
    MetricPost,
    MetricSeries,
    Recorded,
    Run,
    RunRequest,
    RunState,
    metric_post,
)
from .service import MLBenchService as S
from .wire import format_date

__all__ = ["MLBenchAPI", "MLBenchMetricsAPI", "MLBenchPodsAPI", "MLBenchRunsAPI"]


def _run_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise BadRequestError("run_id must be an integer", {"run_id": "must be an integer"})
    return str(value)


def _key(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise BadRequestError(
            "pod_name_or_run_id must be a pod name or a run id",
            {"pod_name_or_run_id": "must be a non-empty string or an integer"},
        )
    return str(value)


def _kind(key: object, metric_type: str | None) -> str:
    """``metric_type``; by default ``run`` for an integer key and ``pod`` otherwise."""
    if metric_type is None:
        return "run" if isinstance(key, int) else "pod"
    if not isinstance(metric_type, str):
        raise BadRequestError(
            "metric_type must be 'pod' or 'run'", {"metric_type": "must be 'pod' or 'run'"}
        )
    return metric_type


def _since(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return format_date(value)
    raise BadRequestError("since must be a datetime or a string", {"since": "invalid"})


def _count(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequestError(f"{name} must be a non-negative integer", {name: "invalid"})
    return value


def _point(point: MetricPost | Mapping[str, Any], where: str = "") -> MetricPost:
    if isinstance(point, MetricPost):
        point = {
            "name": point.name,
            "value": point.value,
            "date": point.date,
            "metadata": point.metadata,
            "cumulative": point.cumulative,
            "run_id": point.run_id,
            "pod_name": point.pod_name,
        }
    return metric_post(point, where)


def _state(value: str | RunState) -> RunState:
    try:
        return RunState(value)
    except ValueError:
        allowed = ", ".join(s.value for s in RunState)
        raise BadRequestError(
            f"state must be one of {allowed}", {"state": f"must be one of {allowed}"}
        ) from None


def _metric(recorded: Recorded) -> Metric:
    assert recorded.metric is not None
    return recorded.metric


def _count_of(recorded: Recorded) -> int:
    return recorded.count


def _bytes(answer: Binary) -> bytes:
    return answer.content


class MLBenchPodsAPI(Facade):
    """The worker pods (pods labelled ``app=mlbench``, ``component=worker``)."""

    def list(self) -> list[KubePod]:
        """Every worker pod: name, labels, phase and IP ("" while it has none)."""
        return self._call(S.list_pods)


class MLBenchRunsAPI(Facade):
    """Benchmark runs: create, list, read, wait for, finish and delete."""

    def list(self) -> list[Run]:
        """Every run (``job_metadata`` is ``{}`` here, as on the dashboard: use ``get``)."""
        return self._call(S.list_runs)

    def get(self, run_id: int | str) -> Run:
        """One run with its ``job_metadata`` (``stdout``, ``stderr``, ``pods``, ``command``)."""
        return self._call(S.get_run, _run_id(run_id))

    def create(
        self,
        *,
        name: str,
        num_workers: int,
        num_cpus: float,
        max_bandwidth: int = 10000,
        image: str = "mlbench/mlbench_worker",
        backend: str = "mpi",
        gpu_enabled: bool = False,
        light_target: bool = False,
        duration: float = 3600.0,
        placement_deadline: float = 600.0,
    ) -> Run:
        """Start a run of ``num_workers`` worker pods with ``num_cpus`` each; it is
        ``initialized`` until they all run. ``ConflictError`` while another run is active."""
        request = RunRequest.from_dict(
            {
                "name": name,
                "num_workers": num_workers,
                "num_cpus": num_cpus,
                "max_bandwidth": max_bandwidth,
                "image": image,
                "backend": backend,
                "gpu_enabled": gpu_enabled,
                "light_target": light_target,
                "duration": duration,
                "placement_deadline": placement_deadline,
            }
        )
        return self._call(S.create_run, request)

    def delete(self, run_id: int | str) -> None:
        """Delete a run: its workers stop and its metrics (and its workers') go."""
        return self._call(S.delete_run, _run_id(run_id))

    def finish(self, run_id: int | str, *, state: str | RunState = "finished") -> Run:
        """Mark an active run ``finished`` (a started run) or ``failed``; its workers stop."""
        return self._call(S.finish_run, _run_id(run_id), _state(state).value)

    def wait(
        self,
        run_id: int | str,
        *,
        state: str | RunState = RunState.FINISHED,
        timeout: float = 30.0,
        interval: float = 0.05,
    ) -> Run:
        """Poll until the run is in ``state``; ``ConflictError`` if it ends in another state,
        ``ServiceUnavailableError`` after ``timeout`` seconds."""
        wanted = _state(state)
        key = _run_id(run_id)

        def done(run: Run) -> bool:
            if run.state is wanted:
                return True
            if not run.state.active:
                raise ConflictError(
                    f"run {key} is {run.state.value}, not {wanted.value}",
                    {"state": run.state.value},
                )
            return False

        return self._poll(
            lambda: self.get(key),
            done,
            timeout=timeout,
            interval=interval,
            what=f"run {key} to be {wanted.value}",
        )


class MLBenchMetricsAPI(Facade):
    """Pod and run metrics: record points, read series (averaged, filtered), archives."""

    def all(self) -> AllMetrics:
        """Every pod's and run's metrics, whole (runs keyed by name)."""
        return self._call(S.all_metrics)

    def get(
        self,
        pod_name_or_run_id: str | int,
        *,
        since: datetime | str | None = None,
        metric_type: str | None = None,
        summarize: int | None = None,
        metric_filter: str | None = None,
        last_n: int | None = None,
    ) -> MetricSeries:
        """A pod's (by name) or run's (by id) series by metric name, sorted by date:
        points at or after ``since``, averaged into ``summarize`` buckets, only
        ``metric_filter``, the last ``last_n``. ``metric_type`` defaults to ``run`` for an
        integer and ``pod`` otherwise. The answer is a ``dict`` with ``to_pandas()``."""
        return self._then(
            MetricSeries,
            S.get_metrics,
            _key(pod_name_or_run_id),
            _since(since),
            _kind(pod_name_or_run_id, metric_type),
            _count(summarize, "summarize"),
            metric_filter,
            _count(last_n, "last_n"),
        )

    def zip(
        self,
        pod_name_or_run_id: str | int,
        *,
        since: datetime | str | None = None,
        metric_type: str | None = None,
        summarize: int | None = None,
        metric_filter: str | None = None,
        last_n: int | None = None,
    ) -> bytes:
        """The dashboard's zip archive of a pod's or run's metrics (``result_<metric>.json``,
        and for a run ``official_result.txt`` and ``<pod>_<metric>.json``)."""
        return self._then(
            _bytes,
            S.metrics_zip,
            _key(pod_name_or_run_id),
            _kind(pod_name_or_run_id, metric_type),
            _since(since),
            _count(summarize, "summarize"),
            metric_filter,
            _count(last_n, "last_n"),
        )

    def record(
        self,
        *,
        name: str,
        value: str | float,
        run_id: int | None = None,
        pod_name: str | None = None,
        date: datetime | str | None = None,
        metadata: str = "",
        cumulative: bool = False,
    ) -> Metric:
        """Save one point of a run's (``run_id``) or a pod's (``pod_name``) metric; the
        value is kept as the string given (numbers are written with ``str``)."""
        point = _point(
            {
                "name": name,
                "value": value,
                "run_id": run_id,
                "pod_name": pod_name,
                "date": date,
                "metadata": metadata,
                "cumulative": cumulative,
            }
        )
        return self._then(_metric, S.record_metrics, [point])

    def record_batch(self, points: Iterable[MetricPost | Mapping[str, Any]]) -> int:
        """Save many points (of any runs and pods) in one call; returns how many."""
        checked = [_point(p, f"metrics[{i}].") for i, p in enumerate(points)]
        if not checked:
            raise BadRequestError("points must not be empty", {"metrics": "empty"})
        return self._then(_count_of, S.record_metrics, checked)


class MLBenchAPI(Facade):
    """The MLBench dashboard surface: ``pods``, ``runs``, ``metrics``."""

    pods: MLBenchPodsAPI
    runs: MLBenchRunsAPI
    metrics: MLBenchMetricsAPI

    def __init__(self, runner: Runner) -> None:
        super().__init__(runner)
        self.pods = MLBenchPodsAPI(runner)
        self.runs = MLBenchRunsAPI(runner)
        self.metrics = MLBenchMetricsAPI(runner)

    def root(self) -> dict[str, str]:
        """The API root: the URL of ``pods``, ``runs`` and ``metrics``."""
        return self._call(S.root, "")
