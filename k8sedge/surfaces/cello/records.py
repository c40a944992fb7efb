"""The pool's records and the Kubernetes objects they are kept in, on every backend.

Records live in ConfigMaps of the namespace ``cello-system`` (so a restarted server, or
another replica, sees them): a host is ``host-<id>``; a cluster is ``cluster-<host>-<slot>``,
named by its host and port slot so that two writers can never take the same ports (the API
server refuses the second create), and replaced in place when the cluster is reset; a
released cluster is ``released-<id>``. Each holds its record as JSON under one key.

A blockchain cluster runs in its own namespace ``cello-<id>``: one Deployment per component
(``network.py``) whose pods carry the host's node selector, so the scheduler places them on
the host's nodes; a Service per component where the API serves Services.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
from attrs import asdict, define, field, fields

from ...errors import InternalError
from .network import Component, components, mapped_ports

__all__ = [
    "CLUSTER_LABEL",
    "COMPONENT_LABEL",
    "PART_OF",
    "SYSTEM",
    "ClusterRecord",
    "HostRecord",
    "cluster_config_map",
    "deployment",
    "namespace",
    "namespace_of",
    "new_id",
    "record_of",
    "service",
]

SYSTEM = "cello-system"
P = "cello.k8sedge.io/"
KIND_LABEL = f"{P}record"
HOST_LABEL = f"{P}host"
ID_LABEL = f"{P}id"
CLUSTER_LABEL = f"{P}cluster"
COMPONENT_LABEL = f"{P}component"
RESTARTED = f"{P}restarted"
PART_OF = {"app.kubernetes.io/part-of": "cello", "app.kubernetes.io/managed-by": "k8sedge"}
STANDARD_PORTS = mapped_ports(0)  # what the containers listen on


def new_id() -> str:
    """A record id, as Cello makes them (``uuid4().hex``)."""
    return uuid.uuid4().hex


def sequence() -> int:
    """An order of creation that holds across processes (nanoseconds)."""
    return time.time_ns()


@define(kw_only=True)
class HostRecord:
    id: str
    name: str
    worker_api: str
    capacity: int
    type: str
    autofill: bool
    schedulable: bool
    log_level: str
    log_type: str
    log_server: str
    node_selector: dict[str, str] = field(factory=dict)
    create_ts: float = 0.0
    seq: int = 0
    rv: str = field(default="", metadata={"stored": False})  # its ConfigMap's version


@define(kw_only=True)
class ClusterRecord:
    id: str
    name: str
    host_id: str
    slot: int
    network_type: str
    consensus_plugin: str
    consensus_mode: str
    size: int
    worker_api: str
    user_id: str = ""
    create_ts: float = 0.0
    apply_ts: float | None = None
    release_ts: float | None = None
    phase: str = "running"  # running | stopped (what the user asked for)
    health_at: float = 0.0  # when health is first checked (5 s after create or start)
    restarts: int = 0
    seq: int = 0
    # a released record keeps what the cluster was at its release
    status: str = ""
    health: str = ""
    rv: str = field(default="", metadata={"stored": False})

    @property
    def components(self) -> tuple[Component, ...]:
        return components(self.network_type, self.consensus_plugin, self.consensus_mode, self.size)

    @property
    def ports(self) -> dict[str, int]:
        return mapped_ports(self.slot)


_KINDS: dict[str, type[HostRecord] | type[ClusterRecord]] = {
    "host": HostRecord,
    "cluster": ClusterRecord,
    "released": ClusterRecord,
}


def _stored(record: HostRecord | ClusterRecord) -> str:
    data = asdict(record, filter=lambda a, _: a.metadata.get("stored", True))
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def _config_map(name: str, kind: str, record: HostRecord | ClusterRecord) -> dict[str, Any]:
    labels = {**PART_OF, KIND_LABEL: kind, ID_LABEL: record.id}
    if isinstance(record, ClusterRecord):
        labels[HOST_LABEL] = record.host_id
    metadata: dict[str, Any] = {"name": name, "namespace": SYSTEM, "labels": labels}
    if record.rv:
        metadata["resourceVersion"] = record.rv
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {f"{kind}.json": _stored(record)},
    }


def host_config_map(record: HostRecord) -> dict[str, Any]:
    return _config_map(f"host-{record.id}", "host", record)


def cluster_config_map(record: ClusterRecord) -> dict[str, Any]:
    """The record of the cluster in its host's slot."""
    return _config_map(f"cluster-{record.host_id}-{record.slot}", "cluster", record)


