"""The pool surface on a Kubernetes cluster.

Pool nodes are the cluster's Nodes (``id`` as the edge lens reads it: the
``k8sedge.io/id`` label, else the uid); a node is ``halted`` while the edge lens sees it
offline or its Ready condition is not True. ``mem`` comes from the Node's capacity and the
edge backend's latest metrics sample, else the memory requested by the pods bound to it.
Containers are Pods in ``k8sedge-pool`` labelled ``k8sedge.io/pool-container`` and pinned
with ``nodeName``, after the engine (with the cluster's scheduler configuration) has said
they fit. Reboots, starting and stopping containers, processes and jobs have no faithful
Kubernetes mapping (a kubelet runs and restarts containers; nothing reboots a node through
the API) and raise ``UnsupportedError`` naming the operation.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ...backends.kubernetes import SCHEDULER_NAME
from ...engine import NodeTable, Scheduler
from ...errors import ConflictError, NotFoundError, UnsupportedError
from ...kube.translate import pod_request, sync_node
from ...memory.nodes import UNREACHABLE
from ..edge.models import NodeStatus as EdgeStatus
from ..edge.nodemap import EDGE_LABEL, edge_fields
from .models import (
    Container,
    ContainerCreate,
    ContainerListItem,
    ContainerStatus,
    CoreState,
    CPUInfo,
    DiskInfo,
    JobListItem,
    JobResult,
    MemInfo,
    NicInfo,
    NodeStatus,
    OSInfo,
    PoolNode,
    Process,
    ProcessSpec,
)
from .views import (
    CONTAINER_LABEL,
    NAMESPACE,
    NodeFacts,
    check_container,
    check_signal,
    check_spec,
    container_view,
    latest_memory,
    list_item,
    mem_info,
    parse_pid,
    pod_document,
    pod_memory,
    spec_of,
    unfit,
)

__all__ = ["KubernetesPool"]

PODS = f"/api/v1/namespaces/{NAMESPACE}/pods"


def _unsupported(operation: str, why: str) -> UnsupportedError:
    return UnsupportedError(
        f"{operation}: not supported on the kubernetes backend ({why}; "
        "docs/backends/kubernetes.md)",
        {"operation": operation},
    )


_PROCESSES = "a container's processes and jobs are not Kubernetes objects"


def _epoch(text: Any) -> float | None:
    from ..edge.nodemap import _epoch as parse

    return parse(text)


class KubernetesPool:
    """Implements ``PoolService`` on a cluster through ``KubeRest``."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.rest = context.rest
        self.clock = context.clock

    # -- nodes ---------------------------------------------------------------------------------

    def _nodes(self) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = self.rest.request("GET", "/api/v1/nodes")["items"]
        nodes.sort(key=lambda n: (str(n["metadata"].get("creationTimestamp") or ""),))
        return nodes

    def _node(self, node_id: str) -> dict[str, Any]:
        nodes = self._nodes()
        for node in nodes:
            if edge_fields(node).node_id == node_id:
                return node
        for node in nodes:
            if node["metadata"]["name"] == node_id:
                return node
        raise NotFoundError(f"node {node_id!r} not found", {"node_id": node_id})

    def _statuses(self, nodes: list[dict[str, Any]]) -> dict[str, NodeStatus]:
        edge = self.context.service("edge")
        labelled = any((n["metadata"].get("labels") or {}).get(EDGE_LABEL) for n in nodes)
        edge_status = edge.statuses() if labelled else {}
        out: dict[str, NodeStatus] = {}
        for node in nodes:
            name = node["metadata"]["name"]
            if name in edge_status:
                halted = edge_status[name] is EdgeStatus.OFFLINE
            else:
                halted = edge_fields(node).ready is False
            out[name] = NodeStatus.HALTED if halted else NodeStatus.RUNNING
        return out

    def _view(self, node: dict[str, Any], status: NodeStatus) -> PoolNode:
        fields = edge_fields(node)
        return PoolNode(id=fields.node_id, hostname=fields.name, status=status)

    def _status(self, node: dict[str, Any]) -> NodeStatus:
        return self._statuses([node])[node["metadata"]["name"]]

    def list_nodes(self) -> list[PoolNode]:
        nodes = self._nodes()
        statuses = self._statuses(nodes)
        return [self._view(n, statuses[n["metadata"]["name"]]) for n in nodes]

    def get_node(self, node_id: str) -> PoolNode:
        node = self._node(node_id)
        return self._view(node, self._status(node))

    def _pods_on(self, name: str, containers: bool = False) -> list[dict[str, Any]]:
        query = [("fieldSelector", f"spec.nodeName={name}")]
        path = "/api/v1/pods"
        if containers:
            path = PODS
            query.append(("labelSelector", CONTAINER_LABEL))
        pods: list[dict[str, Any]] = self.rest.request("GET", path, query=query)["items"]
        return pods

    def node_mem(self, node_id: str) -> list[MemInfo]:
        node = self._node(node_id)
        facts = NodeFacts(node)
        used = latest_memory(self.context.service("edge").metrics, facts.id)
        if used is None:
            used = pod_memory(self._pods_on(facts.name), facts.name)
        return [mem_info(facts.memory, used)]

    def reboot_node(self, node_id: str) -> None:
        self._node(node_id)
        raise _unsupported("reboot_node", "nothing reboots a node through the Kubernetes API")

    def node_state(self, node_id: str) -> CoreState:
        self._node(node_id)
        return CoreState()

    def node_cpus(self, node_id: str) -> list[CPUInfo]:
        return NodeFacts(self._node(node_id)).cpu_infos()

    def node_disks(self, node_id: str) -> list[DiskInfo]:
        return NodeFacts(self._node(node_id)).disk_infos()

    def node_nics(self, node_id: str) -> list[NicInfo]:
        return NodeFacts(self._node(node_id)).nic_infos()

    def node_info(self, node_id: str) -> OSInfo:
        node = self._node(node_id)
        facts = NodeFacts(node)
        if self._status(node) is NodeStatus.HALTED:
            return OSInfo(hostname=facts.name)
        booted = facts.registered_at
        return OSInfo(
            boot_time=int(booted),
            hostname=facts.name,
            uptime=max(0, int(self.clock.now() - booted)),
        )

    def ping_node(self, node_id: str) -> bool:
        return self._status(self._node(node_id)) is NodeStatus.RUNNING

    def list_node_jobs(self, node_id: str) -> list[JobListItem]:
        self._node(node_id)
        raise _unsupported("list_node_jobs", "a node's jobs are not Kubernetes objects")

    def get_node_job(self, node_id: str, job_id: str) -> JobResult:
        self._node(node_id)
        raise _unsupported("get_node_job", "a node's jobs are not Kubernetes objects")

    def kill_node_job(self, node_id: str, job_id: str) -> None:
        self._node(node_id)
        raise _unsupported("kill_node_job", "a node's jobs are not Kubernetes objects")

    def list_node_processes(self, node_id: str) -> list[Process]:
        self._node(node_id)
        raise _unsupported("list_node_processes", "a node's processes are not Kubernetes objects")

    def get_node_process(self, node_id: str, pid: str) -> Process:
        parse_pid(pid)
        self._node(node_id)
        raise _unsupported("get_node_process", "a node's processes are not Kubernetes objects")

    def kill_node_process(self, node_id: str, pid: str) -> None:
        parse_pid(pid)
        self._node(node_id)
        raise _unsupported("kill_node_process", "a node's processes are not Kubernetes objects")

    # -- containers ----------------------------------------------------------------------------

    def _container_status(self, pod: dict[str, Any], node_status: NodeStatus) -> ContainerStatus:
        phase = (pod.get("status") or {}).get("phase")
        if node_status is NodeStatus.RUNNING and phase not in ("Failed", "Succeeded"):
            return ContainerStatus.RUNNING
        return ContainerStatus.HALTED

    def list_containers(self, node_id: str) -> list[ContainerListItem]:
        node = self._node(node_id)
        status = self._status(node)
        pods = self._pods_on(node["metadata"]["name"], containers=True)
        pods.sort(key=lambda p: str(p["metadata"].get("creationTimestamp") or ""))
        return [list_item(spec_of(p), self._container_status(p, status)) for p in pods]

    def _pod(self, node: dict[str, Any], container_id: str) -> dict[str, Any]:
        for pod in self._pods_on(node["metadata"]["name"], containers=True):
            if spec_of(pod).id == container_id:
                return pod
        raise NotFoundError(
            f"container {container_id!r} not found on node {edge_fields(node).node_id!r}",
            {"container_id": container_id},
        )

    def create_container(self, node_id: str, request: ContainerCreate) -> None:
        check_container(request)
        node = self._node(node_id)
        name, nid = node["metadata"]["name"], edge_fields(node).node_id
        with contextlib.suppress(NotFoundError):
            self._pod(node, request.id)
            raise ConflictError(
                f"container {request.id!r} already exists on node {nid!r}", {"id": request.id}
            )
        self._fits(name, pod_document(name, request, pin=False))
        with contextlib.suppress(ConflictError):
            self.rest.request("POST", "/api/v1/namespaces", {"metadata": {"name": NAMESPACE}})
        try:
            self.rest.request("POST", PODS, pod_document(name, request, pin=True))
        except ConflictError:
            raise ConflictError(
                f"container {request.id!r} already exists on node {nid!r}", {"id": request.id}
            ) from None

    def _fits(self, name: str, pod: dict[str, Any]) -> None:
        """The engine's verdict, on the cluster's nodes and pods, under its configuration."""
        simulator = self.context.service("simulator")
        table = NodeTable()
        scheduler = Scheduler(table, simulator._config(), seed=simulator.seed)
        offline = simulator.unreachable()
        for node in self.rest.request("GET", "/api/v1/nodes")["items"]:
            row = sync_node(table, node)
            if node["metadata"]["name"] in offline:
                table.set_taints(row, [*table.taints[row], UNREACHABLE])
        for other in self.rest.request("GET", "/api/v1/pods")["items"]:
            bound = (other.get("spec") or {}).get("nodeName")
            if bound and bound in table.row_of:
                meta = other["metadata"]
                scheduler.assume(bound, pod_request(other), f"{meta['namespace']}/{meta['name']}")
        pod["spec"]["schedulerName"] = SCHEDULER_NAME
        result = scheduler.schedule(pod_request(pod))
        if result.selected_node != name:
            raise unfit(name, result.message)

    def get_container(self, node_id: str, container_id: str) -> Container:
        node = self._node(node_id)
        pod = self._pod(node, container_id)
        return container_view(spec_of(pod), self._container_status(pod, self._status(node)), 0)

    def delete_container(self, node_id: str, container_id: str) -> None:
        pod = self._pod(self._node(node_id), container_id)
        with contextlib.suppress(NotFoundError):
            self.rest.request("DELETE", f"{PODS}/{pod['metadata']['name']}")

    def start_container(self, node_id: str, container_id: str) -> None:
        self._pod(self._node(node_id), container_id)
        raise _unsupported("start_container", "a kubelet runs a pod's containers")

    def stop_container(self, node_id: str, container_id: str) -> None:
        self._pod(self._node(node_id), container_id)
        raise _unsupported("stop_container", "a kubelet runs a pod's containers")

    def container_state(self, node_id: str, container_id: str) -> CoreState:
        self._pod(self._node(node_id), container_id)
        return CoreState()

    def container_info(self, node_id: str, container_id: str) -> OSInfo:
        node = self._node(node_id)
        pod = self._pod(node, container_id)
        spec = spec_of(pod)
        if self._container_status(pod, self._status(node)) is ContainerStatus.HALTED:
            return OSInfo(hostname=spec.hostname)
        meta, status = pod["metadata"], pod.get("status") or {}
        started = _epoch(status.get("startTime")) or _epoch(meta.get("creationTimestamp")) or 0.0
        return OSInfo(
            boot_time=int(started),
            hostname=spec.hostname,
            uptime=max(0, int(self.clock.now() - started)),
        )

    # -- jobs and processes --------------------------------------------------------------------

    def _unsupported(self, operation: str, node_id: str, container_id: str) -> UnsupportedError:
        self._pod(self._node(node_id), container_id)
        return _unsupported(operation, _PROCESSES)

    def list_jobs(self, node_id: str, container_id: str) -> list[JobListItem]:
        raise self._unsupported("list_jobs", node_id, container_id)

    def get_job(self, node_id: str, container_id: str, job_id: str) -> JobResult:
        raise self._unsupported("get_job", node_id, container_id)

    def kill_job(self, node_id: str, container_id: str, job_id: str) -> None:
        raise self._unsupported("kill_job", node_id, container_id)

    def signal_job(self, node_id: str, container_id: str, job_id: str, signal: int) -> None:
        check_signal(signal)
        raise self._unsupported("signal_job", node_id, container_id)

    def list_processes(self, node_id: str, container_id: str) -> list[Process]:
        raise self._unsupported("list_processes", node_id, container_id)

    def start_process(self, node_id: str, container_id: str, spec: ProcessSpec) -> str:
        check_spec(spec)
        raise self._unsupported("start_process", node_id, container_id)

    def get_process(self, node_id: str, container_id: str, pid: str) -> Process:
        parse_pid(pid)
        raise self._unsupported("get_process", node_id, container_id)

    def kill_process(self, node_id: str, container_id: str, pid: str) -> None:
        parse_pid(pid)
        raise self._unsupported("kill_process", node_id, container_id)

    def signal_process(self, node_id: str, container_id: str, pid: str, signal: int) -> None:
        parse_pid(pid)
        check_signal(signal)
        raise self._unsupported("signal_process", node_id, container_id)
