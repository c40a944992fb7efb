"""What every backend of the pool shares: checks of requests, a container as a Pod, and a
node's facts (memory, CPUs, disks, nics, OS) derived from its Node document.

A container is a Pod in the ``k8sedge-pool`` namespace, labelled
``k8sedge.io/pool-container=<id>``, its whole create request kept in the annotation
``k8sedge.io/pool-spec`` (so it reads back losslessly), its flist as the image and its
``ports`` (``"host:container"``) as host ports, which the scheduler's NodePorts filter
checks. It asks for no resources (``CreateContainer`` has none) and never preempts.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson

from ...errors import BadRequestError, ConflictError
from ...quantity import Quantity
from ..edge.nodemap import edge_fields
from .models import (
    Container,
    ContainerCreate,
    ContainerListItem,
    ContainerStatus,
    CPUInfo,
    DiskInfo,
    MemInfo,
    NicInfo,
    ProcessSpec,
)
from .wire import pool_converter

__all__ = [
    "CONTAINER_LABEL",
    "NAMESPACE",
    "SPEC_ANNOTATION",
    "NodeFacts",
    "check_container",
    "check_signal",
    "check_spec",
    "container_view",
    "is_container",
    "list_item",
    "mem_info",
    "parse_pid",
    "pod_document",
    "pod_name",
    "spec_of",
]

NAMESPACE = "k8sedge-pool"
CONTAINER_LABEL = "k8sedge.io/pool-container"
SPEC_ANNOTATION = "k8sedge.io/pool-spec"
GIB = 1 << 30
# a Kubernetes label value: the container id is one (so kubectl can select it)
_ID = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")
_SLUG = re.compile(r"[^a-z0-9-]+")


def _bad(field: str, message: str) -> BadRequestError:
    return BadRequestError(f"{field}: {message}", {field: message})


# -- checks ----------------------------------------------------------------------------------


def check_spec(spec: ProcessSpec, field: str = "") -> None:
    """A process to start: a name, and ``KEY=VALUE`` environment entries."""
    if not spec.name.strip():
        raise _bad(f"{field}name", "is required")
    for i, entry in enumerate(spec.env):
        if "=" not in entry or entry.startswith("="):
            raise _bad(f"{field}env[{i}]", "must be KEY=VALUE")


def _port(text: str, field: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise _bad(field, "must be a port number") from None
    if not 1 <= port <= 65535:
        raise _bad(field, "must be between 1 and 65535")
    return port


def parse_ports(ports: Iterable[str]) -> list[tuple[int, int]]:
    """``"10022:22"`` → ``(10022, 22)``; ``"80"`` → ``(80, 80)``."""
    pairs = []
    seen: set[int] = set()
    for i, text in enumerate(ports):
        host, _, inner = text.partition(":")
        pair = (_port(host, f"ports[{i}]"), _port(inner or host, f"ports[{i}]"))
        if pair[0] in seen:
            raise _bad(f"ports[{i}]", f"host port {pair[0]} is given twice")
        seen.add(pair[0])
        pairs.append(pair)
    return pairs


def check_container(request: ContainerCreate) -> None:
    """What the real server's ``Validate()`` checks, and what a Pod needs."""
    if not request.id:
        raise _bad("id", "is required")
    if not _ID.match(request.id):
        raise _bad("id", "must be 1-63 letters, digits, '-', '_' or '.', starting and ending alnum")
    if not request.hostname.strip():
        raise _bad("hostname", "is required")
    if not request.flist.strip():
        raise _bad("flist", "is required")
    parse_ports(request.ports)
    for i, spec in enumerate(request.initprocesses):
        check_spec(spec, f"initprocesses[{i}].")
    for i, filesystem in enumerate(request.filesystems):
        if not filesystem.strip():
            raise _bad(f"filesystems[{i}]", "must not be empty")


def check_signal(signal: int) -> None:
    if isinstance(signal, bool) or not isinstance(signal, int) or not 1 <= signal <= 64:
        raise _bad("signal", "must be a signal number between 1 and 64")


def parse_pid(pid: str | int) -> int:
    """A process id from a path; not a positive integer is a bad request."""
    try:
        value = int(pid)
    except (TypeError, ValueError):
        raise _bad("processid", "must be an integer") from None
    if value < 1:
        raise _bad("processid", "must be positive")
    return value


# -- a container as a Pod --------------------------------------------------------------------


def pod_name(node_name: str, container_id: str) -> str:
    """A DNS-1123 name, stable for the node's name and the container id."""
    digest = hashlib.sha1(f"{node_name}/{container_id}".encode()).hexdigest()[:8]
    slug = _SLUG.sub("-", container_id.lower()).strip("-")[:40] or "c"
    return f"{slug}-{digest}"


def pod_document(node_name: str, request: ContainerCreate, *, pin: bool) -> dict[str, Any]:
    """The Pod of a container: pinned with ``nodeName`` (``pin``) or with a required node
    affinity on the node's name, which the scheduler honours."""
    container: dict[str, Any] = {"name": "corex", "image": request.flist}
    ports = parse_ports(request.ports)
    if ports:
        container["ports"] = [
            {"containerPort": inner, "hostPort": host, "protocol": "TCP"} for host, inner in ports
        ]
    spec: dict[str, Any] = {
        "containers": [container],
        "restartPolicy": "Always",
        "preemptionPolicy": "Never",
    }
    if request.host_networking:
        spec["hostNetwork"] = True
    if pin:
        spec["nodeName"] = node_name
    else:
        term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
            }
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name(node_name, request.id),
            "namespace": NAMESPACE,
            "labels": {CONTAINER_LABEL: request.id},
            "annotations": {
                SPEC_ANNOTATION: orjson.dumps(pool_converter.unstructure(request)).decode()
            },
        },
        "spec": spec,
    }


