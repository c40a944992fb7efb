"""One cluster, many lenses: what one lens writes, every other lens sees — on every backend."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.kubeapi import create_kube_app
from k8sedge.server.threaded import serve_in_thread

from .helpers import register, workload

# bin-packing, as its users configure it: MostAllocated, and no spreading of replicas
MOST_ALLOCATED = {
    "profiles": [
        {
            "schedulerName": "default-scheduler",
            "plugins": {
                "score": {
                    "disabled": [
                        {"name": "PodTopologySpread"},
                        {"name": "NodeResourcesBalancedAllocation"},
                    ]
                }
            },
            "pluginConfig": [
                {
                    "name": "NodeResourcesFit",
                    "args": {
                        "scoringStrategy": {
                            "type": "MostAllocated",
                            "resources": [
                                {"name": "cpu", "weight": 1},
                                {"name": "memory", "weight": 1},
                            ],
                        }
                    },
                }
            ],
        }
    ]
}


def test_an_edge_node_is_a_cluster_node(any_client: k8sedge.Client) -> None:
    node = register(any_client, "edge-1", labels={"site": "a"})
    listed = {n.name: n for n in any_client.simulator.nodes.list()}
    assert "edge-1" in listed
    document = listed["edge-1"]
    assert document.labels["site"] == "a"
    assert document.labels["k8sedge.io/id"] == node.id
    assert document.raw["status"]["capacity"]["cpu"] == "4"


def test_a_cluster_node_is_an_edge_node(any_client: k8sedge.Client) -> None:
    any_client.simulator.nodes.create(
        {
            "metadata": {"name": "made-by-kubectl", "labels": {"k8sedge.io/edge": "true"}},
            "status": {"capacity": {"cpu": "8", "memory": "16Gi", "pods": "110"}},
        }
    )
    names = [n.name for n in any_client.edge.nodes.iter()]
    assert "made-by-kubectl" in names
    with pytest.raises(k8sedge.ConflictError):
        register(any_client, "made-by-kubectl")


def test_a_deployed_workload_is_pods_on_edge_nodes_with_results(
    any_client: k8sedge.Client,
) -> None:
    nodes = {register(any_client, f"edge-{i}").name for i in range(3)}
    w = workload(any_client, "web", replicas=3)
    any_client.edge.workloads.deploy(w.id)
    exported = any_client.simulator.export()
    pods = [p for p in exported.pods if p["metadata"].get("labels", {}).get("k8sedge.io/workload")]
    assert len(pods) == 3
    for pod in pods:
        assert pod["spec"]["nodeName"] in nodes
        result = any_client.simulator.pods.result(pod["metadata"]["name"], "default")
        assert result.selected_node == pod["spec"]["nodeName"]
        assert set(result.filter) == nodes  # every node was evaluated
        assert result.final_score  # and scored


def test_the_scheduler_configuration_moves_edge_placement(any_client: k8sedge.Client) -> None:
    for i in range(3):
        register(any_client, f"edge-{i}")
    spread = workload(any_client, "spread", replicas=3)
    any_client.edge.workloads.deploy(spread.id)
    assert len(set(any_client.edge.workloads.get(spread.id).nodes)) == 3  # least allocated

    any_client.edge.workloads.delete(spread.id)
    any_client.simulator.update_config(MOST_ALLOCATED)
    packed = workload(
        any_client,
        "packed",
        replicas=3,
        resources={"requests": {"cpu": "1", "memory": "1Gi"}},
    )
    any_client.edge.workloads.deploy(packed.id)
    got = any_client.edge.workloads.get(packed.id)
    assert got.ready_replicas == 3
    assert len(set(got.nodes)) == 1  # most allocated bin-packs onto one node


def test_deleting_a_replica_pod_is_replaced(client: k8sedge.Client) -> None:
    register(client, "edge-0")
    w = workload(client, "web", replicas=2)
    client.edge.workloads.deploy(w.id)
    pods = [p.name for p in client.simulator.pods.list() if p.name.startswith("web-")]
    client.simulator.pods.delete(pods[0], "default")
    client.edge.workloads.get(w.id)  # the controller reconciles on the next operation
    again = [p.name for p in client.simulator.pods.list() if p.name.startswith("web-")]
    assert len(again) == 2 and pods[0] not in again


def test_an_offline_node_is_tainted_and_ready_unknown(
    client: k8sedge.Client, clock: ManualClock
) -> None:
    node = register(client, "edge-0")
    client.edge.nodes.heartbeat(node.id)
    clock.advance(60)
    assert client.edge.nodes.get(node.id).status is k8sedge.NodeStatus.OFFLINE
    document = client.simulator.nodes.get("edge-0").raw
    assert {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"} in document["spec"][
        "taints"
    ]
    ready = next(c for c in document["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "Unknown"
    client.edge.nodes.heartbeat(node.id)
    document = client.simulator.nodes.get("edge-0").raw
    assert "taints" not in document["spec"]
    ready = next(c for c in document["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True"


def test_reset_clears_every_lens_and_versions_keep_growing(client: k8sedge.Client) -> None:
    register(client, "edge-0")
    w = workload(client, "web", replicas=1)
    client.edge.workloads.deploy(w.id)
    before = int(client.simulator.nodes.get("edge-0").resource_version or 0)
    client.simulator.reset()
    assert client.edge.nodes.list().pagination.total == 0
    assert client.edge.workloads.list().pagination.total == 0
    assert client.simulator.pods.list() == []
    node = register(client, "edge-0")
    assert int(client.simulator.nodes.get("edge-0").resource_version or 0) > before
    assert client.edge.nodes.get(node.id).name == "edge-0"


def test_the_kubernetes_facade_shows_edge_nodes_and_replicas(
    memory_backend: k8sedge.MemoryBackend,
) -> None:
    client = k8sedge.Client(memory_backend)
    register(client, "edge-0")
    w = workload(client, "web", replicas=2)
    client.edge.workloads.deploy(w.id)
    with serve_in_thread(create_kube_app(memory_backend.cluster)) as url, httpx.Client() as http:
        nodes = http.get(f"{url}/api/v1/nodes").json()["items"]
        assert [n["metadata"]["name"] for n in nodes] == ["edge-0"]
        pods = http.get(f"{url}/api/v1/namespaces/default/pods").json()["items"]
        assert {p["spec"]["nodeName"] for p in pods} == {"edge-0"}
        assert len(pods) == 2


def _async_clients(
    request: pytest.FixtureRequest, backend: k8sedge.MemoryBackend, kind: str
) -> k8sedge.AsyncClient:
    if kind == "memory":
        return k8sedge.AsyncClient(backend)
    from k8sedge.server import create_app

    app = create_app(backend, rate_limit="off")
    if kind == "http-asgi":
        return k8sedge.connect_async(
            "http://testserver",
            token=app.state.admin_token,
            transport=httpx.ASGITransport(app=app),
        )
    switch, url = request.getfixturevalue("socket_server")
    switch.app = app
    return k8sedge.connect_async(url, token=app.state.admin_token)


@pytest.mark.parametrize("kind", ["memory", "http-asgi", "http-socket", "kubernetes"])
def test_async_client_drives_edge_and_simulator(
    kind: str,
    request: pytest.FixtureRequest,
    memory_backend: k8sedge.MemoryBackend,
    tmp_path: Any,
    clock: ManualClock,
) -> None:
    if kind == "kubernetes":
        from k8sedge.kubeapi import write_kubeconfig

        switch, url = request.getfixturevalue("socket_server")
        switch.app = create_kube_app(memory_backend.cluster)
        config = write_kubeconfig(tmp_path / "kubeconfig", url)
        client = k8sedge.connect_async(
            "kubernetes://k8sedge", kubeconfig=str(config), allow_reset=True, clock=clock
        )
    else:
        client = _async_clients(request, memory_backend, kind)

    async def scenario() -> None:
        async with client:
            node = await client.edge.nodes.register(
                name="edge-0", address="10.0.0.1", resources={"cpu": "4", "memory": "8Gi"}
            )
            assert [n.name async for n in client.edge.nodes.iter()] == ["edge-0"]
            await client.simulator.pods.create(
                {
                    "metadata": {"name": "probe"},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                }
            )
            pod = await client.simulator.pods.get("probe")
            assert pod.node_name == "edge-0"
            result = await client.simulator.pods.result("probe")
            assert result.selected_node == "edge-0"
            names = [n.name for n in await client.simulator.nodes.list()]
            assert names == ["edge-0"]
            config = await client.simulator.config()
            assert config.profiles[0].scheduler_name == "default-scheduler"
            events = []
            async for event in client.simulator.watch(timeout=0.2):
                events.append(event)
                if event.kind == "pods":
                    break
            assert any(e.kind == "pods" and e.obj.name == "probe" for e in events)
            assert (await client.edge.nodes.get(node.id)).name == "edge-0"

    asyncio.run(scenario())