def released_config_map(record: ClusterRecord) -> dict[str, Any]:
    return _config_map(f"released-{record.id}", "released", record)


def record_of(config_map: dict[str, Any]) -> tuple[str, HostRecord | ClusterRecord]:
    """``(kind, record)`` of one of the pool's ConfigMaps."""
    meta = config_map.get("metadata") or {}
    kind = str((meta.get("labels") or {}).get(KIND_LABEL, ""))
    cls = _KINDS.get(kind)
    raw = (config_map.get("data") or {}).get(f"{kind}.json")
    if cls is None or not isinstance(raw, str):
        raise InternalError(f"not a Cello record: ConfigMap {meta.get('name')!r}", {})
    data = orjson.loads(raw)
    known = {a.name for a in fields(cls)}
    record = cls(**{k: v for k, v in data.items() if k in known})
    record.rv = str(meta.get("resourceVersion") or "")
    return kind, record


# -- the cluster's workload ------------------------------------------------------------------


def namespace_of(cluster_id: str) -> str:
    return f"cello-{cluster_id}"


def _labels(record: ClusterRecord) -> dict[str, str]:
    return {**PART_OF, CLUSTER_LABEL: record.id, HOST_LABEL: record.host_id}


def namespace(record: ClusterRecord) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace_of(record.id), "labels": _labels(record)},
    }


def deployment(
    record: ClusterRecord,
    component: Component,
    node_selector: dict[str, str],
    scheduler_name: str | None,
) -> dict[str, Any]:
    """One component's Deployment: one replica while the cluster runs, none when stopped."""
    labels = {**_labels(record), COMPONENT_LABEL: component.name}
    container: dict[str, Any] = {
        "name": component.name,
        "image": component.image,
        "resources": {"requests": {"cpu": component.cpu, "memory": component.memory}},
    }
    if component.ports:
        container["ports"] = [
            {"name": key, "containerPort": STANDARD_PORTS[key], "protocol": "TCP"}
            for key in component.ports
        ]
    if component.env:
        container["env"] = [{"name": k, "value": v} for k, v in component.env.items()]
    pod_spec: dict[str, Any] = {"containers": [container]}
    if node_selector:
        pod_spec["nodeSelector"] = dict(node_selector)
    if scheduler_name:
        pod_spec["schedulerName"] = scheduler_name
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": component.name,
            "namespace": namespace_of(record.id),
            "labels": labels,
        },
        "spec": {
            "replicas": 1 if record.phase == "running" else 0,
            "selector": {"matchLabels": {k: labels[k] for k in (CLUSTER_LABEL, COMPONENT_LABEL)}},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {RESTARTED: str(record.restarts)},
                },
                "spec": pod_spec,
            },
        },
    }


def service(record: ClusterRecord, component: Component) -> dict[str, Any]:
    """A component's Service, on the ports it serves (mapped ports as the service ports)."""
    ports = record.ports
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": component.name,
            "namespace": namespace_of(record.id),
            "labels": {**_labels(record), COMPONENT_LABEL: component.name},
        },
        "spec": {
            "selector": {CLUSTER_LABEL: record.id, COMPONENT_LABEL: component.name},
            "ports": [
                {
                    "name": key,
                    "port": ports[key],
                    "targetPort": STANDARD_PORTS[key],
                    "protocol": "TCP",
                }
                for key in component.ports
            ],
        },
    }
