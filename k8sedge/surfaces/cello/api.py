"""``client.cello``: Cello's pool of blockchain clusters, typed, over any backend.

Users ``apply`` for a cluster and ``release`` it; ``start``, ``stop`` and ``restart`` act on
one. ``clusters`` lists (with Cello's raw filters), reads, creates and deletes clusters;
``hosts`` is the operator's side (a host is a set of the cluster's nodes that carries up to
``capacity`` blockchain clusters). Arguments are checked as the server checks them, so bad
input raises the same ``BadRequestError`` on every backend.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..._facade import Facade, Runner
from ...errors import BadRequestError
from .models import Cluster, ClusterHealth, ClusterStatus, Host, HostStatus, format_date
from .network import check_apply, check_config
from .service import CelloService as S
from .validation import host_fields

__all__ = ["CelloAPI", "ClustersAPI", "HostsAPI"]


def _identifier(value: object, field: str, missing: str = "") -> str:
    """A non-empty id; ``missing`` is the real server's message when it is empty."""
    if not isinstance(value, str):
        raise BadRequestError(f"{field} must be a string", {field: "must be a string"})
    if not value:
        message = missing or f"{field} must not be empty"
        raise BadRequestError(message, {field: "required"})
    return value


_NO_CLUSTER = "No cluster_id is given"
_NO_HOST = "host POST without enough data"
_NO_HOST_DELETE = "host delete without enough data"


