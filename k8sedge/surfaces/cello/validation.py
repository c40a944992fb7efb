"""Checks of the operators' input (hosts), shared by the facade and every backend.

The real dashboard normalises what it stores: a worker API without a scheme gets
``tcp://``, a log server without one gets ``udp://``, and ``local`` logging has no server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ...errors import BadRequestError
from .network import HOST_TYPES, LOG_LEVELS, LOG_TYPES

__all__ = ["host_fields", "parse_selector"]

# a label key (optional DNS prefix, then a name) and a label value, as Kubernetes has them
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_NAME}$")
_VALUE = re.compile(rf"^({_NAME})?$")


def parse_selector(value: Any) -> dict[str, str]:
    """A label selector (``{"key": "value"}``, or ``"key=value,…"`` from a form)."""
    if value is None:
        return {}
    if isinstance(value, str):
        pairs = [p.strip() for p in value.split(",") if p.strip()]
        if any("=" not in p for p in pairs):
            raise BadRequestError(
                "node_selector must be key=value pairs", {"node_selector": "key=value,…"}
            )
        value = dict(p.split("=", 1) for p in pairs)
    if not isinstance(value, Mapping):
        raise BadRequestError(
            "node_selector must be an object of labels", {"node_selector": "not an object"}
        )
    out: dict[str, str] = {}
    for key, label in value.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise BadRequestError(
                f"node_selector: invalid label key {key!r}", {f"node_selector.{key}": "bad key"}
            )
        if not isinstance(label, str) or not _VALUE.match(label):
            raise BadRequestError(
                f"node_selector: invalid label value {label!r}",
                {f"node_selector.{key}": "bad value"},
            )
        out[key] = label
    return out


def host_fields(
    *,
    worker_api: str | None = None,
    capacity: int | None = None,
    host_type: str | None = None,
    log_level: str | None = None,
    log_type: str | None = None,
    log_server: str | None = None,
    node_selector: Any = None,
) -> dict[str, Any]:
    """The given host fields, checked and normalised (fields given as ``None`` are left
    out)."""
    out: dict[str, Any] = {}
    if worker_api is not None:
        worker_api = worker_api.strip()
        if not worker_api:
            raise BadRequestError("worker_api must not be empty", {"worker_api": "required"})
        worker_api = worker_api if "://" in worker_api else f"tcp://{worker_api}"
        try:
            parts = urlsplit(worker_api)
            valid = bool(parts.hostname) and (parts.port is None or parts.port > 0)
        except ValueError:
            valid = False
        if not valid:
            raise BadRequestError(
                f"Invalid worker_api {worker_api!r}", {"worker_api": "e.g. tcp://10.0.0.1:2375"}
            )
        out["worker_api"] = worker_api
    if capacity is not None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise BadRequestError(
                "capacity must be a whole number of clusters", {"capacity": "an integer >= 0"}
            )
        out["capacity"] = capacity
    if host_type is not None:
        if host_type not in HOST_TYPES:
            raise BadRequestError(
                f"Invalid host_type {host_type!r}", {"host_type": f"one of {', '.join(HOST_TYPES)}"}
            )
        out["host_type"] = host_type
    if log_level is not None:
        if log_level not in LOG_LEVELS:
            raise BadRequestError(
                f"Invalid log_level {log_level!r}", {"log_level": f"one of {', '.join(LOG_LEVELS)}"}
            )
        out["log_level"] = log_level
    if log_type is not None:
        if log_type not in LOG_TYPES:
            raise BadRequestError(
                f"Invalid log_type {log_type!r}", {"log_type": f"one of {', '.join(LOG_TYPES)}"}
            )
        out["log_type"] = log_type
    if log_server is not None:
        server = log_server.strip()
        if server and "://" not in server:
            server = f"udp://{server}"
        out["log_server"] = "" if log_type == "local" else server
    if node_selector is not None:
        out["node_selector"] = parse_selector(node_selector)
    return out
