"""Models of the MLBench dashboard API (``mlbench-api.rst``): worker pods, runs and metrics.

Field names are the dashboard's JSON fields. Requests (``RunRequest``, ``MetricPost``) are
read leniently, as the dashboard's Django REST Framework views read them — JSON or form
bodies, numbers or numeric strings, the run bodies of every era — and strictly checked:
bad input is a ``BadRequestError`` naming the field, on every backend.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from attrs import field, frozen

from ..._display import Model, frame, html_table
from ...errors import BadRequestError

__all__ = [
    "BACKENDS",
    "MAX_CPUS",
    "MAX_NAME",
    "MAX_WORKERS",
    "AllMetrics",
    "KubePod",
    "Metric",
    "MetricPost",
    "MetricSeries",
    "MetricType",
    "MetricValue",
    "Recorded",
    "Run",
    "RunRequest",
    "RunState",
]

RELEASE = "k8sedge"  # the Helm release the workers belong to (``release`` label)
MAX_NAME = 100  # ModelRun.name is a CharField(max_length=100)
MAX_WORKERS = 1000
MAX_CPUS = 1000.0
MAX_METRIC_NAME = 50  # KubeMetric.name is a CharField(max_length=50)
MAX_VALUE = 255  # KubeMetric.value is a CharField(max_length=255)
BACKENDS = ("mpi", "nccl", "gloo")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off", "")


class _Shown(Model):
    """A compact repr, an HTML table in Jupyter, and ``to_dict()`` in the dashboard's wire
    form."""

    def to_dict(self) -> Any:
        """The dashboard's wire form (its date format, labels as a Python dict literal)."""
        from .wire import converter

        return converter.unstructure(self)


class RunState(enum.StrEnum):
    """A run's state: ``initialized`` until its workers run, then ``started``, then
    ``finished`` or ``failed``. Upper-case spellings (the 2018 doc's) are read too."""

    INITIALIZED = "initialized"
    STARTED = "started"
    FAILED = "failed"
    FINISHED = "finished"

    @classmethod
    def _missing_(cls, value: object) -> RunState | None:
        if isinstance(value, str) and value.lower() != value:
            return cls(value.lower())
        return None

    @property
    def active(self) -> bool:
        """Initialized or started: it holds (or waits for) workers."""
        return self in (RunState.INITIALIZED, RunState.STARTED)


class MetricType(enum.StrEnum):
    """Whose metrics ``metrics.get`` reads: a pod's (by name) or a run's (by id)."""

    POD = "pod"
    RUN = "run"