def is_container(pod: dict[str, Any]) -> bool:
    return CONTAINER_LABEL in ((pod.get("metadata") or {}).get("labels") or {})


def spec_of(pod: dict[str, Any]) -> ContainerCreate:
    """The create request kept with a container's pod (or what a pod made elsewhere with
    the label says: its label as id and hostname, its first image as flist)."""
    meta = pod.get("metadata") or {}
    raw = (meta.get("annotations") or {}).get(SPEC_ANNOTATION)
    if isinstance(raw, str):
        with contextlib.suppress(Exception):
            spec: ContainerCreate = pool_converter.structure(orjson.loads(raw), ContainerCreate)
            return spec
    cid = str((meta.get("labels") or {}).get(CONTAINER_LABEL) or meta.get("name", ""))
    containers = (pod.get("spec") or {}).get("containers") or [{}]
    return ContainerCreate(id=cid, hostname=cid, flist=str(containers[0].get("image") or ""))


def list_item(spec: ContainerCreate, status: ContainerStatus) -> ContainerListItem:
    return ContainerListItem(id=spec.id, hostname=spec.hostname, flist=spec.flist, status=status)


def container_view(spec: ContainerCreate, status: ContainerStatus, core_id: int) -> Container:
    return Container(
        id=spec.id,
        hostname=spec.hostname,
        flist=spec.flist,
        status=status,
        container_id=core_id,
        nics=list(spec.nics),
        filesystems=list(spec.filesystems),
        host_networking=spec.host_networking,
        initprocesses=list(spec.initprocesses),
        ports=list(spec.ports),
        storage=spec.storage,
    )


def unfit(node_name: str, message: str | None) -> ConflictError:
    return ConflictError(
        f"the container does not fit node {node_name}: {message or 'unschedulable'}",
        {"node": node_name},
    )


# -- a node's facts --------------------------------------------------------------------------


def _quantity(raw: Any) -> Quantity | None:
    if raw is None:
        return None
    try:
        return Quantity.coerce(raw)
    except BadRequestError:
        return None


class NodeFacts:
    """What the pool reads from a Node document."""

    def __init__(self, node: dict[str, Any]) -> None:
        fields = edge_fields(node)
        self.id = fields.node_id
        self.name = fields.name
        status = node.get("status") or {}
        capacity = status.get("capacity") or status.get("allocatable") or {}
        memory = _quantity(capacity.get("memory"))
        self.memory = max(0, memory.int_value()) if memory is not None else 0
        cpu = _quantity(capacity.get("cpu"))
        self.cpus = max(0, math.ceil(cpu.milli_value() / 1000)) if cpu is not None else 0
        storage = _quantity(capacity.get("ephemeral-storage"))
        self.storage_gib = max(0, storage.int_value() // GIB) if storage is not None else 0
        self.addresses = [
            str(a.get("address"))
            for a in status.get("addresses") or ()
            if isinstance(a, dict) and a.get("address") and a.get("type") != "Hostname"
        ] or ([fields.address] if fields.address else [])
        self.registered_at = fields.registered_at or 0.0

    def cpu_infos(self) -> list[CPUInfo]:
        return [CPUInfo() for _ in range(self.cpus)]

    def disk_infos(self) -> list[DiskInfo]:
        return [DiskInfo(size=self.storage_gib)] if self.storage_gib else []

    def nic_infos(self) -> list[NicInfo]:
        return [NicInfo(addrs=list(self.addresses))] if self.addresses else []


def mem_info(total: int, used: int) -> MemInfo:
    """Memory of a node: ``used`` (clamped to ``total``) and what follows from it."""
    used = max(0, min(used, total))
    free = total - used
    percent = 100.0 * used / total if total else 0.0
    return MemInfo(total=total, used=used, free=free, available=free, used_percent=percent)


def latest_memory(store: Any, node_id: str) -> int | None:
    """Bytes of the node's latest metrics sample's ``memory_usage`` (GiB), if any."""
    from ...memory.metrics import FIELDS

    index = store._node_index.get(node_id)
    if index is None:
        return None
    tier = store.tiers[0]  # raw samples
    size = tier.size
    field = FIELDS.index("memory_usage")
    mine = (tier.node[:size] == index) & (tier.counts[field, :size] > 0)
    if not mine.any():
        return None
    starts = tier.start[:size][mine]
    values = tier.sums[field, :size][mine] / tier.counts[field, :size][mine]
    latest = int(np.flatnonzero(starts == starts.max())[-1])  # the last one recorded
    return round(float(values[latest]) * GIB)


def pod_memory(pods: Iterable[dict[str, Any]], node_name: str) -> int:
    """The memory requested by the pods bound to ``node_name``."""
    from ...kube.translate import pod_requests

    return sum(
        pod_requests(pod.get("spec") or {}).get("memory", 0)
        for pod in pods
        if (pod.get("spec") or {}).get("nodeName") == node_name
    )
