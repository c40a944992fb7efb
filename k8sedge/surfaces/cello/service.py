"""Cello's operations (``cello-api-v2.md``; the real server in ``seed-apis.md`` §C), declared
once.

The user API is under ``/v2``: ``/cluster_op`` is one path whose ``action`` (in the query, a
form or a JSON body) picks the operation, answered for GET and POST alike; ``/clusters``
takes a raw filter (the query of a GET, the body of a POST); ``/cluster/{id}`` reads one.
The operator's API is the real dashboard's, under ``/api``: hosts (``/api/host``,
``/api/hosts``, ``/api/host_op``) and cluster creation and deletion (``/api/cluster``); the
dashboard also answers the cluster routes under ``/api``. Every answer is Cello's envelope
(``__init__.py``).
"""

from __future__ import annotations

from typing import Any, Protocol

from ..._ops import op
from .models import Cluster, Host

__all__ = ["CelloService"]

V2 = "/v2"
OP = f"{V2}/cluster_op"
_ANY = "any"
_APPLY = {k: _ANY for k in ("user_id", "consensus_plugin", "consensus_mode", "size")}
_APPLY["allow_multiple"] = _ANY
_BY_CLUSTER = {"cluster_id": _ANY}
_BOTH = ("GET",)
_DASHBOARD_OP = ("/api/cluster_op",)


def _empty_data(result: Any, query: Any) -> Any:
    """The documented answer of a release: ``"data": ""``."""
    return ""