@frozen(kw_only=True, repr=False)
class KubePod(_Shown):
    """A worker pod. On the wire ``labels`` is the dashboard's Python ``str(dict)``
    (``"{'app': 'mlbench', ...}"``); here it is a dict."""

    summary = ("name", "phase", "ip")

    name: str
    labels: dict[str, str] = field(factory=dict)
    phase: str = "Pending"
    ip: str = ""

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The wire schema (``labels`` is a Python dict literal there), for OpenAPI."""
        return {
            "type": "object",
            "required": ["name", "labels", "phase", "ip"],
            "properties": {
                "name": {"type": "string"},
                "labels": {"type": "string", "description": "a Python dict literal"},
                "phase": {"type": "string"},
                "ip": {"type": "string"},
            },
        }


@frozen(kw_only=True, repr=False)
class Run(_Shown):
    """A benchmark run. ``job_metadata`` (``stdout``, ``stderr``, ``pods``, ``command``,
    ``master_name``) is filled in by ``runs.get``; lists and creation answer ``{}``, as the
    dashboard does."""

    summary = ("id", "name", "state", "num_workers")

    id: int
    name: str
    created_at: datetime
    finished_at: datetime | None = None
    state: RunState = RunState.INITIALIZED
    job_id: str = ""
    job_metadata: dict[str, Any] = field(factory=dict)
    num_workers: int | None = None


@frozen(kw_only=True, repr=False)
class MetricValue(_Shown):
    """One point of a series: its date, its value as posted (a string) and whether it is
    cumulative."""

    summary = ("date", "value")

    date: datetime
    value: str
    cumulative: bool = False

    @property
    def number(self) -> float | None:
        """The value as a float (None if it is not a number)."""
        return _number_or_none(self.value)


@frozen(kw_only=True, repr=False)
class Metric(_Shown):
    """A stored metric point with its name and metadata (the dashboard's
    ``KubeMetricsSerializer``); a recorded point also names its ``pod_name`` or ``run_id``."""

    summary = ("name", "value", "date")

    name: str
    value: str
    date: datetime
    metadata: str = ""
    cumulative: bool = False
    pod_name: str | None = None
    run_id: int | None = None


@frozen(kw_only=True, repr=False)
class AllMetrics(_Shown):
    """Every pod's and run's metrics by metric name; runs are keyed by name, as the dashboard
    keys them (a later run of the same name wins)."""

    pod_metrics: dict[str, dict[str, list[Metric]]] = field(factory=dict)
    run_metrics: dict[str, dict[str, list[Metric]]] = field(factory=dict)

    def __repr__(self) -> str:
        return f"AllMetrics({len(self.pod_metrics)} pods, {len(self.run_metrics)} runs)"

    def rows(self) -> list[dict[str, Any]]:
        """One row per point: ``kind`` (pod or run), ``owner``, ``metric``, ``date``,
        ``value``, ``number`` (the value as a float, or None) and ``cumulative``."""
        out = []
        for kind, owners in (("pod", self.pod_metrics), ("run", self.run_metrics)):
            for owner, series in owners.items():
                for metric, points in series.items():
                    for point in points:
                        out.append(
                            {
                                "kind": kind,
                                "owner": owner,
                                "metric": metric,
                                "date": point.date,
                                "value": point.value,
                                "number": _number_or_none(point.value),
                                "cumulative": point.cumulative,
                            }
                        )
        return out

    def to_pandas(self) -> Any:
        """Every point, one row each (``rows()``), as a pandas DataFrame."""
        return frame(self.rows(), _ALL_COLUMNS)

    def _repr_html_(self) -> str:
        counts = [
            (kind, owner, metric, len(points))
            for kind, owners in (("pod", self.pod_metrics), ("run", self.run_metrics))
            for owner, series in owners.items()
            for metric, points in series.items()
        ]
        return html_table(["kind", "owner", "metric", "points"], counts, caption="AllMetrics")


_ALL_COLUMNS = ["kind", "owner", "metric", "date", "value", "number", "cumulative"]
_SERIES_COLUMNS = ["metric", "date", "value", "number", "cumulative"]


def _number_or_none(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


class MetricSeries(dict[str, list[MetricValue]]):
    """What ``metrics.get`` answers: a pod's or run's series by metric name (a ``dict``),
    with ``to_pandas()`` and a table in Jupyter."""

    def rows(self) -> list[dict[str, Any]]:
        """One row per point: ``metric``, ``date``, ``value``, ``number``, ``cumulative``."""
        return [
            {
                "metric": metric,
                "date": point.date,
                "value": point.value,
                "number": _number_or_none(point.value),
                "cumulative": point.cumulative,
            }
            for metric, points in self.items()
            for point in points
        ]

    def to_pandas(self) -> Any:
        """Every point, one row each, as a pandas DataFrame (long form: pivot on ``metric``
        for one column per metric)."""
        return frame(self.rows(), _SERIES_COLUMNS)

    def _repr_html_(self) -> str:
        rows = [
            (
                metric,
                len(points),
                points[0].date if points else "",
                points[-1].value if points else "",
            )
            for metric, points in self.items()
        ]
        return html_table(["metric", "points", "first date", "last value"], rows, caption="metrics")


@frozen(kw_only=True)
class Recorded:
    """What ``POST /api/metrics/`` answers: the recorded point (one point) or how many were
    recorded (``{"count": n}``, a batch)."""

    count: int
    metric: Metric | None = None

    def to_dict(self) -> dict[str, Any]:
        from .wire import converter

        if self.metric is not None:
            data: dict[str, Any] = converter.unstructure(self.metric)
            return data
        return {"count": self.count}

    @classmethod
    def from_dict(cls, data: Any) -> Recorded:
        from .wire import converter

        if not isinstance(data, dict):
            raise BadRequestError("expected an object", {"body": "not an object"})
        if "count" in data and "name" not in data:
            count = data["count"]
            if isinstance(count, bool) or not isinstance(count, int):
                raise BadRequestError("count must be an integer", {"count": "not an integer"})
            return cls(count=count)
        return cls(count=1, metric=converter.structure(data, Metric))

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return {
            "oneOf": [
                {"$ref": "#/components/schemas/Metric"},
                {"type": "object", "properties": {"count": {"type": "integer"}}},
            ]
        }


# -- requests ----------------------------------------------------------------------------------


def _bad(field_name: str, reason: str) -> BadRequestError:
    return BadRequestError(f"{field_name}: {reason}", {field_name: reason})


def _integer(value: Any, name: str) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, "must be an integer")
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise _bad(name, "must be a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(name, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise _bad(name, "must be a finite number")
    return number


def _flag(value: Any, name: str) -> bool:
    """A boolean, or the dashboard's strings (``"true"``/``"false"``; forms send text)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise _bad(name, 'must be a boolean (or "true"/"false")')


