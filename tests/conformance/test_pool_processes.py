"""The pool's simulated processes and jobs, and reboots, on the memory and http backends
(the kubernetes backend refuses them: see test_pool_nodes_containers.py)."""

from __future__ import annotations

import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.surfaces.pool.models import ContainerStatus, JobState, NodeStatus

from .helpers import register

FLIST = "http://192.168.20.132:8080/deboeckj/lede.flist"
COREX = "/coreX -core-id {n} -redis-socket /redis.socket -reply-to corex:results -hostname vfw_22"


def _setup(client: k8sedge.Client) -> str:
    node = register(client, "core0node")
    client.pool.containers.create(
        node.id,
        id="vfw_22",
        hostname="vfw_22",
        flist=FLIST,
        init_processes=[{"name": "/bin/dnsmasq", "args": ["--conf-file=/etc/dnsmasq.conf", "-d"]}],
    )
    return node.id


def test_processes_and_jobs(client: k8sedge.Client, clock: ManualClock) -> None:
    node = _setup(client)
    processes, jobs = client.pool.processes, client.pool.jobs
    listed = processes.list(node, "vfw_22")
    assert [(p.pid, p.cmdline) for p in listed] == [
        (1, COREX.format(n=1)),
        (2, "/bin/dnsmasq --conf-file=/etc/dnsmasq.conf -d"),
    ]
    assert all(p.rss == p.vms == p.swap == 0 and p.cpu.user == 0 for p in listed)
    (init_job,) = jobs.list(node, "vfw_22")
    assert init_job.start_time == int(clock.now() * 1000)

    clock.advance(2.5)
    job_id = processes.start(node, "vfw_22", name="/bin/sleep", args=["60"], env={"A": "1"})
    assert len(job_id) == 36 and job_id.count("-") == 4
    started = jobs.get(node, "vfw_22", job_id)
    assert (started.state, started.name, started.start_time) == (
        JobState.RUNNING,
        "core.system",
        int(clock.now() * 1000),
    )
    assert started.stdout is None  # a running job answers id, name, startTime and state
    assert [j.id for j in jobs.list(node, "vfw_22")] == [init_job.id, job_id]
    assert processes.get(node, "vfw_22", 3).cmdline == "/bin/sleep 60"

    jobs.signal(node, "vfw_22", job_id, signal=18)  # SIGCONT does not end a process
    assert jobs.get(node, "vfw_22", job_id).state is JobState.RUNNING
    jobs.signal(node, "vfw_22", job_id)  # SIGTERM
    assert jobs.get(node, "vfw_22", job_id).state is JobState.KILLED
    assert [p.pid for p in processes.list(node, "vfw_22")] == [1, 2]
    assert [j.id for j in jobs.list(node, "vfw_22")] == [init_job.id]

    processes.kill(node, "vfw_22", 2)
    assert jobs.get(node, "vfw_22", init_job.id).state is JobState.KILLED
    assert jobs.list(node, "vfw_22") == []
    with pytest.raises(k8sedge.NotFoundError):
        processes.get(node, "vfw_22", 2)

    again = processes.start(node, "vfw_22", name="/bin/sh")
    assert processes.list(node, "vfw_22")[-1].pid == 4  # pids are not reused
    jobs.kill(node, "vfw_22", again)
    assert jobs.get(node, "vfw_22", again).state is JobState.KILLED
    jobs.kill(node, "vfw_22", again)  # killing a finished job changes nothing


def test_bad_process_calls(client: k8sedge.Client) -> None:
    node = _setup(client)
    processes, jobs = client.pool.processes, client.pool.jobs
    with pytest.raises(k8sedge.ConflictError):
        processes.kill(node, "vfw_22", 1)  # the container's core
    with pytest.raises(k8sedge.NotFoundError):
        processes.kill(node, "vfw_22", 99)
    with pytest.raises(k8sedge.NotFoundError):
        jobs.get(node, "vfw_22", "f3976780-f369-45df-ab54-206149dc000e")
    with pytest.raises(k8sedge.NotFoundError):
        processes.list(node, "vfw_99")
    for signal in (0, 65, -9):
        with pytest.raises(k8sedge.BadRequestError):
            processes.signal(node, "vfw_22", 2, signal=signal)
    with pytest.raises(k8sedge.BadRequestError):
        processes.get(node, "vfw_22", 0)
    with pytest.raises(k8sedge.BadRequestError):
        processes.start(node, "vfw_22", name="")
    with pytest.raises(k8sedge.BadRequestError):
        processes.start(node, "vfw_22", name="/bin/x", env=["NOEQUALS"])
    assert [p.pid for p in processes.list(node, "vfw_22")] == [1, 2]


