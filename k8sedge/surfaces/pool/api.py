"""``client.pool``: the resource pool, typed, over any backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..._facade import Facade, Runner
from ...serde import structure
from .models import (
    Container,
    ContainerCreate,
    ContainerListItem,
    ContainerNIC,
    CoreState,
    CPUInfo,
    DiskInfo,
    JobListItem,
    JobResult,
    MemInfo,
    NicInfo,
    OSInfo,
    PoolNode,
    Process,
    ProcessSpec,
)
from .service import PoolService as S
from .views import check_container, check_signal, check_spec, parse_pid
from .wire import pool_converter

__all__ = [
    "PoolAPI",
    "PoolContainersAPI",
    "PoolJobsAPI",
    "PoolNodeJobsAPI",
    "PoolNodeProcessesAPI",
    "PoolNodesAPI",
    "PoolProcessesAPI",
]


def _plain(value: Any) -> Any:
    """Models as their wire form, so a request is checked the way the server checks it."""
    if isinstance(value, ContainerNIC | ProcessSpec):
        return pool_converter.unstructure(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _env(env: Sequence[str] | Mapping[str, str]) -> Any:
    if isinstance(env, Mapping):
        return [f"{k}={v}" for k, v in env.items()]
    return list(env) if isinstance(env, list | tuple) else env  # a wrong type: 400 below


def _process(
    name: str, args: Sequence[str], pwd: str, env: Sequence[str] | Mapping[str, str], stdin: str
) -> ProcessSpec:
    data = {"name": name, "args": _plain(args), "pwd": pwd, "env": _env(env), "stdin": stdin}
    spec = structure(data, ProcessSpec, converter=pool_converter)
    check_spec(spec)
    return spec


def _first(items: list[MemInfo]) -> MemInfo:
    return items[0] if items else MemInfo()


def _pid(pid: int | str) -> str:
    return str(parse_pid(pid))


class PoolNodeJobsAPI(Facade):
    """The jobs a node's core runs."""

    def list(self, node_id: str) -> list[JobListItem]:
        """The node's running jobs (id and start time)."""
        return self._call(S.list_node_jobs, node_id)

    def get(self, node_id: str, job_id: str) -> JobResult:
        """One of the node's jobs, running or finished."""
        return self._call(S.get_node_job, node_id, job_id)

    def kill(self, node_id: str, job_id: str) -> None:
        """Kill a job of the node (SIGKILL)."""
        return self._call(S.kill_node_job, node_id, job_id)


class PoolNodeProcessesAPI(Facade):
    """The processes of a node: its core (pid 1) and one core per running container."""

    def list(self, node_id: str) -> list[Process]:
        """The node's processes: its core (pid 1) and one core per running container."""
        return self._call(S.list_node_processes, node_id)

    def get(self, node_id: str, pid: int) -> Process:
        """One of the node's processes by pid."""
        return self._call(S.get_node_process, node_id, _pid(pid))

    def kill(self, node_id: str, pid: int) -> None:
        """Kill a container's core (the container stops); pid 1 is refused (409)."""
        return self._call(S.kill_node_process, node_id, _pid(pid))


class PoolNodesAPI(Facade):
    """Nodes of the pool: the cluster's nodes."""

    jobs: PoolNodeJobsAPI
    processes: PoolNodeProcessesAPI

    def __init__(self, runner: Runner) -> None:
        super().__init__(runner)
        self.jobs = PoolNodeJobsAPI(runner)
        self.processes = PoolNodeProcessesAPI(runner)

    def list(self) -> list[PoolNode]:
        """Every node of the pool (every node of the cluster): id, hostname, status."""
        return self._call(S.list_nodes)

    def get(self, node_id: str) -> PoolNode:
        """A node by id (its hostname is accepted too)."""
        return self._call(S.get_node, node_id)

    def mem(self, node_id: str) -> MemInfo:
        """Total from the node's capacity; used from its latest metrics sample, else the
        memory its pods request."""
        return self._then(_first, S.node_mem, node_id)

    def reboot(self, node_id: str) -> None:
        """Take the node down for its boot time; its containers come back with it."""
        return self._call(S.reboot_node, node_id)

    def state(self, node_id: str) -> CoreState:
        """The node core's resource use (zeros: not simulated)."""
        return self._call(S.node_state, node_id)

    def cpus(self, node_id: str) -> Sequence[CPUInfo]:
        """One ``CPUInfo`` per CPU of the node's capacity."""
        return self._call(S.node_cpus, node_id)

    def disks(self, node_id: str) -> Sequence[DiskInfo]:
        """The node's disks: its ephemeral storage, size in GiB."""
        return self._call(S.node_disks, node_id)

    def nics(self, node_id: str) -> Sequence[NicInfo]:
        """The node's network interfaces (its addresses)."""
        return self._call(S.node_nics, node_id)

    def info(self, node_id: str) -> OSInfo:
        """The node's OS information: boot time, uptime, number of processes, hostname."""
        return self._call(S.node_info, node_id)

    def ping(self, node_id: str) -> bool:
        """True while the node runs, false while it is halted."""
        return self._call(S.ping_node, node_id)


