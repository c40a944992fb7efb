"""Validation of the Service, PodDisruptionBudget and CronJob kinds (their fields the
cluster reads), as the API server validates them: each problem a ``(field, message)``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["kind_causes"]

_SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
_PERCENT = re.compile(r"^\d+%$")


def _int_or_percent(value: Any, field: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, bool) or not isinstance(value, int | str):
        yield field, f"Invalid value: {value!r}: must be an integer or a percentage"
    elif isinstance(value, int) and value < 0:
        yield field, f"Invalid value: {value}: must be greater than or equal to 0"
    elif isinstance(value, str) and not _PERCENT.match(value):
        yield (
            field,
            f"Invalid value: {value!r}: a valid percent string must be a numeric string "
            "followed by an ending '%'",
        )
    elif isinstance(value, str) and int(value[:-1]) > 100:
        yield field, f"Invalid value: {value!r}: must be no greater than 100%"


def _service(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    kind = spec.get("type", "ClusterIP")
    if kind not in _SERVICE_TYPES:
        yield (
            "spec.type",
            f"Unsupported value: {kind!r}: supported values: "
            + ", ".join(f'"{t}"' for t in _SERVICE_TYPES),
        )
        return
    if kind == "ExternalName" and not spec.get("externalName"):
        yield "spec.externalName", "Required value"
    ports = spec.get("ports")
    if ports is not None and (
        not isinstance(ports, list) or not all(isinstance(p, dict) for p in ports)
    ):
        yield "spec.ports", "must be an array of objects"
        return
    if not ports and kind != "ExternalName" and spec.get("clusterIP") != "None":
        yield "spec.ports", "Required value"
    for i, port in enumerate(ports or ()):
        number = port.get("port")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
            yield (
                f"spec.ports[{i}].port",
                f"Invalid value: {number!r}: must be between 1 and 65535, inclusive",
            )
        if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
            yield f"spec.ports[{i}].protocol", f"Unsupported value: {port.get('protocol')!r}"
        if len(ports or ()) > 1 and not port.get("name"):
            yield f"spec.ports[{i}].name", "Required value"
    for key in ("clusterIP", "externalName"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            yield f"spec.{key}", "must be a string"
    if spec.get("selector") is not None and not isinstance(spec["selector"], dict):
        yield "spec.selector", "must be an object"


def _budget(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        yield "spec", "Invalid value: minAvailable and maxUnavailable cannot be both set"
    for key in ("minAvailable", "maxUnavailable"):
        if spec.get(key) is not None:
            yield from _int_or_percent(spec[key], f"spec.{key}")
    selector = spec.get("selector")
    if selector is not None and not isinstance(selector, dict):
        yield "spec.selector", "must be an object"
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in ("IfHealthyBudget", "AlwaysAllow"):
        yield "spec.unhealthyPodEvictionPolicy", f"Unsupported value: {policy!r}"


def _cronjob(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    from .cronjobs import schedule_problem

    problem = schedule_problem(spec.get("schedule"), spec.get("timeZone"))
    if problem is not None:
        field = "spec.timeZone" if problem.startswith("unknown time zone") else "spec.schedule"
        yield field, problem
    policy = spec.get("concurrencyPolicy")
    if policy is not None and policy not in ("Allow", "Forbid", "Replace"):
        yield "spec.concurrencyPolicy", f"Unsupported value: {policy!r}"
    template = spec.get("jobTemplate")
    if template is None:
        yield "spec.jobTemplate", "Required value"
    elif not isinstance(template, dict) or not isinstance(template.get("spec") or {}, dict):
        yield "spec.jobTemplate", "must be an object"
    for key in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        value = spec.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            yield f"spec.{key}", "must be a non-negative integer"


def kind_causes(plural: str, obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The problems of a Service, PodDisruptionBudget or CronJob (none for other kinds)."""
    spec = obj.get("spec") or {}
    if plural == "services":
        yield from _service(spec)
    elif plural == "poddisruptionbudgets":
        yield from _budget(spec)
    elif plural == "cronjobs":
        yield from _cronjob(spec)
