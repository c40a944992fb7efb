"""The resource pool's resources, requests and answers (``resource-pool-api.md`` and the
Zero-OS resourcepool RAML baseline).

Field names are the wire's: where it is not a Python name, the field's ``wire`` metadata
holds it (``usedPercent``, ``hostNetworking``, ``startTime``…); ``aliases`` are other
spellings the real server used, read but never written (``environment`` for ``env``,
``name`` for a container's ``id``, ``initProcesses`` for ``initprocesses``). What the
simulation cannot know is 0 or empty (``docs/pool.md`` says which).
"""

from __future__ import annotations

import enum
from typing import Any

from attrs import field, frozen

from ..._display import Model

__all__ = [
    "CPUInfo",
    "CPUStats",
    "Container",
    "ContainerCreate",
    "ContainerListItem",
    "ContainerNIC",
    "ContainerStatus",
    "CoreState",
    "DiskInfo",
    "JobListItem",
    "JobResult",
    "JobState",
    "MemInfo",
    "NicConfig",
    "NicInfo",
    "NicType",
    "NodeStatus",
    "OSInfo",
    "PoolNode",
    "Process",
    "ProcessSpec",
]


def _wire(name: str, *aliases: str) -> dict[str, Any]:
    return {"wire": name, "aliases": aliases}


class _Shown(Model):
    """A compact repr, an HTML table in Jupyter, and ``to_dict()`` in the pool's wire form."""

    def to_dict(self) -> Any:
        """The pool's wire form (``usedPercent``, ``startTime``…)."""
        from .wire import pool_converter

        return pool_converter.unstructure(self)


class NodeStatus(enum.StrEnum):
    """A pool node is ``running``, or ``halted`` while it is down (offline, rebooting)."""

    RUNNING = "running"
    HALTED = "halted"


class ContainerStatus(enum.StrEnum):
    """A container is ``running``, or ``halted`` once stopped."""

    RUNNING = "running"
    HALTED = "halted"


class NicType(enum.StrEnum):
    """The kind of a container nic."""

    ZEROTIER = "zerotier"
    VXLAN = "vxlan"
    VLAN = "vlan"
    DEFAULT = "default"
    BRIDGE = "bridge"


class JobState(enum.StrEnum):
    """A job's state (the core's result states); simulated jobs are ``running`` or ``killed``."""

    UNKNOWN_CMD = "unknown_cmd"
    ERROR = "error"
    SUCCESS = "success"
    KILLED = "killed"
    TIMEOUT = "timeout"
    DUPLICATE_ID = "duplicate_id"
    RUNNING = "running"


# -- nodes -----------------------------------------------------------------------------------


@frozen(kw_only=True, repr=False)
class PoolNode(_Shown):
    """A node of the pool: a cluster node (``hostname`` is its name, ``id`` its edge id)."""

    summary = ("hostname", "status", "id")

    id: str
    hostname: str
    status: NodeStatus


@frozen(kw_only=True, repr=False)
class MemInfo(_Shown):
    """``GET /nodes/{id}/mem``: bytes; buffers, cached, active, inactive and wired are 0
    (the simulation does not model a page cache)."""

    summary = ("total", "used", "used_percent")

    active: int = 0
    available: int = 0
    buffers: int = 0
    cached: int = 0
    free: int = 0
    inactive: int = 0
    total: int = 0
    used: int = 0
    used_percent: float = field(default=0.0, metadata=_wire("usedPercent"))
    wired: int = 0


@frozen(kw_only=True)
class CoreState:
    """``CoreStateResult``: the core's own CPU and memory use (0: not simulated)."""

    cpu: float = 0.0
    rss: int = 0
    vms: int = 0
    swap: int = 0


@frozen(kw_only=True)
class CPUInfo:
    """One logical CPU (one per CPU of the node's capacity)."""

    cache_size: int = field(default=0, metadata=_wire("cacheSize"))
    cores: int = 1
    family: str = ""
    flags: list[str] = field(factory=list)
    mhz: float = 0.0


@frozen(kw_only=True)
class DiskInfo:
    """A disk; ``size`` in GiB (the node's ephemeral-storage capacity)."""

    device: str = ""
    fstype: str = ""
    mountpoint: str = ""
    opts: str = ""
    size: int = 0
    type: str = ""


@frozen(kw_only=True)
class NicInfo:
    """A network interface (the node's addresses)."""

    addrs: list[str] = field(factory=list)
    flags: list[str] = field(factory=list)
    hardwareaddr: str = ""
    mtu: int = 0
    name: str = ""


