"""The pool's own state on the memory cluster: containers' processes and jobs, and reboots.

A deterministic simulation, moved by the cluster's clock. A running container has pid 1, its
core (``/coreX -core-id N …``), and one process per init process; a started process gets
the next pid and a job (a UUID derived from a counter, so the same calls give the same
ids) in state ``running``. A terminating signal, a kill or a stopped container moves the job
to ``killed`` and the process disappears (the simulated process honours the first SIGTERM,
so the server's SIGKILL after three SIGTERMs is never needed). Job lists show running jobs;
a finished job is still read by id. A node runs its core (pid 1, ``/sbin/core0``) and one
``coreX`` per running container.

A reboot holds the node down (``NodeSet.hold_down``: offline, tainted unreachable, so the
edge lens sees it offline and the scheduler avoids it) for ``boot_time`` seconds; its
running containers stop and, when the node is back, start again with their init
processes. ``PoolState`` is the cluster extension ``"pool"``: pods labelled as containers
are adopted when they are bound (created here, imported, or applied with kubectl) and
forgotten when they go.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ...errors import ConflictError, NotFoundError
from ...memory.scheduling import pod_key
from .models import ContainerCreate, JobListItem, JobResult, JobState, Process, ProcessSpec
from .views import check_signal, is_container, spec_of

if TYPE_CHECKING:
    from ...memory import Cluster

__all__ = ["BOOT_TIME", "CORE0", "ContainerState", "PoolState"]

BOOT_TIME = 30.0
CORE0 = "/sbin/core0"
_JOBS = uuid.UUID("6f0d5c1e-2d0b-4c53-9a53-6b8a1f3c7e10")
# signals whose default action does not end a process (SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP,
# SIGTTIN, SIGTTOU, SIGURG, SIGWINCH)
_HARMLESS = frozenset({17, 18, 19, 20, 21, 22, 23, 28})


def _ms(now: float) -> int:
    return round(now * 1000)


class Job:
    __slots__ = ("id", "pid", "start", "state")

    def __init__(self, job_id: str, pid: int, start: int) -> None:
        self.id, self.pid, self.start = job_id, pid, start
        self.state = JobState.RUNNING

    def result(self) -> JobResult:
        if self.state is JobState.RUNNING:
            return JobResult(id=self.id, start_time=self.start, state=self.state)
        return JobResult(
            id=self.id, start_time=self.start, state=self.state, stdout="", stderr="", data=""
        )


class ContainerState:
    """One container's core, processes and jobs."""

    __slots__ = (
        "core_id",
        "host_pid",
        "jobs",
        "key",
        "next_pid",
        "node",
        "processes",
        "running",
        "spec",
        "started_at",
    )

    def __init__(self, key: str, node: str, spec: ContainerCreate) -> None:
        self.key, self.node, self.spec = key, node, spec
        self.running = False
        self.core_id = 0
        self.host_pid = 0
        self.started_at = 0.0
        self.next_pid = 2
        self.processes: dict[int, tuple[str, str | None]] = {}  # pid -> (cmdline, job id)
        self.jobs: dict[str, Job] = {}

    def core_cmdline(self) -> str:
        return (
            f"/coreX -core-id {self.core_id} -redis-socket /redis.socket "
            f"-reply-to corex:results -hostname {self.spec.hostname}"
        )

    def process_list(self) -> list[Process]:
        return [Process(cmdline=cmd, pid=pid) for pid, (cmd, _) in sorted(self.processes.items())]

    def running_jobs(self) -> list[JobListItem]:
        return [
            JobListItem(id=j.id, start_time=j.start)
            for j in self.jobs.values()
            if j.state is JobState.RUNNING
        ]

    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"job {job_id!r} not found", {"job_id": job_id})
        return job

    def process(self, pid: int) -> tuple[str, str | None]:
        found = self.processes.get(pid)
        if found is None:
            raise NotFoundError(f"process {pid} not found", {"processid": str(pid)})
        return found

    def end(self, pid: int) -> None:
        """The process ``pid`` ends, killed; its job with it."""
        _, job_id = self.processes.pop(pid)
        if job_id is not None:
            self.jobs[job_id].state = JobState.KILLED

    def deliver(self, pid: int, signal: int) -> None:
        """A signal to a process: a terminating one ends it (pid 1 is refused)."""
        check_signal(signal)
        self.process(pid)
        if signal in _HARMLESS:
            return
        if pid == 1:
            raise ConflictError(
                "pid 1 is the container's core; stop the container instead", {"processid": "1"}
            )
        self.end(pid)


