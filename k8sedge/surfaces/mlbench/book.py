"""The runs and metrics of one MLBench, shared by the memory and kubernetes backends.

A ``RunBook`` keeps the run records (ids as the dashboard's database gives them: 1, 2, 3…,
never reused) and reads and writes metrics in the metrics store's named series
(``MetricsStore.series``): a run's under ``run:<id>``, a pod's under ``pod:<name>``. The
backend tells it which worker pods exist; a pod's metrics are kept while the pod exists, and
a run's workers' metrics while the run exists (so a finished run's curves stay until it is
deleted).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ..._ops import Binary
from ...errors import BadRequestError, ConflictError, NotFoundError
from ...memory.metrics import MetricsStore, SeriesSlice, SeriesStore
from ...timeutil import to_datetime
from .models import (
    AllMetrics,
    Metric,
    MetricPost,
    MetricType,
    MetricValue,
    Recorded,
    RunRequest,
    RunState,
)
from .runs import RUN_LABEL, RunRecord
from .wire import DATE_FORMAT, reply

__all__ = ["RunBook", "micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_FILENAME = re.compile(r"[^A-Za-z0-9_.-]")
TASK_RESULT = "TaskResult @ 0"


def micros(when: datetime) -> int:
    """Microseconds since the epoch, exactly."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - EPOCH) // _ONE_US