@frozen(kw_only=True, repr=False)
class OSInfo(_Shown):
    """``OSInfo``: boot time and uptime in seconds, the number of processes."""

    summary = ("hostname", "uptime", "procs")

    boot_time: int = field(default=0, metadata=_wire("bootTime"))
    hostname: str = ""
    os: str = "linux"
    platform: str = ""
    platform_family: str = field(default="", metadata=_wire("platformFamily"))
    platform_version: str = field(default="", metadata=_wire("platformVersion"))
    procs: int = 0
    uptime: int = 0
    virtualization_role: str = field(default="", metadata=_wire("virtualizationRole"))
    virtualization_system: str = field(default="", metadata=_wire("virtualizationSystem"))


# -- processes and jobs ----------------------------------------------------------------------


@frozen(kw_only=True)
class CPUStats:
    """A process's CPU times (0: the simulation runs no code). The wire names are the
    server's Go tags: lowercase ``iowait``, ``softirq``, ``guestnice``."""

    guestnice: float = 0.0
    idle: float = 0.0
    iowait: float = 0.0
    irq: float = 0.0
    nice: float = 0.0
    softirq: float = 0.0
    steal: float = 0.0
    stolen: float = 0.0
    system: float = 0.0
    user: float = 0.0


@frozen(kw_only=True, repr=False)
class Process(_Shown):
    """A process: its command line, pid and (simulated: zero) resource use."""

    summary = ("pid", "cmdline")

    cmdline: str
    cpu: CPUStats = field(factory=CPUStats)
    pid: int
    rss: int = 0
    swap: int = 0
    vms: int = 0


@frozen(kw_only=True)
class ProcessSpec:
    """``CoreSystem``: a process to start (``name`` is the executable). ``env`` entries are
    ``"KEY=VALUE"``; the real server's ``environment`` is read too."""

    name: str
    pwd: str = ""
    args: list[str] = field(factory=list)
    env: list[str] = field(factory=list, metadata=_wire("env", "environment"))
    stdin: str = ""


@frozen(kw_only=True, repr=False)
class JobListItem(_Shown):
    """A running job: its id and start time (epoch milliseconds)."""

    summary = ("id", "start_time")

    id: str
    start_time: int = field(metadata=_wire("startTime"))


@frozen(kw_only=True, repr=False)
class JobResult(_Shown):
    """A job: a running one answers only ``id``, ``name``, ``startTime`` and ``state``."""

    summary = ("id", "state", "start_time")

    id: str
    name: str = "core.system"
    start_time: int = field(default=0, metadata=_wire("startTime"))
    state: JobState = JobState.RUNNING
    level: int | None = None
    stdout: str | None = None
    stderr: str | None = None
    data: str | None = None


# -- containers ------------------------------------------------------------------------------


@frozen(kw_only=True)
class NicConfig:
    """Static configuration of a vlan or vxlan nic."""

    dhcp: bool = False
    cidr: str = ""
    gateway: str = ""
    dns: list[str] = field(factory=list)


@frozen(kw_only=True)
class ContainerNIC:
    """A container nic: ``id`` is the vlan tag, vxlan id, zerotier network or bridge."""

    type: NicType
    id: str = ""
    hwaddr: str | None = None
    config: NicConfig | None = None


@frozen(kw_only=True)
class ContainerCreate:
    """``CreateContainer``: ``id``, ``hostname`` and ``flist`` are required."""

    id: str = field(metadata=_wire("id", "name"))
    hostname: str
    flist: str
    nics: list[ContainerNIC] = field(factory=list)
    filesystems: list[str] = field(factory=list)
    host_networking: bool = field(default=False, metadata=_wire("hostNetworking"))
    initprocesses: list[ProcessSpec] = field(
        factory=list, metadata=_wire("initprocesses", "initProcesses")
    )
    ports: list[str] = field(factory=list)
    storage: str | None = None


@frozen(kw_only=True, repr=False)
class ContainerListItem(_Shown):
    """A container of a pool node, as ``containers.list`` answers it."""

    summary = ("id", "status", "flist")

    id: str = field(metadata=_wire("id", "name"))
    hostname: str
    flist: str
    status: ContainerStatus


@frozen(kw_only=True, repr=False)
class Container(_Shown):
    """A container with its whole spec, as created."""

    summary = ("id", "hostname", "status", "container_id")

    id: str = field(metadata=_wire("id", "name"))
    hostname: str
    flist: str
    status: ContainerStatus
    container_id: int = field(default=0, metadata=_wire("containerId", "containerid"))
    nics: list[ContainerNIC] = field(factory=list)
    filesystems: list[str] = field(factory=list)
    host_networking: bool = field(default=False, metadata=_wire("hostNetworking"))
    initprocesses: list[ProcessSpec] = field(
        factory=list, metadata=_wire("initprocesses", "initProcesses")
    )
    ports: list[str] = field(factory=list)
    storage: str | None = None