class NodeState:
    __slots__ = ("booted_at", "core_seq", "next_pid", "resume", "until")

    def __init__(self, booted_at: float) -> None:
        self.booted_at = booted_at
        self.core_seq = 0
        self.next_pid = 2
        self.until: float | None = None  # a reboot in progress ends then
        self.resume: list[str] = []  # containers to start again when it does


class PoolState:
    """The cluster extension ``"pool"`` (see the module docstring)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.boot_time = BOOT_TIME
        self.clear()

    def clear(self) -> None:
        self.containers: dict[str, ContainerState] = {}
        self.nodes: dict[str, NodeState] = {}
        self.seq = 0

    # -- the extension protocol ----------------------------------------------------------------

    def reconcile(self, now: float) -> None:
        for name, node in list(self.nodes.items()):
            if node.until is not None and node.until <= now:
                self._boot(name, node)

    def pod_event(self, event: str, pod: dict[str, Any]) -> None:
        key = pod_key(pod)
        if event == "DELETED":
            self.containers.pop(key, None)
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if not node or key in self.containers or not is_container(pod):
            return
        state = self.containers[key] = ContainerState(key, str(node), spec_of(pod))
        info = self.node(str(node))
        if info.until is not None:  # bound while its node reboots: it starts with the node
            info.resume.append(key)
        else:
            self.start(state, self.cluster.clock.now())

    def node_event(self, event: str, name: str) -> None:
        if event == "removed":
            self.nodes.pop(name, None)

    # -- nodes ---------------------------------------------------------------------------------

    def node(self, name: str) -> NodeState:
        info = self.nodes.get(name)
        if info is None:
            record = self.cluster.nodes.by_name.get(name)
            booted = record.registered_at if record is not None else self.cluster.clock.now()
            info = self.nodes[name] = NodeState(booted)
        return info

    def rebooting(self, name: str) -> bool:
        info = self.nodes.get(name)
        return info is not None and info.until is not None

    def reboot(self, name: str, now: float) -> None:
        record = self.cluster.nodes.by_name[name]
        info = self.node(name)
        if info.until is not None:
            raise ConflictError(f"node {name} is rebooting", {"node": name})
        info.until = now + self.boot_time
        info.resume = [c.key for c in self.on_node(name) if c.running]
        for key in info.resume:
            self.stop(self.containers[key])
        self.cluster.nodes.hold_down(record, now)

    def _boot(self, name: str, info: NodeState) -> None:
        until = info.until
        assert until is not None
        info.until = None
        info.booted_at = until
        record = self.cluster.nodes.by_name.get(name)
        if record is not None and self.cluster.nodes.release(record, until):
            self.cluster.nodes_changed()
        for key in info.resume:
            state = self.containers.get(key)
            if state is not None and not state.running:
                self.start(state, until)
        info.resume = []

    def on_node(self, name: str) -> list[ContainerState]:
        return [c for c in self.containers.values() if c.node == name]

    def node_processes(self, name: str) -> list[Process]:
        cores = sorted((c.host_pid, c.core_cmdline()) for c in self.on_node(name) if c.running)
        return [Process(cmdline=CORE0, pid=1)] + [Process(cmdline=cmd, pid=p) for p, cmd in cores]

    def kill_node_process(self, name: str, pid: int) -> None:
        if pid == 1:
            raise ConflictError("pid 1 is the node's core; reboot the node instead", {"pid": "1"})
        for state in self.on_node(name):
            if state.running and state.host_pid == pid:
                self.stop(state)  # its core is gone, and the container with it
                return
        raise NotFoundError(f"process {pid} not found", {"processid": str(pid)})

    # -- containers ----------------------------------------------------------------------------

    def start(self, state: ContainerState, now: float) -> None:
        info = self.node(state.node)
        info.core_seq += 1
        state.core_id = info.core_seq
        state.host_pid = info.next_pid
        info.next_pid += 1
        state.running = True
        state.started_at = now
        state.next_pid = 2
        state.processes = {1: (state.core_cmdline(), None)}
        for spec in state.spec.initprocesses:
            self.run(state, spec, now)

    def stop(self, state: ContainerState) -> None:
        for pid in list(state.processes):
            state.end(pid)
        state.running = False

    def run(self, state: ContainerState, spec: ProcessSpec, now: float) -> str:
        """Start a process; returns its job id."""
        pid = state.next_pid
        state.next_pid += 1
        self.seq += 1
        job_id = str(uuid.uuid5(_JOBS, f"{state.node}/{state.spec.id}/{self.seq}"))
        state.jobs[job_id] = Job(job_id, pid, _ms(now))
        state.processes[pid] = (" ".join([spec.name, *spec.args]), job_id)
        return job_id
