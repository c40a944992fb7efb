"""Models of the Cello v2 API: a blockchain cluster of the pool, and a host.

Field names are the real server's JSON fields. On the wire the objects look as Cello wrote
them: every key present (``""`` for what is not set), dates as Flask's ``jsonify`` renders
them (RFC 1123: ``"Mon, 03 Jul 2017 10:00:00 GMT"``), ``duration`` as Python's
``str(timedelta)`` and a host's ``autofill``/``schedulable`` as ``"true"``/``"false"``.
Reading accepts the other eras' variants too: ``daemon_url`` for ``worker_api`` and
``fabric_version`` for ``network_type`` (v0.6), ISO dates and an integer ``duration``
(v0.9).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from attrs import field, frozen

from ..._display import Model
from ...errors import BadRequestError
from ...timeutil import parse_timestamp

__all__ = [
    "Cluster",
    "ClusterHealth",
    "ClusterStatus",
    "Host",
    "HostStatus",
    "format_date",
    "format_duration",
    "parse_date",
    "parse_duration",
]


class ClusterStatus(enum.StrEnum):
    """``creating`` until every pod is placed, then ``running``; ``stopped`` by ``stop``."""

    CREATING = "creating"
    RUNNING = "running"
    STOPPED = "stopped"
    DELETING = "deleting"


class ClusterHealth(enum.StrEnum):
    """``""`` until checked (5 s after create or start), then ``OK`` or ``FAIL``."""

    UNKNOWN = ""
    OK = "OK"
    FAIL = "FAIL"


class HostStatus(enum.StrEnum):
    """``active`` while at least one of the host's nodes is ready."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    PENDING = "pending"


# -- wire values -----------------------------------------------------------------------------


def format_date(when: datetime | None) -> str:
    """RFC 1123 in GMT, as Flask's ``jsonify`` writes datetimes; ``""`` for none."""
    if when is None:
        return ""
    return format_datetime(when.astimezone(UTC), usegmt=True)


def parse_date(value: Any) -> datetime | None:
    """RFC 1123 or ISO 8601; ``""`` and ``null`` are none."""
    if value in ("", None):
        return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise BadRequestError(f"expected a date, got {value!r}", {"date": "invalid"})
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return parse_timestamp(value)


def format_duration(value: timedelta | None) -> str:
    """``str(timedelta)`` (``"0:05:00"``, ``"1 day, 2:00:00"``), as Cello v0.7 stored it."""
    return "" if value is None else str(value)


_DURATION = re.compile(
    r"^(?:(?P<days>-?\d+) days?, )?(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?)$"
)


def parse_duration(value: Any) -> timedelta | None:
    """``str(timedelta)`` text or seconds (v0.9 stores an int); ``""`` is none."""
    if value in ("", None):
        return None
    if isinstance(value, bool):
        raise BadRequestError("expected a duration", {"duration": "invalid"})
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value).strip())
    if match is None:
        raise BadRequestError(f"expected a duration, got {value!r}", {"duration": "invalid"})
    return timedelta(
        days=int(match["days"] or 0),
        hours=int(match["h"]),
        minutes=int(match["m"]),
        seconds=float(match["s"]),
    )


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "on", "1", "yes")
    return bool(value)


