"""The resource pool's nodes and containers, on every backend (kubernetes through the
facade included): pool nodes are the cluster's nodes, containers are its pods."""

from __future__ import annotations

from typing import Any

import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.backends.kubernetes import KubernetesBackend
from k8sedge.surfaces.pool.models import (
    ContainerNIC,
    ContainerStatus,
    CPUInfo,
    DiskInfo,
    NicConfig,
    NicInfo,
    NicType,
    NodeStatus,
    ProcessSpec,
)

from .helpers import register

GIB = 1 << 30
FLIST = "http://192.168.20.132:8080/deboeckj/lede-17.01.0-r3205-59508e3-x86-64-generic-rootfs.flist"


def _on_kubernetes(client: k8sedge.Client) -> bool:
    return isinstance(client.backend, KubernetesBackend)


def _pool_pods(client: k8sedge.Client) -> list[dict[str, Any]]:
    return [
        p for p in client.simulator.export().pods if p["metadata"]["namespace"] == "k8sedge-pool"
    ]


def test_edge_nodes_are_pool_nodes(any_client: k8sedge.Client) -> None:
    a = register(any_client, "core0node")
    b = register(any_client, "core1node", address="192.168.1.11")
    nodes = any_client.pool.nodes.list()
    assert [(n.id, n.hostname, n.status) for n in nodes] == [
        (a.id, "core0node", NodeStatus.RUNNING),
        (b.id, "core1node", NodeStatus.RUNNING),
    ]
    assert any_client.pool.nodes.get(a.id) == nodes[0]
    assert any_client.pool.nodes.get("core1node") == nodes[1]  # the hostname is accepted too
    with pytest.raises(k8sedge.NotFoundError):
        any_client.pool.nodes.get("525400123456")


def test_a_kubectl_node_is_a_pool_node(any_client: k8sedge.Client) -> None:
    created = any_client.simulator.nodes.create(
        {
            "metadata": {"name": "worker-1"},
            "status": {"capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"}},
        }
    )
    (node,) = any_client.pool.nodes.list()
    assert node.hostname == "worker-1" and node.status is NodeStatus.RUNNING
    assert node.id == created.raw["metadata"]["uid"]
    assert any_client.pool.nodes.mem(node.id).total == 4 * GIB
    assert any_client.pool.nodes.cpus(node.id) == [CPUInfo(), CPUInfo()]


def test_an_offline_edge_node_is_halted(any_client: k8sedge.Client, clock: ManualClock) -> None:
    node = register(any_client, "core0node")
    any_client.edge.nodes.update_status(node.id, heartbeat=True)
    clock.advance(41)
    assert any_client.pool.nodes.get(node.id).status is NodeStatus.HALTED
    assert any_client.pool.nodes.ping(node.id) is False
    any_client.edge.nodes.update_status(node.id, heartbeat=True)
    assert any_client.pool.nodes.get(node.id).status is NodeStatus.RUNNING
    assert any_client.pool.nodes.ping(node.id) is True


def test_mem_is_derived_from_capacity_requests_and_metrics(any_client: k8sedge.Client) -> None:
    node = register(any_client, "core0node")  # 8Gi
    mem = any_client.pool.nodes.mem(node.id)
    assert (mem.total, mem.used, mem.free, mem.available, mem.used_percent) == (
        8 * GIB,
        0,
        8 * GIB,
        8 * GIB,
        0.0,
    )
    any_client.simulator.pods.create(
        {
            "metadata": {"name": "db"},
            "spec": {
                "nodeName": "core0node",
                "containers": [
                    {
                        "name": "db",
                        "image": "postgres",
                        "resources": {"requests": {"memory": "2Gi"}},
                    }
                ],
            },
        }
    )
    mem = any_client.pool.nodes.mem(node.id)
    assert (mem.used, mem.free, mem.used_percent) == (2 * GIB, 6 * GIB, 25.0)
    any_client.edge.metrics.record(node.id, memory_usage=3.2, memory_total=8.0)
    any_client.edge.metrics.record(node.id, memory_usage=4.0, memory_total=8.0)
    mem = any_client.pool.nodes.mem(node.id)
    assert mem.used == 4 * GIB and mem.free == mem.available == 4 * GIB
    assert mem.used_percent == pytest.approx(50.0)
    assert (mem.buffers, mem.cached, mem.active, mem.inactive, mem.wired) == (0, 0, 0, 0, 0)