def _text(value: Any, name: str, *, empty: bool = True, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise _bad(name, "must be a string")
    if not empty and not value.strip():
        raise _bad(name, "must not be empty")
    if limit is not None and len(value) > limit:
        raise _bad(name, f"at most {limit} characters")
    return value


@frozen(kw_only=True)
class RunRequest:
    """A new run: ``name`` (any text up to ``MAX_NAME`` characters; its Kubernetes objects
    are named after it, lower-cased, other characters as ``-``),
    ``num_workers`` pods with ``num_cpus`` each (their cpu limit, as ``"{num_cpus*1000}m"``),
    ``max_bandwidth`` (Mbit/s, the workers' bandwidth annotations), ``image``, ``backend``,
    ``gpu_enabled``, ``light_target``; and, for the simulation, ``duration`` (seconds the
    benchmark runs once its workers run) and ``placement_deadline`` (seconds it may wait for
    them before it fails)."""

    name: str
    num_workers: int
    num_cpus: float
    max_bandwidth: int = 10000
    image: str = "mlbench/mlbench_worker"
    backend: str = "mpi"
    gpu_enabled: bool = False
    light_target: bool = False
    duration: float = 3600.0
    placement_deadline: float = 600.0

    @property
    def cpu_limit(self) -> str:
        """The workers' cpu limit as the dashboard writes it (``"1000.0m"`` for one cpu)."""
        return f"{self.num_cpus * 1000}m"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "num_workers": self.num_workers,
            "num_cpus": self.num_cpus,
            "max_bandwidth": self.max_bandwidth,
            "image": self.image,
            "backend": self.backend,
            "gpu_enabled": self.gpu_enabled,
            "light_target": self.light_target,
            "duration": self.duration,
            "placement_deadline": self.placement_deadline,
        }

    @classmethod
    def from_dict(cls, data: Any) -> RunRequest:
        """Read a run body of any era (2018: ``name, num_workers, num_cpus, max_bandwidth``;
        later: ``image_name``/``custom_image_name``, ``backend``/``custom_backend``,
        ``gpu_enabled`` and ``light_target`` as ``"true"``/``"false"``), JSON or form."""
        if not isinstance(data, Mapping):
            raise BadRequestError("the run must be a JSON object", {"body": "not an object"})
        for required in ("name", "num_workers", "num_cpus"):
            if data.get(required) is None:
                raise _bad(required, "this field is required")
        name = _text(data["name"], "name", empty=False, limit=MAX_NAME)
        workers = _integer(data["num_workers"], "num_workers")
        if not 1 <= workers <= MAX_WORKERS:
            raise _bad("num_workers", f"must be between 1 and {MAX_WORKERS}")
        cpus = _number(data["num_cpus"], "num_cpus")
        if not 0.001 <= cpus <= MAX_CPUS:
            raise _bad("num_cpus", f"must be between 0.001 and {MAX_CPUS:g}")
        bandwidth = _integer(data.get("max_bandwidth", 10000), "max_bandwidth")
        if not 1 <= bandwidth <= 10**7:
            raise _bad("max_bandwidth", "must be between 1 and 10000000 (Mbit/s)")
        image = data.get("image")
        if image is None:
            image = data.get("image_name", "mlbench/mlbench_worker")
            if image == "custom_image":
                image = data.get("custom_image_name")
                if image is None:
                    raise _bad("custom_image_name", "this field is required")
                image = _text(image, "custom_image_name", empty=False, limit=100)
            image = _text(image, "image_name", empty=False, limit=100)
        image = _text(image, "image", empty=False, limit=100)
        backend = _text(data.get("backend", "mpi"), "backend").lower()
        if backend == "custom_backend":
            backend = _text(data.get("custom_backend"), "custom_backend", empty=False)
        elif backend not in BACKENDS:
            raise _bad("backend", f"must be one of {', '.join(BACKENDS)} (or custom_backend)")
        duration = _number(data.get("duration", 3600.0), "duration")
        if not 0 < duration <= 10 * 365 * 86400:
            raise _bad("duration", "must be positive (seconds, at most ten years)")
        deadline = _number(data.get("placement_deadline", 600.0), "placement_deadline")
        if not 0 < deadline <= 10 * 365 * 86400:
            raise _bad("placement_deadline", "must be positive (seconds, at most ten years)")
        return cls(
            name=name,
            num_workers=workers,
            num_cpus=cpus,
            max_bandwidth=bandwidth,
            image=image,
            backend=backend,
            gpu_enabled=_flag(data.get("gpu_enabled", False), "gpu_enabled"),
            light_target=_flag(data.get("light_target", False), "light_target"),
            duration=duration,
            placement_deadline=deadline,
        )

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["name", "num_workers", "num_cpus"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
                "num_workers": {"type": "integer", "minimum": 1, "maximum": MAX_WORKERS},
                "num_cpus": {"type": "number", "minimum": 0.001, "maximum": MAX_CPUS},
                "max_bandwidth": {"type": "integer", "default": 10000},
                "image": {"type": "string", "default": "mlbench/mlbench_worker"},
                "backend": {"type": "string", "enum": list(BACKENDS), "default": "mpi"},
                "gpu_enabled": {"type": "boolean", "default": False},
                "light_target": {"type": "boolean", "default": False},
                "duration": {"type": "number", "default": 3600.0},
                "placement_deadline": {"type": "number", "default": 600.0},
            },
        }