class CelloService(Protocol):
    """Cello's pool: users apply and release clusters; operators manage hosts and clusters."""

    # -- users: /v2/cluster_op ---------------------------------------------------------------

    @op(
        "POST",
        OP,
        action="apply",
        other_methods=_BOTH,
        aliases=_DASHBOARD_OP,
        sources=_APPLY,
        summary="Apply a cluster for a user (action=apply)",
        blocking=True,
    )
    def apply(
        self,
        user_id: str = "",
        consensus_plugin: str = "",
        consensus_mode: str = "",
        size: int | None = None,
        allow_multiple: bool = False,
    ) -> Cluster: ...

    @op(
        "POST",
        OP,
        action="release",
        other_methods=_BOTH,
        aliases=_DASHBOARD_OP,
        sources={"cluster_id": _ANY, "user_id": _ANY},
        render=_empty_data,
        summary="Release a cluster, or every cluster of a user (action=release)",
        blocking=True,
    )
    def release(self, cluster_id: str = "", user_id: str = "") -> None: ...

    @op(
        "POST",
        OP,
        action="start",
        other_methods=_BOTH,
        aliases=_DASHBOARD_OP,
        sources=_BY_CLUSTER,
        summary="Start a stopped cluster (action=start)",
        blocking=True,
    )
    def start(self, cluster_id: str = "") -> None: ...

    @op(
        "POST",
        OP,
        action="stop",
        other_methods=_BOTH,
        aliases=_DASHBOARD_OP,
        sources=_BY_CLUSTER,
        summary="Stop a cluster: its pods go, the cluster stays (action=stop)",
        blocking=True,
    )
    def stop(self, cluster_id: str = "") -> None: ...

    @op(
        "POST",
        OP,
        action="restart",
        other_methods=_BOTH,
        aliases=_DASHBOARD_OP,
        sources=_BY_CLUSTER,
        summary="Restart a cluster's pods (action=restart)",
        blocking=True,
    )
    def restart(self, cluster_id: str = "") -> None: ...

    # -- users: /v2/clusters, /v2/cluster/{id} -----------------------------------------------

    @op(
        "POST",
        f"{V2}/clusters",
        other_methods=_BOTH,
        aliases=("/api/clusters",),
        sources={"filter": "params"},
        summary="List clusters matching a raw filter (any cluster field; state=released "
        "lists the released ones)",
        blocking=True,
    )
    def list_clusters(self, filter: dict[str, Any]) -> list[Cluster]: ...

    @op(
        "GET",
        f"{V2}/cluster/{{cluster_id}}",
        aliases=("/api/cluster/{cluster_id}",),
        summary="Get a cluster",
        statuses=(404,),
        blocking=True,
    )
    def get_cluster(self, cluster_id: str) -> Cluster: ...

    # -- operators: clusters -----------------------------------------------------------------

    @op(
        "POST",
        "/api/cluster",
        status=201,
        fields=("name", "host_id", "network_type", "consensus_plugin", "consensus_mode", "size"),
        summary="Create a cluster on a host",
        blocking=True,
    )
    def create_cluster(
        self,
        name: str = "",
        host_id: str = "",
        network_type: str = "",
        consensus_plugin: str = "",
        consensus_mode: str = "",
        size: int | None = None,
    ) -> Cluster: ...

    @op(
        "DELETE",
        "/api/cluster",
        fields=("cluster_id", "col_name"),
        wire={"cluster_id": "id"},
        summary="Delete a free cluster (col_name=active) or a released record (released)",
        blocking=True,
    )
    def delete_cluster(self, cluster_id: str = "", col_name: str = "active") -> None: ...

    # -- operators: hosts --------------------------------------------------------------------

    @op(
        "POST",
        "/api/host",
        status=201,
        fields=(
            "name",
            "worker_api",
            "capacity",
            "host_type",
            "autofill",
            "schedulable",
            "log_level",
            "log_type",
            "log_server",
            "node_selector",
        ),
        summary="Create a host (a set of the cluster's nodes); autofill fills it at once",
        blocking=True,
    )
    def create_host(
        self,
        name: str = "",
        worker_api: str = "",
        capacity: int | None = None,
        host_type: str = "docker",
        autofill: bool = False,
        schedulable: bool = False,
        log_level: str = "INFO",
        log_type: str = "local",
        log_server: str = "",
        node_selector: dict[str, str] | None = None,
    ) -> Host: ...

    @op(
        "GET",
        "/api/hosts",
        sources={"filter": "params"},
        summary="List hosts matching a raw filter",
        blocking=True,
    )
    def list_hosts(self, filter: dict[str, Any]) -> list[Host]: ...

    @op(
        "GET",
        "/api/host/{host_id}",
        summary="Get a host",
        statuses=(404,),
        blocking=True,
    )
    def get_host(self, host_id: str) -> Host: ...

    @op(
        "PUT",
        "/api/host",
        fields=(
            "host_id",
            "name",
            "worker_api",
            "capacity",
            "autofill",
            "schedulable",
            "log_level",
            "log_type",
            "log_server",
            "node_selector",
        ),
        wire={"host_id": "id"},
        summary="Update a host",
        blocking=True,
    )
    def update_host(
        self,
        host_id: str = "",
        name: str | None = None,
        worker_api: str | None = None,
        capacity: int | None = None,
        autofill: bool | None = None,
        schedulable: bool | None = None,
        log_level: str | None = None,
        log_type: str | None = None,
        log_server: str | None = None,
        node_selector: dict[str, str] | None = None,
    ) -> Host: ...

    @op(
        "DELETE",
        "/api/host",
        fields=("host_id",),
        wire={"host_id": "id"},
        summary="Delete a host without clusters",
        statuses=(409,),
        blocking=True,
    )
    def delete_host(self, host_id: str = "") -> None: ...

    @op(
        "POST",
        "/api/host_op",
        action="fillup",
        fields=("host_id",),
        wire={"host_id": "id"},
        summary="Fill a host with free clusters up to its capacity (action=fillup)",
        blocking=True,
    )
    def fillup_host(self, host_id: str = "") -> Host: ...

    @op(
        "POST",
        "/api/host_op",
        action="clean",
        fields=("host_id",),
        wire={"host_id": "id"},
        summary="Delete a host's free clusters and turn autofill off (action=clean)",
        blocking=True,
    )
    def clean_host(self, host_id: str = "") -> Host: ...

    @op(
        "POST",
        "/api/host_op",
        action="reset",
        fields=("host_id",),
        wire={"host_id": "id"},
        summary="Recreate a host's free clusters (action=reset)",
        blocking=True,
    )
    def reset_host(self, host_id: str = "") -> Host: ...