def test_stop_and_start_a_container(client: k8sedge.Client, clock: ManualClock) -> None:
    node = _setup(client)
    pool = client.pool
    (init_job,) = pool.jobs.list(node, "vfw_22")
    pool.containers.stop(node, "vfw_22")
    assert pool.containers.get(node, "vfw_22").status is ContainerStatus.HALTED
    assert pool.processes.list(node, "vfw_22") == []
    assert pool.jobs.list(node, "vfw_22") == []
    assert pool.jobs.get(node, "vfw_22", init_job.id).state is JobState.KILLED
    with pytest.raises(k8sedge.ConflictError):
        pool.processes.start(node, "vfw_22", name="/bin/sh")
    pool.containers.stop(node, "vfw_22")  # already stopped: nothing changes

    clock.advance(5)
    pool.containers.start(node, "vfw_22")
    container = pool.containers.get(node, "vfw_22")
    assert container.status is ContainerStatus.RUNNING and container.container_id == 2
    assert [(p.pid, p.cmdline) for p in pool.processes.list(node, "vfw_22")] == [
        (1, COREX.format(n=2)),
        (2, "/bin/dnsmasq --conf-file=/etc/dnsmasq.conf -d"),
    ]
    (job,) = pool.jobs.list(node, "vfw_22")
    assert job.id != init_job.id and job.start_time == int(clock.now() * 1000)
    info = pool.containers.info(node, "vfw_22")
    assert (info.boot_time, info.procs) == (int(clock.now()), 2)


def test_node_processes(client: k8sedge.Client) -> None:
    node = _setup(client)
    pool = client.pool
    assert [(p.pid, p.cmdline) for p in pool.nodes.processes.list(node)] == [
        (1, "/sbin/core0"),
        (2, COREX.format(n=1)),
    ]
    assert pool.nodes.processes.get(node, 2).cmdline == COREX.format(n=1)
    assert pool.nodes.jobs.list(node) == []
    with pytest.raises(k8sedge.NotFoundError):
        pool.nodes.jobs.get(node, "f3976780-f369-45df-ab54-206149dc000e")
    with pytest.raises(k8sedge.ConflictError):
        pool.nodes.processes.kill(node, 1)
    pool.nodes.processes.kill(node, 2)  # the container's core: the container stops
    assert pool.containers.get(node, "vfw_22").status is ContainerStatus.HALTED
    assert [p.pid for p in pool.nodes.processes.list(node)] == [1]


def test_reboot(
    client: k8sedge.Client, clock: ManualClock, memory_backend: k8sedge.MemoryBackend
) -> None:
    memory_backend.service("pool").boot_time = 20
    node = _setup(client)
    pool = client.pool
    pool.containers.create(node, id="idle", hostname="idle", flist=FLIST)
    pool.containers.stop(node, "idle")
    (before,) = pool.jobs.list(node, "vfw_22")
    other = register(client, "core1node")

    clock.advance(1)
    pool.nodes.reboot(node)
    assert pool.nodes.get(node).status is NodeStatus.HALTED
    assert pool.nodes.ping(node) is False
    assert client.edge.nodes.get(node).status is k8sedge.NodeStatus.OFFLINE
    assert {c.id: c.status for c in pool.containers.list(node)} == {
        "vfw_22": ContainerStatus.HALTED,
        "idle": ContainerStatus.HALTED,
    }
    assert pool.processes.list(node, "vfw_22") == []
    assert pool.jobs.get(node, "vfw_22", before.id).state is JobState.KILLED
    with pytest.raises(k8sedge.ConflictError):
        pool.nodes.reboot(node)
    with pytest.raises(k8sedge.ConflictError) as info:  # the scheduler avoids it
        pool.containers.create(node, id="new", hostname="new", flist=FLIST)
    assert "untolerated taint" in info.value.message
    pod = client.simulator.pods.create(
        {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    )
    assert pod.raw["spec"]["nodeName"] == "core1node"
    node_doc = client.simulator.nodes.get("core0node").raw
    assert {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"} in node_doc["spec"][
        "taints"
    ]
    del other

    clock.advance(19.5)
    assert pool.nodes.get(node).status is NodeStatus.HALTED
    clock.advance(1)
    assert pool.nodes.get(node).status is NodeStatus.RUNNING
    assert client.edge.nodes.get(node).status is k8sedge.NodeStatus.REGISTERED
    assert "taints" not in client.simulator.nodes.get("core0node").raw["spec"]
    assert {c.id: c.status for c in pool.containers.list(node)} == {
        "vfw_22": ContainerStatus.RUNNING,
        "idle": ContainerStatus.HALTED,  # it was stopped before the reboot
    }
    assert [p.pid for p in pool.processes.list(node, "vfw_22")] == [1, 2]
    (after,) = pool.jobs.list(node, "vfw_22")
    booted = 1_688_169_600 + 1 + 20
    assert after.id != before.id and after.start_time == booted * 1000
    info = pool.nodes.info(node)
    assert (info.boot_time, info.uptime) == (booted, 0)


def test_the_simulation_is_deterministic(clock: ManualClock) -> None:
    def run() -> list[str]:
        with k8sedge.connect(clock=ManualClock(clock.now())) as client:
            _setup(client)
            job = client.pool.processes.start("core0node", "vfw_22", name="/bin/sh")
            return [j.id for j in client.pool.jobs.list("core0node", "vfw_22")] + [job]

    assert run() == run()
