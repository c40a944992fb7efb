"""The resource pool's operations (``resource-pool-api.md``, the RAML baseline), declared
once.

Paths are the documented ones, without a prefix: ``/nodes``, ``/nodes/{node_id}/…``.
Every backend implements ``PoolService``; the server's routes, ``/openapi.json`` and the
http client are derived from these declarations. Process ids travel as text (``pid``) and
are checked by the service, so a bad one is a 400, never a 500 as on the real server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..._ops import op
from .models import (
    Container,
    ContainerCreate,
    ContainerListItem,
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

__all__ = ["PoolService"]

N = "/nodes/{node_id}"
C = f"{N}/containers/{{container_id}}"
ERRORS = (409,)


def _job_location(job_id: str, params: Mapping[str, str]) -> str:
    return f"/nodes/{params['node_id']}/containers/{params['container_id']}/jobs/{job_id}"


class PoolService(Protocol):
    """The resource pool: nodes, containers, jobs and processes."""

    # -- nodes -------------------------------------------------------------------------------

    @op("GET", "/nodes", summary="List nodes")
    def list_nodes(self) -> list[PoolNode]: ...

    @op("GET", N, summary="Get a node")
    def get_node(self, node_id: str) -> PoolNode: ...

    @op("GET", f"{N}/mem", summary="Memory information of a node")
    def node_mem(self, node_id: str) -> list[MemInfo]: ...

    @op("POST", f"{N}/reboot", status=204, summary="Reboot a node", statuses=ERRORS)
    def reboot_node(self, node_id: str) -> None: ...

    @op("GET", f"{N}/state", summary="State of the node's core")
    def node_state(self, node_id: str) -> CoreState: ...

    @op("GET", f"{N}/cpus", summary="CPUs of a node")
    def node_cpus(self, node_id: str) -> list[CPUInfo]: ...

    @op("GET", f"{N}/disks", summary="Disks of a node")
    def node_disks(self, node_id: str) -> list[DiskInfo]: ...

    @op("GET", f"{N}/nics", summary="Network interfaces of a node")
    def node_nics(self, node_id: str) -> list[NicInfo]: ...

    @op("GET", f"{N}/info", summary="Operating system information of a node")
    def node_info(self, node_id: str) -> OSInfo: ...

    @op("POST", f"{N}/ping", summary="Ping a node (false while it is halted)")
    def ping_node(self, node_id: str) -> bool: ...

    @op("GET", f"{N}/jobs", summary="List the jobs running on a node")
    def list_node_jobs(self, node_id: str) -> list[JobListItem]: ...

    @op("GET", f"{N}/jobs/{{job_id}}", summary="Get a node job")
    def get_node_job(self, node_id: str, job_id: str) -> JobResult: ...

    @op("DELETE", f"{N}/jobs/{{job_id}}", status=204, summary="Kill a node job")
    def kill_node_job(self, node_id: str, job_id: str) -> None: ...

    @op("GET", f"{N}/processes", summary="List the processes of a node")
    def list_node_processes(self, node_id: str) -> list[Process]: ...

    @op("GET", f"{N}/processes/{{pid}}", summary="Get a node process")
    def get_node_process(self, node_id: str, pid: str) -> Process: ...

    @op(
        "DELETE",
        f"{N}/processes/{{pid}}",
        status=204,
        summary="Kill a node process (SIGTERM x3, then SIGKILL)",
        statuses=ERRORS,
    )
    def kill_node_process(self, node_id: str, pid: str) -> None: ...

    # -- containers --------------------------------------------------------------------------

    @op("GET", f"{N}/containers", summary="List containers of a node")
    def list_containers(self, node_id: str) -> list[ContainerListItem]: ...

    @op(
        "POST",
        f"{N}/containers",
        status=204,
        summary="Create a container (a pod bound to the node)",
        statuses=ERRORS,
    )
    def create_container(self, node_id: str, request: ContainerCreate) -> None: ...

    @op("GET", C, summary="Get a container")
    def get_container(self, node_id: str, container_id: str) -> Container: ...

    @op("DELETE", C, status=204, summary="Delete a container")
    def delete_container(self, node_id: str, container_id: str) -> None: ...

    @op("POST", f"{C}/start", status=201, summary="Start a container", statuses=ERRORS)
    def start_container(self, node_id: str, container_id: str) -> None: ...

    @op("POST", f"{C}/stop", status=204, summary="Stop a container")
    def stop_container(self, node_id: str, container_id: str) -> None: ...

    @op("GET", f"{C}/state", summary="State of a container's core")
    def container_state(self, node_id: str, container_id: str) -> CoreState: ...

    @op("GET", f"{C}/info", summary="Operating system information of a container")
    def container_info(self, node_id: str, container_id: str) -> OSInfo: ...

    # -- jobs --------------------------------------------------------------------------------

    @op("GET", f"{C}/jobs", summary="List the jobs running in a container")
    def list_jobs(self, node_id: str, container_id: str) -> list[JobListItem]: ...

    @op("GET", f"{C}/jobs/{{job_id}}", summary="Get a job (running or finished)")
    def get_job(self, node_id: str, container_id: str, job_id: str) -> JobResult: ...

    @op("DELETE", f"{C}/jobs/{{job_id}}", status=204, summary="Kill a job (SIGKILL)")
    def kill_job(self, node_id: str, container_id: str, job_id: str) -> None: ...

    @op(
        "POST",
        f"{C}/jobs/{{job_id}}",
        status=204,
        summary="Send a signal to a job",
        fields=("signal",),
    )
    def signal_job(
        self, node_id: str, container_id: str, job_id: str, signal: int = 15
    ) -> None: ...

    # -- processes ---------------------------------------------------------------------------

    @op("GET", f"{C}/processes", summary="List the processes of a container")
    def list_processes(self, node_id: str, container_id: str) -> list[Process]: ...

    @op(
        "POST",
        f"{C}/processes",
        status=202,
        summary="Start a process (202, Location: the job)",
        location=_job_location,
        statuses=ERRORS,
    )
    def start_process(self, node_id: str, container_id: str, spec: ProcessSpec) -> str: ...

    @op("GET", f"{C}/processes/{{pid}}", summary="Get a process")
    def get_process(self, node_id: str, container_id: str, pid: str) -> Process: ...

    @op(
        "DELETE",
        f"{C}/processes/{{pid}}",
        status=204,
        summary="Kill a process (SIGTERM x3, then SIGKILL)",
        statuses=ERRORS,
    )
    def kill_process(self, node_id: str, container_id: str, pid: str) -> None: ...

    @op(
        "POST",
        f"{C}/processes/{{pid}}",
        status=204,
        summary="Send a signal to a process",
        fields=("signal",),
    )
    def signal_process(
        self, node_id: str, container_id: str, pid: str, signal: int = 15
    ) -> None: ...