def _date(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _run_owner(run_id: int) -> str:
    return f"run:{run_id}"


def _pod_owner(name: str) -> str:
    return f"pod:{name}"


def secure_filename(name: str) -> str:
    """The dashboard's (werkzeug's) ``secure_filename``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    for sep in ("/", "\\"):
        ascii_name = ascii_name.replace(sep, " ")
    return _FILENAME.sub("", "_".join(ascii_name.split())).strip("._")


def _django_date(us: int) -> str:
    """A date as Django's ``DjangoJSONEncoder`` writes it (milliseconds, ``Z``)."""
    text = _date(us).isoformat()
    if us % 1_000_000:
        text = text[:23] + text[26:]
    return text[:-6] + "Z"


def _check_query(
    since: str | None, summarize: int | None, last_n: int | None, metric_type: str
) -> tuple[int | None, MetricType]:
    kind = metric_type.lower() if isinstance(metric_type, str) else metric_type
    if kind not in ("pod", "run"):
        raise BadRequestError(
            "metric_type must be 'pod' or 'run'", {"metric_type": "must be 'pod' or 'run'"}
        )
    if summarize is not None and summarize < 0:
        raise BadRequestError("summarize must not be negative", {"summarize": "negative"})
    if last_n is not None and last_n < 0:
        raise BadRequestError("last_n must not be negative", {"last_n": "negative"})
    since_us = None
    if since is not None:
        try:
            parsed = datetime.strptime(since, DATE_FORMAT).replace(tzinfo=UTC)
        except (TypeError, ValueError):
            raise BadRequestError(
                f"since must be a date as {DATE_FORMAT}, e.g. 2018-08-03T09:21:44.331823Z; "
                f"got {since!r}",
                {"since": f"expected {DATE_FORMAT}"},
            ) from None
        since_us = micros(parsed)
    return since_us, MetricType(kind)


class RunBook:
    """Run records and metrics; the backend gives it the worker pods it sees."""

    def __init__(self, metrics: MetricsStore) -> None:
        self.metrics = metrics
        self.runs: dict[int, RunRecord] = {}
        self.next_id = 1
        self.pod_runs: dict[str, int | None] = {}  # pods with metrics -> their run

    @property
    def series(self) -> SeriesStore:
        return self.metrics.series  # looked up each time: a reset replaces it

    def clear(self) -> None:
        """Forget every run (ids keep growing, as a database's do)."""
        self.runs.clear()
        self.pod_runs.clear()

    # -- runs --------------------------------------------------------------------------------

    def active(self) -> RunRecord | None:
        return next((r for r in self.runs.values() if r.state.active), None)

    def check_new(self) -> None:
        """The 2018 dashboard's rule: one active run at a time (409)."""
        if self.active() is not None:
            raise reply(ConflictError, "There is already an active run")

    def add(self, request: RunRequest, now: float) -> RunRecord:
        record = RunRecord(id=self.next_id, request=request, created_at=now)
        record.stdout.append("Initializing run")
        self.runs[record.id] = record
        self.next_id += 1
        return record

    def require(self, run_id: str | int) -> RunRecord:
        number = _run_number(run_id)
        record = None if number is None else self.runs.get(number)
        if record is None:
            raise NotFoundError(f"run {run_id} not found", {"run_id": str(run_id)})
        return record

    def remove(self, record: RunRecord) -> None:
        """A deleted run: its record, its metrics and its workers' metrics go."""
        self.runs.pop(record.id, None)
        self.series.forget(_run_owner(record.id))
        for pod, owner in list(self.pod_runs.items()):
            if owner == record.id:
                del self.pod_runs[pod]
                self.series.forget(_pod_owner(pod))

    @staticmethod
    def finish_state(record: RunRecord, state: str) -> RunState:
        wanted = RunState(state) if state in ("finished", "failed", "FINISHED", "FAILED") else None
        if wanted is None:
            raise BadRequestError(
                "state must be 'finished' or 'failed'", {"state": "must be 'finished' or 'failed'"}
            )
        if not record.state.active:
            raise ConflictError(
                f"run {record.id} is already {record.state.value}", {"state": record.state.value}
            )
        if wanted is RunState.FINISHED and record.state is not RunState.STARTED:
            raise ConflictError(
                f"run {record.id} has not started: it can only be marked failed",
                {"state": record.state.value},
            )
        return wanted

    # -- pods --------------------------------------------------------------------------------

    def known_pods(self, live: Mapping[str, Mapping[str, str]]) -> list[str]:
        """Pods whose metrics can be read: the live workers, and the workers of runs that
        still exist; other gone pods' metrics are forgotten."""
        known = list(live)
        for pod, owner in list(self.pod_runs.items()):
            if pod in live:
                continue
            if owner is not None and owner in self.runs:
                known.append(pod)
            else:
                del self.pod_runs[pod]
                self.series.forget(_pod_owner(pod))
        return known

    # -- metrics -----------------------------------------------------------------------------

    def record(
        self,
        points: Sequence[MetricPost],
        live: Mapping[str, Mapping[str, str]],
        now: float,
    ) -> Recorded:
        """Save points (all or none: every owner is checked first)."""
        default_us = micros(to_datetime(now))
        groups: dict[tuple[str, str], tuple[list[int], list[str], list[bool], list[str]]] = {}
        owners: dict[str, str] = {}
        for point in points:
            pod = point.pod_name
            if pod is not None:
                owner = owners.get(pod)
                if owner is None:
                    if pod not in live:
                        raise reply(NotFoundError, "Pod not found")
                    owner = owners[pod] = _pod_owner(pod)
            else:
                key = f"#{point.run_id}"
                owner = owners.get(key)
                if owner is None:
                    if point.run_id not in self.runs:
                        raise reply(NotFoundError, "Run not found")
                    owner = owners[key] = _run_owner(int(point.run_id or 0))
            group = groups.get((owner, point.name))
            if group is None:
                group = groups[(owner, point.name)] = ([], [], [], [])
            group[0].append(default_us if point.date is None else micros(point.date))
            group[1].append(point.value)
            group[2].append(point.cumulative)
            group[3].append(point.metadata)
        for (owner, name), (dates, values, cumulative, metadata) in groups.items():
            self.series.append(owner, name, dates, values, cumulative, metadata)
        for key in owners:
            if not key.startswith("#"):
                run = _run_number(live[key].get(RUN_LABEL, ""))
                self.pod_runs[key] = run if run in self.runs else None
        if len(points) != 1:
            return Recorded(count=len(points))
        point = points[0]
        date = to_datetime(now) if point.date is None else point.date
        return Recorded(
            count=1,
            metric=Metric(
                name=point.name,
                value=point.value,
                date=date,
                metadata=point.metadata,
                cumulative=point.cumulative,
                pod_name=point.pod_name,
                run_id=point.run_id,
            ),
        )

    def _owner(
        self, key: str, kind: MetricType, live: Mapping[str, Mapping[str, str]]
    ) -> tuple[str, RunRecord | None]:
        if kind is MetricType.RUN:
            record = self.require(key)
            return _run_owner(record.id), record
        if key not in self.known_pods(live):
            raise NotFoundError(f"pod {key!r} not found", {"pod_name": key})
        return _pod_owner(key), None

    def query(
        self,
        key: str,
        live: Mapping[str, Mapping[str, str]],
        *,
        since: str | None,
        metric_type: str,
        summarize: int | None,
        metric_filter: str | None,
        last_n: int | None,
    ) -> dict[str, list[MetricValue]]:
        """``GET /api/metrics/{key}/``: each metric's points, ascending, empty ones left out."""
        since_us, kind = _check_query(since, summarize, last_n, metric_type)
        owner, _ = self._owner(key, kind, live)
        result: dict[str, list[MetricValue]] = {}
        for name in self.series.names(owner):
            if metric_filter and name != metric_filter:
                continue
            points = self.series.read(
                owner, name, since=since_us, summarize=summarize, last_n=last_n
            )
            if len(points):
                result[name] = [
                    MetricValue(date=_date(us), value=value, cumulative=cumulative)
                    for us, value, cumulative in zip(
                        points.dates.tolist(),
                        points.values,
                        points.cumulative.tolist(),
                        strict=True,
                    )
                ]
        return result

    def everything(self, live: Mapping[str, Mapping[str, str]]) -> AllMetrics:
        """``GET /api/metrics/``: every pod's and every run's metrics, whole."""

        def of(owner: str) -> dict[str, list[Metric]]:
            out: dict[str, list[Metric]] = {}
            for name in self.series.names(owner):
                points = self.series.read(owner, name)
                out[name] = [
                    Metric(name=name, value=value, date=_date(us), metadata=meta, cumulative=cum)
                    for us, value, cum, meta in zip(
                        points.dates.tolist(),
                        points.values,
                        points.cumulative.tolist(),
                        points.metadata,
                        strict=True,
                    )
                ]
            return out

        pods = {pod: of(_pod_owner(pod)) for pod in self.known_pods(live)}
        runs = {record.name: of(_run_owner(record.id)) for record in self.runs.values()}
        return AllMetrics(pod_metrics=pods, run_metrics=runs)

    def archive(
        self,
        key: str,
        live: Mapping[str, Mapping[str, str]],
        now: float,
        *,
        metric_type: str,
        since: str | None,
        summarize: int | None,
        metric_filter: str | None,
        last_n: int | None,
    ) -> Binary:
        """The dashboard's zip: ``result_<metric>.json`` for the pod or run; for a run, its
        metrics between its creation and its end, ``official_result.txt`` (the value of
        ``TaskResult @ 0``) and ``<pod>_<metric>.json`` for each of its workers."""
        since_us, kind = _check_query(since, summarize, last_n, metric_type)
        owner, record = self._owner(key, kind, live)
        until = None
        if record is not None:
            created = micros(to_datetime(record.created_at))
            since_us = created if since_us is None else max(since_us, created)
            if record.finished_at is not None:
                until = micros(to_datetime(record.finished_at))
        buffer = io.BytesIO()
        stamp = to_datetime(now).timetuple()[:6]
        with zipfile.ZipFile(buffer, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:

            def put(name: str, text: str) -> None:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text)

            def files(source: str, prefix: str) -> None:
                for name in self.series.names(source):
                    if "TaskResult" in name or (metric_filter and name != metric_filter):
                        continue
                    points = self.series.read(
                        source,
                        name,
                        since=since_us,
                        until=until,
                        summarize=summarize,
                        last_n=last_n,
                    )
                    if len(points):
                        put(f"{prefix}_{name}.json", _points_json(points))

            files(owner, "result")
            if record is not None:
                task = self.series.read(owner, TASK_RESULT)
                if len(task):
                    put("official_result.txt", task.values[-1])
                for pod in sorted(p for p, r in self.pod_runs.items() if r == record.id):
                    files(_pod_owner(pod), pod)
        filename = secure_filename(record.name if record is not None else key)
        return Binary(buffer.getvalue(), "application/octet-stream", f"metrics_{filename}.zip")


def _points_json(points: SeriesSlice) -> str:
    rows = [
        {"date": _django_date(us), "value": value, "cumulative": cumulative}
        for us, value, cumulative in zip(
            points.dates.tolist(), points.values, points.cumulative.tolist(), strict=True
        )
    ]
    return json.dumps(rows, indent=4)


def _run_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None
