"""The pool lens on the memory cluster: nodes are the cluster's nodes, containers are Pods
bound to them, processes and jobs the ``"pool"`` extension's simulation (``state.py``)."""

from __future__ import annotations

from typing import Any

from ...errors import ConflictError, NotFoundError
from ...kube.translate import pod_request
from ...memory import Cluster
from ...memory.nodes import OFFLINE, NodeRecord
from ...memory.scheduling import pod_key
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
from .state import ContainerState, PoolState
from .views import (
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
    unfit,
)

__all__ = ["MemoryPool"]


class MemoryPool:
    """The pool surface over the memory cluster's ``Cluster``.

    ``boot_time`` (seconds of the cluster's clock, default 30) is how long a reboot keeps a
    node down.
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.state = cluster.extension("pool", PoolState)

    @property
    def boot_time(self) -> float:
        return self.state.boot_time

    @boot_time.setter
    def boot_time(self, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError("boot_time must not be negative")
        self.state.boot_time = float(seconds)

    # -- lookups (under the cluster's lock) ----------------------------------------------------

    def _record(self, node_id: str) -> NodeRecord:
        nodes = self.cluster.nodes
        record = nodes.by_id.get(node_id) or nodes.by_name.get(node_id)
        if record is None:
            raise NotFoundError(f"node {node_id!r} not found", {"node_id": node_id})
        return record

    def _halted(self, record: NodeRecord, now: float) -> bool:
        return self.cluster.nodes.status_of(record, now) == OFFLINE

    def _node(self, record: NodeRecord, now: float) -> PoolNode:
        status = NodeStatus.HALTED if self._halted(record, now) else NodeStatus.RUNNING
        return PoolNode(id=record.id, hostname=record.name, status=status)

    def _container(self, record: NodeRecord, container_id: str) -> ContainerState:
        state = next(
            (c for c in self.state.on_node(record.name) if c.spec.id == container_id), None
        )
        if state is None:
            raise NotFoundError(
                f"container {container_id!r} not found on node {record.id!r}",
                {"container_id": container_id},
            )
        return state

    def _status(self, state: ContainerState, record: NodeRecord, now: float) -> ContainerStatus:
        up = state.running and not self._halted(record, now)
        return ContainerStatus.RUNNING if up else ContainerStatus.HALTED

    def _running(self, state: ContainerState, record: NodeRecord, now: float) -> None:
        if self._status(state, record, now) is not ContainerStatus.RUNNING:
            raise ConflictError(
                f"container {state.spec.id!r} is halted", {"container_id": state.spec.id}
            )

    # -- nodes ---------------------------------------------------------------------------------

    def list_nodes(self) -> list[PoolNode]:
        with self.cluster.lock:
            now = self.cluster.tick()
            return [self._node(r, now) for r in self.cluster.nodes.records()]

    def get_node(self, node_id: str) -> PoolNode:
        with self.cluster.lock:
            now = self.cluster.tick()
            return self._node(self._record(node_id), now)

    def _facts(self, record: NodeRecord) -> NodeFacts:
        return NodeFacts(self.cluster.nodes.render(record))

    def node_mem(self, node_id: str) -> list[MemInfo]:
        with self.cluster.lock:
            self.cluster.tick()
            record = self._record(node_id)
            used = latest_memory(self.cluster.metrics, record.id)
            if used is None:
                used = pod_memory(self.cluster.store.items("pods"), record.name)
            return [mem_info(self._facts(record).memory, used)]

    def reboot_node(self, node_id: str) -> None:
        with self.cluster.writing() as now:
            record = self._record(node_id)
            if self._halted(record, now) and not self.state.rebooting(record.name):
                raise ConflictError(
                    f"node {record.id!r} is halted (offline)", {"node_id": record.id}
                )
            self.state.reboot(record.name, now)

    def node_state(self, node_id: str) -> CoreState:
        with self.cluster.lock:
            self.cluster.tick()
            self._record(node_id)
            return CoreState()

    def node_cpus(self, node_id: str) -> list[CPUInfo]:
        with self.cluster.lock:
            self.cluster.tick()
            return self._facts(self._record(node_id)).cpu_infos()

    def node_disks(self, node_id: str) -> list[DiskInfo]:
        with self.cluster.lock:
            self.cluster.tick()
            return self._facts(self._record(node_id)).disk_infos()

    def node_nics(self, node_id: str) -> list[NicInfo]:
        with self.cluster.lock:
            self.cluster.tick()
            return self._facts(self._record(node_id)).nic_infos()

    def node_info(self, node_id: str) -> OSInfo:
        with self.cluster.lock:
            now = self.cluster.tick()
            record = self._record(node_id)
            if self._halted(record, now):
                return OSInfo(hostname=record.name)
            booted = self.state.node(record.name).booted_at
            return OSInfo(
                boot_time=int(booted),
                hostname=record.name,
                procs=len(self.state.node_processes(record.name)),
                uptime=max(0, int(now - booted)),
            )

    def ping_node(self, node_id: str) -> bool:
        with self.cluster.lock:
            now = self.cluster.tick()
            return not self._halted(self._record(node_id), now)

    def list_node_jobs(self, node_id: str) -> list[JobListItem]:
        with self.cluster.lock:
            self.cluster.tick()
            self._record(node_id)
            return []

    def get_node_job(self, node_id: str, job_id: str) -> JobResult:
        with self.cluster.lock:
            self.cluster.tick()
            self._record(node_id)
            raise NotFoundError(f"job {job_id!r} not found", {"job_id": job_id})

    def kill_node_job(self, node_id: str, job_id: str) -> None:
        self.get_node_job(node_id, job_id)

    def _node_processes(self, record: NodeRecord, now: float) -> list[Process]:
        return [] if self._halted(record, now) else self.state.node_processes(record.name)

    def list_node_processes(self, node_id: str) -> list[Process]:
        with self.cluster.lock:
            now = self.cluster.tick()
            return self._node_processes(self._record(node_id), now)

    def get_node_process(self, node_id: str, pid: str) -> Process:
        number = parse_pid(pid)
        with self.cluster.lock:
            now = self.cluster.tick()
            for process in self._node_processes(self._record(node_id), now):
                if process.pid == number:
                    return process
            raise NotFoundError(f"process {number} not found", {"processid": str(number)})

    def kill_node_process(self, node_id: str, pid: str) -> None:
        number = parse_pid(pid)
        with self.cluster.writing() as now:
            record = self._record(node_id)
            if self._halted(record, now):
                raise NotFoundError(f"process {number} not found", {"processid": str(number)})
            self.state.kill_node_process(record.name, number)

    # -- containers ----------------------------------------------------------------------------

    def list_containers(self, node_id: str) -> list[ContainerListItem]:
        with self.cluster.lock:
            now = self.cluster.tick()
            record = self._record(node_id)
            return [
                list_item(c.spec, self._status(c, record, now))
                for c in self.state.on_node(record.name)
            ]

    def create_container(self, node_id: str, request: ContainerCreate) -> None:
        check_container(request)
        with self.cluster.writing():
            record = self._record(node_id)
            pod = pod_document(record.name, request, pin=False)
            key = pod_key(pod)
            taken = any(c.spec.id == request.id for c in self.state.on_node(record.name))
            if taken or self.cluster.store.find("pods", pod["metadata"]["name"], NAMESPACE):
                raise ConflictError(
                    f"container {request.id!r} already exists on node {record.id!r}",
                    {"id": request.id},
                )
            self._fits(record, pod)
            self.cluster.ensure_namespace(NAMESPACE)
            self.cluster.create("pods", pod)
            if key not in self.state.containers:  # placed elsewhere after all: undo
                placed = self.cluster.store.find("pods", pod["metadata"]["name"], NAMESPACE)
                message = self.cluster.queue.messages.get(key)
                if placed is not None:
                    self.cluster.delete("pods", pod["metadata"]["name"], NAMESPACE)
                raise unfit(record.name, message)

    def _fits(self, record: NodeRecord, pod: dict[str, Any]) -> None:
        """The scheduler's verdict for the pod, without placing it."""
        scheduler = self.cluster.scheduler
        start = scheduler.next_start_row
        try:
            result = scheduler.schedule(pod_request(pod))
        finally:
            scheduler.next_start_row = start
        if result.selected_node != record.name:
            raise unfit(record.name, result.message)

    def get_container(self, node_id: str, container_id: str) -> Container:
        with self.cluster.lock:
            now = self.cluster.tick()
            record = self._record(node_id)
            state = self._container(record, container_id)
            status = self._status(state, record, now)
            core = state.core_id if status is ContainerStatus.RUNNING else 0
            return container_view(state.spec, status, core)

    def delete_container(self, node_id: str, container_id: str) -> None:
        with self.cluster.writing():
            record = self._record(node_id)
            state = self._container(record, container_id)
            namespace, name = state.key.split("/", 1)
            self.cluster.delete("pods", name, namespace)

    def start_container(self, node_id: str, container_id: str) -> None:
        with self.cluster.writing() as now:
            record = self._record(node_id)
            state = self._container(record, container_id)
            if self._halted(record, now):
                raise ConflictError(f"node {record.id!r} is halted", {"node_id": record.id})
            if not state.running:
                self.state.start(state, now)

    def stop_container(self, node_id: str, container_id: str) -> None:
        with self.cluster.writing():
            record = self._record(node_id)
            state = self._container(record, container_id)
            if state.running:
                self.state.stop(state)
            info = self.state.nodes.get(record.name)
            if info is not None and state.key in info.resume:  # stays stopped after a reboot
                info.resume.remove(state.key)

    def container_state(self, node_id: str, container_id: str) -> CoreState:
        with self.cluster.lock:
            self.cluster.tick()
            self._container(self._record(node_id), container_id)
            return CoreState()

    def container_info(self, node_id: str, container_id: str) -> OSInfo:
        with self.cluster.lock:
            now = self.cluster.tick()
            record = self._record(node_id)
            state = self._container(record, container_id)
            if self._status(state, record, now) is not ContainerStatus.RUNNING:
                return OSInfo(hostname=state.spec.hostname)
            return OSInfo(
                boot_time=int(state.started_at),
                hostname=state.spec.hostname,
                procs=len(state.processes),
                uptime=max(0, int(now - state.started_at)),
            )

    # -- jobs ----------------------------------------------------------------------------------

    def list_jobs(self, node_id: str, container_id: str) -> list[JobListItem]:
        with self.cluster.lock:
            self.cluster.tick()
            return self._container(self._record(node_id), container_id).running_jobs()

    def get_job(self, node_id: str, container_id: str, job_id: str) -> JobResult:
        with self.cluster.lock:
            self.cluster.tick()
            return self._container(self._record(node_id), container_id).job(job_id).result()

    def kill_job(self, node_id: str, container_id: str, job_id: str) -> None:
        self.signal_job(node_id, container_id, job_id, 9)

    def signal_job(self, node_id: str, container_id: str, job_id: str, signal: int) -> None:
        check_signal(signal)
        with self.cluster.writing():
            state = self._container(self._record(node_id), container_id)
            job = state.job(job_id)
            if job.pid in state.processes and state.processes[job.pid][1] == job.id:
                state.deliver(job.pid, signal)

    # -- processes -----------------------------------------------------------------------------

    def list_processes(self, node_id: str, container_id: str) -> list[Process]:
        with self.cluster.lock:
            now = self.cluster.tick()
            record = self._record(node_id)
            state = self._container(record, container_id)
            if self._status(state, record, now) is not ContainerStatus.RUNNING:
                return []
            return state.process_list()

    def start_process(self, node_id: str, container_id: str, spec: ProcessSpec) -> str:
        check_spec(spec)
        with self.cluster.writing() as now:
            record = self._record(node_id)
            state = self._container(record, container_id)
            self._running(state, record, now)
            return self.state.run(state, spec, now)

    def get_process(self, node_id: str, container_id: str, pid: str) -> Process:
        number = parse_pid(pid)
        with self.cluster.lock:
            now = self.cluster.tick()
            record = self._record(node_id)
            state = self._container(record, container_id)
            self._running(state, record, now)
            cmdline, _ = state.process(number)
            return Process(cmdline=cmdline, pid=number)

    def kill_process(self, node_id: str, container_id: str, pid: str) -> None:
        self.signal_process(node_id, container_id, pid, 15)

    def signal_process(self, node_id: str, container_id: str, pid: str, signal: int) -> None:
        number = parse_pid(pid)
        check_signal(signal)
        with self.cluster.writing() as now:
            record = self._record(node_id)
            state = self._container(record, container_id)
            self._running(state, record, now)
            state.deliver(number, signal)