def test_node_facts(any_client: k8sedge.Client, clock: ManualClock) -> None:
    node = register(any_client, "core0node", address="10.0.0.5")  # 4 cpus, 100Gi storage
    pool = any_client.pool.nodes
    assert pool.cpus(node.id) == [CPUInfo()] * 4
    assert pool.disks(node.id) == [DiskInfo(size=100)]
    assert pool.nics(node.id) == [NicInfo(addrs=["10.0.0.5"])]
    state = pool.state(node.id)
    assert (state.cpu, state.rss, state.vms, state.swap) == (0.0, 0, 0, 0)
    clock.advance(10)
    info = pool.info(node.id)
    assert (info.hostname, info.os, info.boot_time, info.uptime) == (
        "core0node",
        "linux",
        int(clock.now()) - 10,
        10,
    )
    assert pool.ping(node.id) is True


SPEC_NICS = [
    ContainerNIC(
        type=NicType.VLAN,
        id="0",
        config=NicConfig(cidr="192.168.57.217/24", gateway="192.168.57.254", dns=["8.8.8.8"]),
    )
]


def test_container_is_a_pod_with_its_spec_kept(any_client: k8sedge.Client) -> None:
    node = register(any_client, "core0node")
    any_client.pool.containers.create(
        node.id,
        id="vfw_22",
        hostname="vfw_22",
        flist=FLIST,
        nics=SPEC_NICS,
        filesystems=["pool1:fs1"],
        host_networking=False,
        init_processes=[{"name": "/bin/dnsmasq", "args": ["-d"], "env": ["A=1"]}],
        ports=["10022:22"],
        storage="ardb://10.0.0.2:16379",
    )
    (item,) = any_client.pool.containers.list(node.id)
    assert (item.id, item.hostname, item.flist, item.status) == (
        "vfw_22",
        "vfw_22",
        FLIST,
        ContainerStatus.RUNNING,
    )
    container = any_client.pool.containers.get(node.id, "vfw_22")
    assert container.nics == SPEC_NICS
    assert container.filesystems == ["pool1:fs1"]
    assert container.initprocesses == [ProcessSpec(name="/bin/dnsmasq", args=["-d"], env=["A=1"])]
    assert container.ports == ["10022:22"] and container.storage == "ardb://10.0.0.2:16379"
    assert container.status is ContainerStatus.RUNNING

    (pod,) = _pool_pods(any_client)
    assert pod["spec"]["nodeName"] == "core0node"
    assert pod["metadata"]["labels"] == {"k8sedge.io/pool-container": "vfw_22"}
    (corex,) = pod["spec"]["containers"]
    assert corex["image"] == FLIST
    assert corex["ports"] == [{"containerPort": 22, "hostPort": 10022, "protocol": "TCP"}]

    state = any_client.pool.containers.state(node.id, "vfw_22")
    assert (state.cpu, state.rss) == (0.0, 0)
    assert any_client.pool.containers.info(node.id, "vfw_22").hostname == "vfw_22"

    any_client.pool.containers.delete(node.id, "vfw_22")
    assert any_client.pool.containers.list(node.id) == []
    assert _pool_pods(any_client) == []
    with pytest.raises(k8sedge.NotFoundError):
        any_client.pool.containers.get(node.id, "vfw_22")


def test_container_ids_are_per_node(any_client: k8sedge.Client) -> None:
    a = register(any_client, "core0node")
    b = register(any_client, "core1node")
    for node in (a, b):
        any_client.pool.containers.create(node.id, id="web", hostname="web", flist=FLIST)
    assert [c.id for c in any_client.pool.containers.list(a.id)] == ["web"]
    assert [c.id for c in any_client.pool.containers.list(b.id)] == ["web"]
    assert sorted(p["spec"]["nodeName"] for p in _pool_pods(any_client)) == [
        "core0node",
        "core1node",
    ]