def _filter(where: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A raw filter as JSON values: ``where`` and the fields given (not ``None``)."""
    if where is not None and not isinstance(where, Mapping):
        raise BadRequestError("where must be a mapping of fields", {"where": "not a mapping"})
    values = {**dict(where or {}), **{k: v for k, v in fields.items() if v is not None}}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, datetime):
            value = format_date(value)
        if not isinstance(value, str | int | float | bool | list | dict) and value is not None:
            raise BadRequestError(
                f"filter {key}: {type(value).__name__} is not a JSON value", {key: "invalid"}
            )
        out[key] = value
    return out


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise BadRequestError(f"{field} must be a string", {field: "must be a string"})
    return value


class ClustersAPI(Facade):
    """The pool's clusters: list with a raw filter, get; operators create and delete."""

    def list(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        name: str | None = None,
        user_id: str | None = None,
        host_id: str | None = None,
        network_type: str | None = None,
        consensus_plugin: str | None = None,
        consensus_mode: str | None = None,
        size: int | None = None,
        status: ClusterStatus | str | None = None,
        health: ClusterHealth | str | None = None,
        state: str | None = None,
    ) -> list[Cluster]:
        """Clusters whose fields equal the given values (``user_id=""``: the free ones);
        ``where`` is Cello's raw filter for any other field (``{"mapped_ports.rest": 7050}``,
        ``{"containers": "vp0"}``); ``state="released"`` lists the released history."""
        fields = {
            "id": id,
            "name": name,
            "user_id": user_id,
            "host_id": host_id,
            "network_type": network_type,
            "consensus_plugin": consensus_plugin,
            "consensus_mode": consensus_mode,
            "size": size,
            "status": status,
            "health": health,
            "state": state,
        }
        return self._call(S.list_clusters, _filter(where, fields))

    def get(self, cluster_id: str) -> Cluster:
        """A cluster of the pool; an unknown id is ``NotFoundError``."""
        return self._call(S.get_cluster, _identifier(cluster_id, "cluster_id"))

    def create(
        self,
        *,
        name: str,
        host_id: str,
        consensus_plugin: str,
        size: int,
        network_type: str = "fabric-0.6",
        consensus_mode: str = "",
    ) -> Cluster:
        """Create a free cluster on a host (in its lowest free port slot)."""
        check_config(
            _text(network_type, "network_type"),
            _text(consensus_plugin, "consensus_plugin"),
            _text(consensus_mode, "consensus_mode"),
            _size(size, "size"),
        )
        return self._call(
            S.create_cluster,
            _identifier(name, "name"),
            _identifier(host_id, "host_id"),
            network_type,
            consensus_plugin,
            consensus_mode,
            size,
        )

    def delete(self, cluster_id: str, *, col_name: str = "active") -> None:
        """Delete a free cluster (an applied one is ``ConflictError``), or with
        ``col_name="released"`` a record of the released history."""
        missing = "cluster operation post without enough data"
        return self._call(
            S.delete_cluster, _identifier(cluster_id, "cluster_id", missing), col_name
        )


def _size(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(
            "Invalid cluster_size" if field == "size" else f"{field} must be an integer",
            {field: "must be an integer"},
        )
    return value


class HostsAPI(Facade):
    """The operator's hosts: each a set of nodes carrying up to ``capacity`` clusters."""

    def create(
        self,
        *,
        name: str,
        worker_api: str,
        capacity: int,
        host_type: str = "docker",
        autofill: bool = False,
        schedulable: bool = True,
        log_level: str = "INFO",
        log_type: str = "local",
        log_server: str = "",
        node_selector: Mapping[str, str] | None = None,
    ) -> Host:
        """Add a host. ``node_selector`` picks its nodes by label (default: every node);
        ``autofill`` fills it with free clusters at once and keeps it full;
        ``schedulable=False`` keeps users from applying its clusters."""
        selector = dict(node_selector) if node_selector is not None else None
        host_fields(
            worker_api=_text(worker_api, "worker_api"),
            capacity=_size(capacity, "capacity"),
            host_type=host_type,
            log_level=log_level,
            log_type=log_type,
            log_server=log_server,
            node_selector=selector,
        )
        return self._call(
            S.create_host,
            _identifier(name, "name"),
            worker_api,
            capacity,
            host_type,
            bool(autofill),
            bool(schedulable),
            log_level,
            log_type,
            log_server,
            selector,
        )

    def list(
        self,
        where: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        worker_api: str | None = None,
        type: str | None = None,
        status: HostStatus | str | None = None,
        autofill: bool | None = None,
        schedulable: bool | None = None,
    ) -> list[Host]:
        """Hosts whose fields equal the given values (``status="active"``); ``where`` is
        Cello's raw filter for any other field."""
        fields = {
            "name": name,
            "worker_api": worker_api,
            "type": type,
            "status": status,
            "autofill": autofill,
            "schedulable": schedulable,
        }
        return self._call(S.list_hosts, _filter(where, fields))

    def get(self, host_id: str) -> Host:
        """One host by id; ``NotFoundError`` if there is none."""
        return self._call(S.get_host, _identifier(host_id, "host_id"))

    def update(
        self,
        host_id: str,
        *,
        name: str | None = None,
        worker_api: str | None = None,
        capacity: int | None = None,
        autofill: bool | None = None,
        schedulable: bool | None = None,
        log_level: str | None = None,
        log_type: str | None = None,
        log_server: str | None = None,
        node_selector: Mapping[str, str] | None = None,
    ) -> Host:
        """Change the given fields (``capacity`` not below the host's clusters)."""
        selector = dict(node_selector) if node_selector is not None else None
        host_fields(
            worker_api=worker_api,
            capacity=None if capacity is None else _size(capacity, "capacity"),
            log_level=log_level,
            log_type=log_type,
            log_server=log_server,
            node_selector=selector,
        )
        return self._call(
            S.update_host,
            _identifier(host_id, "host_id", "host PUT without enough data"),
            name,
            worker_api,
            capacity,
            autofill,
            schedulable,
            log_level,
            log_type,
            log_server,
            selector,
        )

    def delete(self, host_id: str) -> None:
        """Delete a host without clusters (``ConflictError`` otherwise: clean it first)."""
        return self._call(S.delete_host, _identifier(host_id, "host_id", _NO_HOST_DELETE))

    def fillup(self, host_id: str) -> Host:
        """Create free clusters up to the host's capacity."""
        return self._call(S.fillup_host, _identifier(host_id, "host_id", _NO_HOST))

    def clean(self, host_id: str) -> Host:
        """Delete the host's free clusters and turn its autofill off."""
        return self._call(S.clean_host, _identifier(host_id, "host_id", _NO_HOST))

    def reset(self, host_id: str) -> Host:
        """Recreate the host's free clusters (fresh ids, same names and ports)."""
        return self._call(S.reset_host, _identifier(host_id, "host_id", _NO_HOST))


class CelloAPI(Facade):
    """Cello's pool: ``apply``/``release`` clusters; ``clusters`` and ``hosts``."""

    clusters: ClustersAPI
    hosts: HostsAPI

    def __init__(self, runner: Runner) -> None:
        super().__init__(runner)
        self.clusters = ClustersAPI(runner)
        self.hosts = HostsAPI(runner)

    def apply(
        self,
        *,
        user_id: str,
        consensus_plugin: str | None = None,
        consensus_mode: str | None = None,
        size: int | None = None,
        allow_multiple: bool = False,
    ) -> Cluster:
        """A healthy free cluster for ``user_id`` matching the given type (or the one the
        user already holds, unless ``allow_multiple``); ``BadRequestError`` ``No available
        res for <user>`` when none is free."""
        plugin = _text(consensus_plugin or "", "consensus_plugin")
        mode = _text(consensus_mode or "", "consensus_mode")
        if size is not None:
            _size(size, "size")
        check_apply(_text(user_id, "user_id"), plugin, mode, size)
        return self._call(S.apply, user_id, plugin, mode, size, bool(allow_multiple))

    def release(self, cluster_id: str | None = None, *, user_id: str | None = None) -> None:
        """Release a cluster, or every cluster of ``user_id``: each is recorded in the
        released history and reset (a fresh cluster, same configuration and ports, back in
        the pool)."""
        if not cluster_id and not user_id:
            raise BadRequestError("No cluster_id is given", {"cluster_id": "required"})
        return self._call(
            S.release, _text(cluster_id or "", "cluster_id"), _text(user_id or "", "user_id")
        )

    def start(self, cluster_id: str) -> None:
        """Bring a stopped cluster's pods back."""
        return self._call(S.start, _identifier(cluster_id, "cluster_id", _NO_CLUSTER))

    def stop(self, cluster_id: str) -> None:
        """Remove a cluster's pods; the cluster stays (``stopped``)."""
        return self._call(S.stop, _identifier(cluster_id, "cluster_id", _NO_CLUSTER))

    def restart(self, cluster_id: str) -> None:
        """Replace a cluster's pods."""
        return self._call(S.restart, _identifier(cluster_id, "cluster_id", _NO_CLUSTER))