class PoolContainersAPI(Facade):
    """Containers: pods bound to a node."""

    def list(self, node_id: str) -> list[ContainerListItem]:
        """The node's containers: id, hostname, flist, status."""
        return self._call(S.list_containers, node_id)

    def create(
        self,
        node_id: str,
        *,
        id: str,
        hostname: str,
        flist: str,
        nics: Sequence[ContainerNIC | Mapping[str, Any]] = (),
        filesystems: Sequence[str] = (),
        host_networking: bool = False,
        init_processes: Sequence[ProcessSpec | Mapping[str, Any]] = (),
        ports: Sequence[str] = (),
        storage: str | None = None,
    ) -> None:
        """Create and start a container on the node; one that does not fit is
        ``ConflictError`` with the scheduler's reason, a duplicate id ``ConflictError``."""
        data: dict[str, Any] = {
            "id": id,
            "hostname": hostname,
            "flist": flist,
            "nics": _plain(nics),
            "filesystems": _plain(filesystems),
            "hostNetworking": host_networking,
            "initprocesses": _plain(init_processes),
            "ports": _plain(ports),
        }
        if storage is not None:
            data["storage"] = storage
        request = structure(data, ContainerCreate, converter=pool_converter)
        check_container(request)
        return self._call(S.create_container, node_id, request)

    def get(self, node_id: str, container_id: str) -> Container:
        """One container with its whole create request and status."""
        return self._call(S.get_container, node_id, container_id)

    def delete(self, node_id: str, container_id: str) -> None:
        """Delete a container (its pod goes)."""
        return self._call(S.delete_container, node_id, container_id)

    def start(self, node_id: str, container_id: str) -> None:
        """Start a stopped container (its init processes start again); a no-op if it runs."""
        return self._call(S.start_container, node_id, container_id)

    def stop(self, node_id: str, container_id: str) -> None:
        """Stop a container (its processes end, its jobs are killed); a no-op if stopped."""
        return self._call(S.stop_container, node_id, container_id)

    def state(self, node_id: str, container_id: str) -> CoreState:
        """The container core's resource use (zeros: not simulated)."""
        return self._call(S.container_state, node_id, container_id)

    def info(self, node_id: str, container_id: str) -> OSInfo:
        """The container's OS information."""
        return self._call(S.container_info, node_id, container_id)


class PoolJobsAPI(Facade):
    """Jobs of a container: one per started process."""

    def list(self, node_id: str, container_id: str) -> list[JobListItem]:
        """The running jobs."""
        return self._call(S.list_jobs, node_id, container_id)

    def get(self, node_id: str, container_id: str, job_id: str) -> JobResult:
        """One job of the container, running or finished (``state: killed``)."""
        return self._call(S.get_job, node_id, container_id, job_id)

    def kill(self, node_id: str, container_id: str, job_id: str) -> None:
        """SIGKILL: the job is ``killed``, its process gone."""
        return self._call(S.kill_job, node_id, container_id, job_id)

    def signal(self, node_id: str, container_id: str, job_id: str, signal: int = 15) -> None:
        """Send a signal (1 to 64) to a job; a terminating one kills it."""
        check_signal(signal)
        return self._call(S.signal_job, node_id, container_id, job_id, signal)


class PoolProcessesAPI(Facade):
    """Processes of a container (pid 1 is its core)."""

    def list(self, node_id: str, container_id: str) -> list[Process]:
        """The container's processes: its core (pid 1), init processes, started ones."""
        return self._call(S.list_processes, node_id, container_id)

    def start(
        self,
        node_id: str,
        container_id: str,
        *,
        name: str,
        args: Sequence[str] = (),
        pwd: str = "",
        env: Sequence[str] | Mapping[str, str] = (),
        stdin: str = "",
    ) -> str:
        """Start a process; returns its job id."""
        spec = _process(name, args, pwd, env, stdin)
        return self._call(S.start_process, node_id, container_id, spec)

    def get(self, node_id: str, container_id: str, pid: int) -> Process:
        """One of the container's processes by pid."""
        return self._call(S.get_process, node_id, container_id, _pid(pid))

    def kill(self, node_id: str, container_id: str, pid: int) -> None:
        """SIGTERM (three times, then SIGKILL, as the server does); pid 1 is refused."""
        return self._call(S.kill_process, node_id, container_id, _pid(pid))

    def signal(self, node_id: str, container_id: str, pid: int, signal: int = 15) -> None:
        """Send a signal (1 to 64) to a process; a terminating one ends it."""
        check_signal(signal)
        return self._call(S.signal_process, node_id, container_id, _pid(pid), signal)


class PoolAPI(Facade):
    """The resource pool: nodes, containers, jobs and processes."""

    nodes: PoolNodesAPI
    containers: PoolContainersAPI
    jobs: PoolJobsAPI
    processes: PoolProcessesAPI

    def __init__(self, runner: Runner) -> None:
        super().__init__(runner)
        self.nodes = PoolNodesAPI(runner)
        self.containers = PoolContainersAPI(runner)
        self.jobs = PoolJobsAPI(runner)
        self.processes = PoolProcessesAPI(runner)
