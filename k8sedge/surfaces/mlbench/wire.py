"""The MLBench dashboard's wire: Django REST Framework conventions.

Dates are ``%Y-%m-%dT%H:%M:%S.%fZ`` (any ISO 8601 is read back, as the dashboard's own
answers vary); a pod's ``labels`` are the Python ``str(dict)`` the dashboard stores; run
states are read in either case. Errors are DRF's ``{"detail": …}`` (with each bad field as
``{field: [reason]}``), except where the dashboard's views answer their own
``{"status": …, "message": …}`` bodies (the 409 of a second active run, an unknown pod or
run when recording a metric, a metric without an owner).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import cattrs

from ..._wire import Dialect
from ...errors import BadRequestError, K8sEdgeError, error_for_code
from ...serde import make_converter
from .models import KubePod, Metric, MetricValue, RunState, parse_date

__all__ = ["DATE_FORMAT", "MLBenchDialect", "converter", "format_date", "python_dict", "reply"]

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
STATUS_TEXT = {400: "Bad Request", 404: "Not Found", 409: "Conflict"}
_METHOD = re.compile(r"^method (\S+) is not allowed")


def format_date(when: datetime) -> str:
    """``%Y-%m-%dT%H:%M:%S.%fZ`` in UTC, the dashboard's metric date format."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime(DATE_FORMAT)


def python_dict(labels: Mapping[str, str]) -> str:
    """Labels as the dashboard stores them: ``str(dict)``, keys in the API server's order."""
    return str(dict(sorted(labels.items())))


def _read_labels(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, dict):
            return {str(k): str(v) for k, v in parsed.items()}
    raise ValueError(f"labels must be a Python dict literal, got {value!r}")


def _read_date(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return value
    return parse_date(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a string, got {type(value).__name__}")


def make_mlbench_converter() -> cattrs.Converter:
    conv = make_converter()
    conv.register_unstructure_hook(datetime, format_date)
    conv.register_structure_hook(datetime, _read_date)
    conv.register_structure_hook(RunState, lambda value, _: RunState(str(value)))
    conv.register_unstructure_hook(
        KubePod,
        lambda pod: {
            "name": pod.name,
            "labels": python_dict(pod.labels),
            "phase": pod.phase,
            "ip": pod.ip,
        },
    )
    conv.register_structure_hook(
        KubePod,
        lambda data, _: KubePod(
            name=_text(data["name"]),
            labels=_read_labels(data.get("labels", "")),
            phase=_text(data.get("phase") or ""),
            ip=_text(data.get("ip") or ""),
        ),
    )

    def metric_out(metric: Metric) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if metric.pod_name is not None:
            out["pod_name"] = metric.pod_name
        if metric.run_id is not None:
            out["run_id"] = metric.run_id
        out.update(
            name=metric.name,
            value=metric.value,
            date=format_date(metric.date),
            metadata=metric.metadata,
            cumulative=metric.cumulative,
        )
        return out

    conv.register_unstructure_hook(Metric, metric_out)
    conv.register_structure_hook(
        Metric,
        lambda data, _: Metric(
            name=_text(data["name"]),
            value=_text(data["value"]),
            date=parse_date(data["date"]),
            metadata=_text(data.get("metadata") or ""),
            cumulative=bool(data.get("cumulative", False)),
            pod_name=data.get("pod_name"),
            run_id=data.get("run_id"),
        ),
    )
    conv.register_unstructure_hook(
        MetricValue,
        lambda point: {
            "date": format_date(point.date),
            "value": point.value,
            "cumulative": point.cumulative,
        },
    )
    conv.register_structure_hook(
        MetricValue,
        lambda data, _: MetricValue(
            date=parse_date(data["date"]),
            value=_text(data["value"]),
            cumulative=bool(data.get("cumulative", False)),
        ),
    )
    return conv


converter = make_mlbench_converter()


def reply(cls: type[K8sEdgeError], message: str, **extra: Any) -> K8sEdgeError:
    """An error the dashboard's own views answer as ``{"status", "message", …}``."""
    return cls(message, {"status": STATUS_TEXT.get(cls.status, "Error"), **extra})


class MLBenchDialect(Dialect):
    """DRF: both path spellings (with and without the trailing slash), JSON or form bodies,
    ``{"detail": …}`` errors, and the dashboard's own ``{"status", "message"}`` bodies."""

    converter = converter
    trailing_slash = True
    form_bodies = True
    prefixes = ("/api/",)

    def error(self, exc: K8sEdgeError) -> tuple[int, Any]:
        status = exc.status or 502
        if isinstance(exc.details.get("status"), str):
            extra = {k: v for k, v in exc.details.items() if k != "status"}
            return status, {"status": exc.details["status"], "message": exc.message, **extra}
        if status == 405:
            method = _METHOD.match(exc.message)
            verb = method.group(1) if method else "this"
            return status, {"detail": f'Method "{verb}" not allowed.'}
        if status == 404 and set(exc.details) == {"path"}:
            return status, {"detail": "Not found."}
        body: dict[str, Any] = {"detail": exc.message}
        if isinstance(exc, BadRequestError):
            for key, reason in exc.details.items():
                if key != "detail":
                    body[key] = [reason if isinstance(reason, str) else str(reason)]
        return status, body

    def error_schema(self) -> dict[str, Any]:
        return {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {"detail": {"type": "string"}},
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                {
                    "type": "object",
                    "required": ["status", "message"],
                    "properties": {"status": {"type": "string"}, "message": {"type": "string"}},
                },
            ]
        }

    def read_error(self, status: int, body: Any, text: str) -> K8sEdgeError | None:
        if status == 304:  # the dashboard's answer to an invalid run name or a failed delete
            return BadRequestError(
                "the server answered 304 Not Modified (MLBench's answer to an invalid run "
                "name or a run it could not delete)",
                {"status": "304"},
            )
        if status < 400:
            return None
        if not isinstance(body, dict):
            return super().read_error(status, body, text)
        cls = error_for_code(None, status)
        if isinstance(body.get("message"), str):
            details = {k: v for k, v in body.items() if k != "message"}
            return cls(body["message"], details)
        details = {
            k: "; ".join(str(r) for r in v) if isinstance(v, list) else str(v)
            for k, v in body.items()
            if k != "detail"
        }
        if isinstance(body.get("detail"), str):
            return cls(body["detail"], details)
        if details:
            first = next(iter(details.items()))
            return cls(f"{first[0]}: {first[1]}", details)
        return super().read_error(status, body, text)

    def decode(self, data: Any, annotation: Any, what: str = "request body") -> Any:
        try:
            return super().decode(data, annotation, what)
        except BadRequestError:
            raise
        except Exception as exc:  # a structure hook refused a value
            raise BadRequestError(f"invalid {what}: {exc}", {"body": str(exc)}) from None