def _text(data: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if value in (None, ""):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequestError(f"{key} must be an integer", {key: "invalid"}) from None


def _mapping(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise BadRequestError(f"{key} must be an object", {key: "not an object"})
    return {str(k): v for k, v in value.items()}


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise BadRequestError(f"a {what} must be a JSON object", {"body": "not an object"})
    return data


# -- objects ---------------------------------------------------------------------------------


@frozen(kw_only=True, repr=False)
class Cluster(Model):
    """A blockchain cluster of the pool: free (``user_id == ""``) or applied by a user."""

    summary = ("name", "status", "health", "user_id", "id")

    id: str
    name: str = ""
    user_id: str = ""
    host_id: str = ""
    network_type: str = ""
    consensus_plugin: str = ""
    consensus_mode: str = ""
    size: int = 0
    status: ClusterStatus = ClusterStatus.CREATING
    health: ClusterHealth = ClusterHealth.UNKNOWN
    worker_api: str = ""
    daemon_url: str = ""
    api_url: str = ""
    create_ts: datetime | None = None
    apply_ts: datetime | None = None
    release_ts: datetime | None = None
    duration: timedelta | None = None
    containers: list[str] = field(factory=list)
    mapped_ports: dict[str, int] = field(factory=dict)
    service_url: dict[str, str] = field(factory=dict)

    @property
    def free(self) -> bool:
        """Not applied by any user."""
        return self.user_id == ""

    def to_dict(self) -> dict[str, Any]:
        """The cluster as the real server writes it."""
        return {
            "id": self.id,
            "name": self.name,
            "user_id": self.user_id,
            "host_id": self.host_id,
            "network_type": self.network_type,
            "consensus_plugin": self.consensus_plugin,
            "consensus_mode": self.consensus_mode,
            "size": self.size,
            "status": self.status.value,
            "health": self.health.value,
            "worker_api": self.worker_api,
            "daemon_url": self.daemon_url,
            "api_url": self.api_url,
            "create_ts": format_date(self.create_ts),
            "apply_ts": format_date(self.apply_ts),
            "release_ts": format_date(self.release_ts),
            "duration": format_duration(self.duration),
            "containers": list(self.containers),
            "mapped_ports": dict(self.mapped_ports),
            "service_url": dict(self.service_url),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Cluster:
        """Read a cluster as any Cello era wrote it."""
        data = _object(data, "cluster")
        if not _text(data, "id"):
            raise BadRequestError("a cluster needs an id", {"id": "required"})
        try:
            return cls(
                id=_text(data, "id"),
                name=_text(data, "name"),
                user_id=_text(data, "user_id"),
                host_id=_text(data, "host_id"),
                network_type=_text(data, "network_type", "fabric_version"),
                consensus_plugin=_text(data, "consensus_plugin"),
                consensus_mode=_text(data, "consensus_mode"),
                size=_int(data, "size"),
                status=ClusterStatus(_text(data, "status") or "running"),
                health=ClusterHealth(_text(data, "health")),
                worker_api=_text(data, "worker_api", "daemon_url"),
                daemon_url=_text(data, "daemon_url", "worker_api"),
                api_url=_text(data, "api_url")
                or _api_url(str(_mapping(data, "service_url").get("rest", ""))),
                create_ts=parse_date(data.get("create_ts")),
                apply_ts=parse_date(data.get("apply_ts")),
                release_ts=parse_date(data.get("release_ts")),
                duration=parse_duration(data.get("duration")),
                containers=[str(c) for c in data.get("containers") or ()],
                mapped_ports={k: int(v) for k, v in _mapping(data, "mapped_ports").items()},
                service_url={k: str(v) for k, v in _mapping(data, "service_url").items()},
            )
        except ValueError as exc:
            raise BadRequestError(f"invalid cluster: {exc}", {"cluster": str(exc)}) from None


def _api_url(rest: str) -> str:
    return "" if not rest else rest if "://" in rest else f"http://{rest}"


@frozen(kw_only=True, repr=False)
class Host(Model):
    """A host of the pool: a set of the cluster's nodes that carries up to ``capacity``
    blockchain clusters (``node_selector`` picks the nodes; empty: every node)."""

    summary = ("name", "status", "capacity", "clusters", "id")

    id: str
    name: str = ""
    worker_api: str = ""
    capacity: int = 0
    type: str = "docker"
    status: HostStatus = HostStatus.INACTIVE
    autofill: bool = False
    schedulable: bool = False
    create_ts: datetime | None = None
    clusters: list[str] = field(factory=list)
    log_level: str = "INFO"
    log_type: str = "local"
    log_server: str = ""
    node_selector: dict[str, str] = field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The host as the real server writes it (``node_selector`` is k8sedge's)."""
        return {
            "id": self.id,
            "name": self.name,
            "worker_api": self.worker_api,
            "capacity": self.capacity,
            "type": self.type,
            "status": self.status.value,
            "autofill": "true" if self.autofill else "false",
            "schedulable": "true" if self.schedulable else "false",
            "create_ts": format_date(self.create_ts),
            "clusters": list(self.clusters),
            "log_level": self.log_level,
            "log_type": self.log_type,
            "log_server": self.log_server,
            "node_selector": dict(self.node_selector),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Host:
        """Read a host as any Cello era wrote it."""
        data = _object(data, "host")
        if not _text(data, "id"):
            raise BadRequestError("a host needs an id", {"id": "required"})
        try:
            return cls(
                id=_text(data, "id"),
                name=_text(data, "name"),
                worker_api=_text(data, "worker_api", "daemon_url"),
                capacity=_int(data, "capacity"),
                type=_text(data, "type", "host_type") or "docker",
                status=HostStatus(_text(data, "status") or "active"),
                autofill=_flag(data.get("autofill")),
                schedulable=_flag(data.get("schedulable")),
                create_ts=parse_date(data.get("create_ts")),
                clusters=[str(c) for c in data.get("clusters") or ()],
                log_level=_text(data, "log_level") or "INFO",
                log_type=_text(data, "log_type") or "local",
                log_server=_text(data, "log_server"),
                node_selector={k: str(v) for k, v in _mapping(data, "node_selector").items()},
            )
        except ValueError as exc:
            raise BadRequestError(f"invalid host: {exc}", {"host": str(exc)}) from None