@frozen(kw_only=True)
class MetricPost:
    """A metric point to record: for a pod (``pod_name``) or a run (``run_id``); when both
    are given the pod wins, as in the dashboard. ``date`` defaults to now."""

    name: str
    value: str
    date: datetime | None = None
    metadata: str = ""
    cumulative: bool = False
    run_id: int | None = None
    pod_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        from .wire import format_date

        data: dict[str, Any] = {"name": self.name, "value": self.value}
        if self.date is not None:
            data["date"] = format_date(self.date)
        data["metadata"] = self.metadata
        data["cumulative"] = self.cumulative
        if self.run_id is not None:
            data["run_id"] = self.run_id
        if self.pod_name is not None:
            data["pod_name"] = self.pod_name
        return data


def metric_post(data: Any, where: str = "") -> MetricPost:
    """Read one metric body (JSON or form), checking each field; ``where`` prefixes the
    field names in errors (``"metrics[3]."``)."""
    if type(data) is dict:  # the common shape, checked inline (batches of a million points)
        get = data.get
        pod, run_id, name, value = get("pod_name"), get("run_id"), get("name"), get("value")
        date, metadata, cumulative = get("date"), get("metadata", ""), get("cumulative", False)
        owner = (pod is None and type(run_id) is int) or (type(pod) is str and pod.strip())
        if (
            owner
            and type(name) is str
            and 0 < len(name) <= MAX_METRIC_NAME
            and not name.isspace()
            and type(value) is str
            and len(value) <= MAX_VALUE
            and type(metadata) is str
            and type(cumulative) is bool
        ):
            when: datetime | None = None
            if type(date) is str:
                try:
                    when = datetime.fromisoformat(date)
                except ValueError:
                    when = None
                if when is not None:
                    zone = when.tzinfo
                    if zone is None:
                        when = when.replace(tzinfo=UTC)
                    elif zone is not UTC:
                        when = when.astimezone(UTC)
            if date is None or when is not None:
                return MetricPost(
                    name=name,
                    value=value,
                    date=when,
                    metadata=metadata,
                    cumulative=cumulative,
                    run_id=None if pod is not None else run_id,
                    pod_name=pod,
                )
    return _metric_post(data, where)


def _metric_post(data: Any, where: str) -> MetricPost:
    if not isinstance(data, Mapping):
        raise BadRequestError(
            f"{where or 'the metric'} must be an object", {where or "body": "not an object"}
        )
    pod_name = data.get("pod_name")
    run_id = data.get("run_id")
    if pod_name is None and run_id is None:
        raise BadRequestError(
            "Pod Name or run id have to be supplied",
            {"status": "Bad Request", "data": dict(data)},
        )
    if pod_name is not None:
        pod_name = _text(pod_name, f"{where}pod_name", empty=False)
        run_id = None
    else:
        run_id = _integer(run_id, f"{where}run_id")
    if data.get("name") is None:
        raise _bad(f"{where}name", "this field is required")
    name = _text(data["name"], f"{where}name", empty=False, limit=MAX_METRIC_NAME)
    value = data.get("value")
    if value is None:
        raise _bad(f"{where}value", "this field is required")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad(f"{where}value", "must be a string (or a number)")
    if not isinstance(value, str):
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(f"{where}value", "must be a finite number")
        value = str(value)
    if len(value) > MAX_VALUE:
        raise _bad(f"{where}value", f"at most {MAX_VALUE} characters")
    date = data.get("date")
    if date is not None and not isinstance(date, datetime):
        date = parse_date(date, f"{where}date")
    elif isinstance(date, datetime) and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    metadata = data.get("metadata")
    return MetricPost(
        name=name,
        value=value,
        date=date,
        metadata="" if metadata is None else _text(metadata, f"{where}metadata"),
        cumulative=_flag(data.get("cumulative", False), f"{where}cumulative"),
        run_id=run_id,
        pod_name=pod_name,
    )


def parse_date(value: Any, name: str = "date") -> datetime:
    """A date as Django's ``parse_datetime`` reads it (ISO 8601, ``T`` or a space, an
    optional offset; naive means UTC)."""
    if not isinstance(value, str):
        raise _bad(name, "must be a date string (ISO 8601)")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _bad(name, f"invalid date {value!r}: expected ISO 8601") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
