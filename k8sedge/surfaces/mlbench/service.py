"""The MLBench dashboard's operations (``mlbench-api.rst``), declared once.

The dashboard is a Django REST Framework router under ``/api/``: ``pods``, ``runs`` and
``metrics``, each path served with and without its trailing slash (the http client sends
the slash, as DRF wants). A metric archive is the router's ``.zip`` format suffix. Two
k8sedge additions: a batch of metric points (``{"metrics": [...]}``) and
``POST /api/runs/{id}/finish/`` (a client marks a run finished or failed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..._ops import Binary, op
from ...errors import BadRequestError
from .models import (
    AllMetrics,
    KubePod,
    MetricPost,
    MetricValue,
    Recorded,
    Run,
    RunRequest,
    metric_post as read_metric,
)

__all__ = ["MAX_BATCH", "MLBenchService", "MetricsBody"]

API = "/api"
METRICS = f"{API}/metrics/{{pod_name_or_run_id}}"
MAX_BATCH = 1_000_000


class MetricsBody:
    """The metrics body: one point, or ``{"metrics": [point, ...]}`` for a batch."""

    @staticmethod
    def encode(points: Sequence[MetricPost]) -> Any:
        if len(points) == 1:
            return points[0].to_dict()
        return {"metrics": [p.to_dict() for p in points]}

    @staticmethod
    def decode(body: Any) -> list[MetricPost]:
        if isinstance(body, dict) and "metrics" in body and "name" not in body:
            raw = body["metrics"]
            if not isinstance(raw, list) or not raw:
                raise BadRequestError(
                    "metrics must be a non-empty array", {"metrics": "must be a non-empty array"}
                )
            if len(raw) > MAX_BATCH:
                raise BadRequestError(
                    f"at most {MAX_BATCH:,} metrics in one batch", {"metrics": "too many"}
                )
            return [read_metric(p, f"metrics[{i}].") for i, p in enumerate(raw)]
        return [read_metric(body)]

    @staticmethod
    def schema() -> dict[str, Any]:
        point = {
            "type": "object",
            "required": ["name", "value"],
            "properties": {
                "pod_name": {"type": "string"},
                "run_id": {"type": "integer"},
                "name": {"type": "string", "maxLength": 50},
                "value": {"type": "string", "maxLength": 255},
                "date": {"type": "string", "format": "date-time"},
                "metadata": {"type": "string"},
                "cumulative": {"type": "boolean"},
            },
        }
        batch = {"type": "object", "properties": {"metrics": {"type": "array", "items": point}}}
        return {"oneOf": [point, batch]}


class MLBenchService(Protocol):
    """The MLBench dashboard: worker pods, runs and their metrics."""

    @op(
        "GET",
        f"{API}/",
        summary="The API root: the URL of each resource",
        sources={"base_url": "base_url"},
    )
    def root(self, base_url: str = "") -> dict[str, str]: ...

    @op("GET", f"{API}/pods/", summary="All worker pods, with their status")
    def list_pods(self) -> list[KubePod]: ...

    # -- metrics -----------------------------------------------------------------------------

    @op("GET", f"{API}/metrics/", summary="Get metrics of every pod and run")
    def all_metrics(self) -> AllMetrics: ...

    @op(
        "GET",
        f"{METRICS}.zip",
        summary="A pod's or run's metrics as a zip archive (the format suffix)",
        statuses=(404,),
    )
    def metrics_zip(
        self,
        pod_name_or_run_id: str,
        metric_type: str = "pod",
        since: str | None = None,
        summarize: int | None = None,
        metric_filter: str | None = None,
        last_n: int | None = None,
    ) -> Binary: ...

    @op(
        "GET",
        f"{METRICS}/",
        summary="A pod's or run's metrics (since, metric_type, summarize, metric_filter, last_n)",
        statuses=(404,),
    )
    def get_metrics(
        self,
        pod_name_or_run_id: str,
        since: str | None = None,
        metric_type: str = "pod",
        summarize: int | None = None,
        metric_filter: str | None = None,
        last_n: int | None = None,
    ) -> dict[str, list[MetricValue]]: ...

    @op(
        "POST",
        f"{API}/metrics/",
        status=201,
        summary='Save a metric (or {"metrics": [...]}, a batch)',
        codecs={"points": MetricsBody},
        statuses=(404,),
    )
    def record_metrics(self, points: Sequence[MetricPost]) -> Recorded: ...

    # -- runs --------------------------------------------------------------------------------

    @op("GET", f"{API}/runs/", summary="Gets all active, failed and finished runs")
    def list_runs(self) -> list[Run]: ...

    @op(
        "POST",
        f"{API}/runs/",
        status=201,
        summary="Starts a new run (409 while a run is active)",
        statuses=(409,),
    )
    def create_run(self, request: RunRequest) -> Run: ...

    @op("GET", f"{API}/runs/{{run_id}}/", summary="Gets a run by id", statuses=(404,))
    def get_run(self, run_id: str) -> Run: ...

    @op(
        "DELETE",
        f"{API}/runs/{{run_id}}/",
        status=204,
        summary="Deletes a run: its workers stop and its metrics go",
        statuses=(404,),
    )
    def delete_run(self, run_id: str) -> None: ...

    @op(
        "POST",
        f"{API}/runs/{{run_id}}/finish/",
        summary="Marks a run finished or failed (a k8sedge addition)",
        fields=("state",),
        statuses=(404, 409),
    )
    def finish_run(self, run_id: str, state: str = "finished") -> Run: ...
