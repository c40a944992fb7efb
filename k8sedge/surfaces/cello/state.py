"""The pool as it stands: records, their pods and the nodes, read in one pass; and the views
the API answers with.

A cluster's ``status`` and ``health`` are read from its pods, on the injectable clock:
``stopped`` when stopped; else ``running`` once every component has a pod placed on a node,
``creating`` before. ``health`` is ``""`` while stopped and until ``health_at`` (5 s after
create or start, when the real server first checks it), then ``OK`` while every component
has a pod running on a ready node, ``FAIL`` otherwise (a node went offline, a pod cannot be
placed or does not run).
A host is ``active`` while at least one of its nodes is ready.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from attrs import define, field, frozen

from ...timeutil import to_datetime
from .models import Cluster, ClusterHealth, ClusterStatus, Host, HostStatus
from .records import (
    CLUSTER_LABEL,
    COMPONENT_LABEL,
    PART_OF,
    SYSTEM,
    ClusterRecord,
    HostRecord,
    record_of,
)

__all__ = ["Live", "NodeView", "Objects", "State", "load"]

HEALTH_DELAY = 5.0  # seconds after create or start, as the real server's first check
SELECT = {"app.kubernetes.io/part-of": PART_OF["app.kubernetes.io/part-of"]}


@frozen
class NodeView:
    """A node as the pool sees it: its labels, and whether it is ready."""

    name: str
    labels: Mapping[str, str]
    ready: bool


class Objects(Protocol):
    """The objects of a Kubernetes cluster, as the pool reads and writes them: the memory
    cluster (``memory.py``) or the Kubernetes API (``kubernetes.py``)."""

    seed: int
    scheduler_name: str | None

    def transaction(self) -> AbstractContextManager[float]:
        """One operation of the pool, at the time it yields."""

    def get(self, plural: str, name: str, namespace: str | None) -> dict[str, Any] | None: ...

    def select(
        self, plural: str, namespace: str | None, labels: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Objects with these labels (of ``namespace``, or all); the caller only reads them."""

    def create(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create; an existing name is ``ConflictError``."""

    def update(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Replace; a stale ``metadata.resourceVersion`` is ``ConflictError``."""

    def delete(self, plural: str, name: str, namespace: str | None) -> None:
        """Delete if present."""

    def nodes(self, now: float) -> list[NodeView]: ...

    def settle(self) -> bool:
        """Let pending pods be scheduled (the kubernetes backend's engine runs here);
        whether anything may have changed."""

    def serves(self, plural: str) -> bool:
        """Whether the API serves this kind (Services are not served by every API)."""


@define
class Live:
    """A cluster record and what its pods say."""

    record: ClusterRecord
    status: ClusterStatus
    health: ClusterHealth
    deployments: dict[str, dict[str, Any]] = field(factory=dict)
    pending: bool = False

    @property
    def free(self) -> bool:
        return self.record.user_id == ""


@define
class State:
    now: float
    hosts: dict[str, HostRecord]
    clusters: list[Live]
    released: list[ClusterRecord]
    namespaces: set[str]  # cluster ids that have a namespace
    nodes: list[NodeView]

    def find(self, cluster_id: str) -> Live | None:
        return next((c for c in self.clusters if c.record.id == cluster_id), None)

    def of_host(self, host_id: str) -> list[Live]:
        return [c for c in self.clusters if c.record.host_id == host_id]

    def host_nodes(self, host: HostRecord) -> list[NodeView]:
        wanted = host.node_selector.items()
        return [n for n in self.nodes if all(n.labels.get(k) == v for k, v in wanted)]

    def active(self, host: HostRecord) -> bool:
        return any(n.ready for n in self.host_nodes(host))

    def free_slots(self, host: HostRecord, count: int) -> list[int]:
        """The lowest ``count`` slots no cluster of the host holds."""
        taken = {c.record.slot for c in self.of_host(host.id)}
        out: list[int] = []
        slot = 0
        while len(out) < count:
            if slot not in taken:
                out.append(slot)
            slot += 1
        return out


def load(objects: Objects, now: float) -> State:
    """Read the pool: records, pods, deployments, namespaces and nodes."""
    hosts: dict[str, HostRecord] = {}
    records: list[ClusterRecord] = []
    released: list[ClusterRecord] = []
    for config_map in objects.select("configmaps", SYSTEM, SELECT):
        kind, record = record_of(config_map)
        if isinstance(record, HostRecord):
            hosts[record.id] = record
        elif kind == "released":
            released.append(record)
        else:
            records.append(record)
    pods: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for pod in objects.select("pods", None, SELECT):
        labels = pod["metadata"].get("labels") or {}
        by_component = pods.setdefault(str(labels.get(CLUSTER_LABEL)), {})
        by_component.setdefault(str(labels.get(COMPONENT_LABEL)), []).append(pod)
    deployments: dict[str, dict[str, dict[str, Any]]] = {}
    for item in objects.select("deployments", None, SELECT):
        labels = item["metadata"].get("labels") or {}
        deployments.setdefault(str(labels.get(CLUSTER_LABEL)), {})[
            str(labels.get(COMPONENT_LABEL))
        ] = item
    namespaces = {  # those not already going (a real API keeps them a while, Terminating)
        str((n["metadata"].get("labels") or {}).get(CLUSTER_LABEL))
        for n in objects.select("namespaces", None, SELECT)
        if not n["metadata"].get("deletionTimestamp")
    }
    nodes = objects.nodes(now)
    ready = {n.name for n in nodes if n.ready}
    clusters = [
        _live(r, pods.get(r.id, {}), deployments.get(r.id, {}), ready, now)
        for r in sorted(records, key=lambda r: (r.seq, r.name))
    ]
    hosts = dict(sorted(hosts.items(), key=lambda item: (item[1].seq, item[1].name)))
    released.sort(key=lambda r: (r.release_ts or 0.0, r.seq))
    return State(now, hosts, clusters, released, namespaces, nodes)


def _live(
    record: ClusterRecord,
    pods: dict[str, list[dict[str, Any]]],
    deployments: dict[str, dict[str, Any]],
    ready: set[str],
    now: float,
) -> Live:
    names = [c.name for c in record.components]
    placed = {n: [_node(p) for p in pods.get(n, ()) if _node(p)] for n in names}
    running = {n: [_node(p) for p in pods.get(n, ()) if _running(p)] for n in names}
    pending = any(not _node(p) for ps in pods.values() for p in ps)
    if record.phase == "stopped":
        return Live(record, ClusterStatus.STOPPED, ClusterHealth.UNKNOWN, deployments, pending)
    status = ClusterStatus.RUNNING if all(placed[n] for n in names) else ClusterStatus.CREATING
    if now < record.health_at:
        health = ClusterHealth.UNKNOWN
    elif all(any(node in ready for node in running[n]) for n in names):
        health = ClusterHealth.OK
    else:
        health = ClusterHealth.FAIL
    return Live(record, status, health, deployments, pending)


def _node(pod: dict[str, Any]) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def _running(pod: dict[str, Any]) -> bool:
    return bool(_node(pod)) and (pod.get("status") or {}).get("phase") == "Running"


# -- views -----------------------------------------------------------------------------------


def _date(epoch: float | None) -> Any:
    return None if epoch is None else to_datetime(epoch)


def host_ip(worker_api: str) -> str:
    """The address in a worker API (``tcp://192.168.7.62:2375`` → ``192.168.7.62``)."""
    try:
        return urlsplit(worker_api if "://" in worker_api else f"tcp://{worker_api}").hostname or ""
    except ValueError:  # a record written by hand
        return ""


def cluster_view(record: ClusterRecord, status: ClusterStatus, health: ClusterHealth) -> Cluster:
    ports = record.ports
    ip = host_ip(record.worker_api)
    service_url = {key: f"{ip}:{port}" for key, port in ports.items()}
    duration = None
    if record.release_ts is not None:
        since = record.apply_ts if record.apply_ts is not None else record.create_ts
        duration = timedelta(seconds=round(record.release_ts - since, 6))
    return Cluster(
        id=record.id,
        name=record.name,
        user_id=record.user_id,
        host_id=record.host_id,
        network_type=record.network_type,
        consensus_plugin=record.consensus_plugin,
        consensus_mode=record.consensus_mode,
        size=record.size,
        status=status,
        health=health,
        worker_api=record.worker_api,
        daemon_url=record.worker_api,
        api_url=f"http://{service_url['rest']}",
        create_ts=_date(record.create_ts),
        apply_ts=_date(record.apply_ts),
        release_ts=_date(record.release_ts),
        duration=duration,
        containers=[c.name for c in record.components],
        mapped_ports=ports,
        service_url=service_url,
    )


def live_view(live: Live) -> Cluster:
    return cluster_view(live.record, live.status, live.health)


def released_view(record: ClusterRecord) -> Cluster:
    return cluster_view(
        record, ClusterStatus(record.status or "running"), ClusterHealth(record.health)
    )


def host_view(host: HostRecord, state: State) -> Host:
    return Host(
        id=host.id,
        name=host.name,
        worker_api=host.worker_api,
        capacity=host.capacity,
        type=host.type,
        status=HostStatus.ACTIVE if state.active(host) else HostStatus.INACTIVE,
        autofill=host.autofill,
        schedulable=host.schedulable,
        create_ts=_date(host.create_ts),
        clusters=[c.record.id for c in state.of_host(host.id)],
        log_level=host.log_level,
        log_type=host.log_type,
        log_server=host.log_server,
        node_selector=dict(host.node_selector),
    )