def test_bad_containers_are_refused_and_change_nothing(any_client: k8sedge.Client) -> None:
    node = register(any_client, "core0node")
    any_client.pool.containers.create(
        node.id, id="vfw_21", hostname="vfw_21", flist=FLIST, ports=["8080:80"]
    )
    before = _pool_pods(any_client)
    create = any_client.pool.containers.create
    with pytest.raises(k8sedge.ConflictError):
        create(node.id, id="vfw_21", hostname="again", flist=FLIST)
    with pytest.raises(k8sedge.ConflictError) as info:  # the host port is taken
        create(node.id, id="vfw_22", hostname="vfw_22", flist=FLIST, ports=["8080:80"])
    assert "free ports" in info.value.message
    with pytest.raises(k8sedge.NotFoundError):
        create("525400123456", id="vfw_23", hostname="vfw_23", flist=FLIST)
    for fields, field in [
        ({"flist": ""}, "flist"),
        ({"hostname": ""}, "hostname"),
        ({"id": ""}, "id"),
        ({"id": "no spaces"}, "id"),
        ({"ports": ["http"]}, "ports[0]"),
        ({"ports": ["70000:22"]}, "ports[0]"),
        ({"nics": [{"type": "wifi"}]}, "nics[0].type"),
        ({"init_processes": [{"name": ""}]}, "initprocesses[0].name"),
        ({"init_processes": [{"name": "/bin/x", "env": ["NOEQUALS"]}]}, "initprocesses[0].env[0]"),
    ]:
        request: dict[str, Any] = {"id": "vfw_24", "hostname": "vfw_24", "flist": FLIST, **fields}
        with pytest.raises(k8sedge.BadRequestError) as bad:
            create(node.id, **request)
        assert field in bad.value.details, (fields, bad.value.details)
    assert _pool_pods(any_client) == before
    assert [c.id for c in any_client.pool.containers.list(node.id)] == ["vfw_21"]


def test_a_node_in_maintenance_refuses_containers(any_client: k8sedge.Client) -> None:
    node = register(any_client, "core0node")
    any_client.edge.nodes.update_status(node.id, heartbeat=True, status="maintenance")
    with pytest.raises(k8sedge.ConflictError) as info:
        any_client.pool.containers.create(node.id, id="web", hostname="web", flist=FLIST)
    assert "unschedulable" in info.value.message
    assert _pool_pods(any_client) == []


def test_what_kubernetes_cannot_map_is_unsupported(any_client: k8sedge.Client) -> None:
    node = register(any_client, "core0node")
    any_client.pool.containers.create(node.id, id="web", hostname="web", flist=FLIST)
    pool = any_client.pool
    calls = {
        "stop_container": lambda: pool.containers.stop(node.id, "web"),
        "start_container": lambda: pool.containers.start(node.id, "web"),
        "list_processes": lambda: pool.processes.list(node.id, "web"),
        "start_process": lambda: pool.processes.start(node.id, "web", name="/bin/true"),
        "list_jobs": lambda: pool.jobs.list(node.id, "web"),
        "list_node_processes": lambda: pool.nodes.processes.list(node.id),
        "list_node_jobs": lambda: pool.nodes.jobs.list(node.id),
        "reboot_node": lambda: pool.nodes.reboot(node.id),
    }
    for operation, call in calls.items():
        if _on_kubernetes(any_client):
            with pytest.raises(k8sedge.UnsupportedError, match=operation):
                call()
        else:
            call()
    # unknown nodes and containers are still NotFound, on every backend
    with pytest.raises(k8sedge.NotFoundError):
        pool.processes.list(node.id, "nope")
    with pytest.raises(k8sedge.NotFoundError):
        pool.nodes.reboot("nope")
