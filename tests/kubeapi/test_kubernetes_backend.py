"""What the kubernetes backend writes into the cluster (seen through kubectl-like reads)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.kubeapi import create_kube_app, write_kubeconfig
from k8sedge.server.threaded import serve_in_thread


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[k8sedge.Client, httpx.Client]]:
    clock = ManualClock(1_700_000_000)
    memory = k8sedge.MemoryBackend(clock=clock)
    with serve_in_thread(create_kube_app(memory.cluster)) as url:
        config = write_kubeconfig(tmp_path / "kubeconfig", url)
        with (
            k8sedge.connect("kubernetes://k8sedge", kubeconfig=str(config), clock=clock) as client,
            httpx.Client(base_url=url) as raw,
        ):
            yield client, raw


def test_edge_objects_on_the_cluster(setup: tuple[k8sedge.Client, httpx.Client]) -> None:
    client, raw = setup
    node = client.edge.nodes.register(
        name="edge-1",
        address="10.0.0.7",
        resources={"cpu": "2", "memory": "4Gi"},
        labels={"site": "a"},
    )
    stored = raw.get("/api/v1/nodes/edge-1").json()
    assert stored["metadata"]["labels"]["k8sedge.io/edge"] == "true"
    assert stored["metadata"]["labels"]["k8sedge.io/id"] == node.id
    assert stored["metadata"]["labels"]["site"] == "a"
    assert stored["metadata"]["annotations"]["k8sedge.io/address"] == "10.0.0.7"
    assert stored["status"]["allocatable"]["cpu"] == "2"
    client.edge.nodes.heartbeat(node.id)
    lease = raw.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1").json()
    assert lease["spec"]["holderIdentity"] == "edge-1"
    assert lease["spec"]["renewTime"].startswith("2023-11-14T22:13:20")
    client.edge.nodes.update_status(node.id, status="maintenance")
    assert raw.get("/api/v1/nodes/edge-1").json()["spec"]["unschedulable"] is True
    token = client.edge.tokens.generate(node.id)
    assert raw.get("/api/v1/namespaces/kube-system/secrets/k8sedge-token-key").status_code == 200
    client.edge.tokens.revoke(token.token)
    revoked = raw.get("/api/v1/namespaces/kube-system/secrets/k8sedge-token-revocations").json()
    assert len(revoked["data"]) == 1
    # a second client on the same cluster shares the key and sees the revocation
    assert not client.edge.tokens.validate(token.token).valid
    client.edge.nodes.delete(node.id)
    assert raw.get("/api/v1/nodes/edge-1").status_code == 404
    assert (
        raw.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1").status_code
        == 404
    )


def test_workloads_are_deployments(setup: tuple[k8sedge.Client, httpx.Client]) -> None:
    client, raw = setup
    edge_node = client.edge.nodes.register(
        name="edge-1", address="a", labels={"site": "x"}, resources={"cpu": "4", "memory": "8Gi"}
    )
    client.edge.nodes.register(
        name="cloud-1",
        address="b",
        labels={"k8sedge.io/tier": "cloud"},
        resources={"cpu": "4", "memory": "8Gi"},
    )
    workload = client.edge.workloads.create(
        name="web",
        image="nginx:1.27",
        replicas=2,
        namespace="shop",
        resources={"requests": {"cpu": "500m"}},
        placement={
            "strategy": "edge-first",
            "constraints": [{"key": "site", "operator": "Exists"}],
        },
    )
    stored = raw.get("/apis/apps/v1/namespaces/shop/deployments/web").json()
    assert stored["metadata"]["labels"]["k8sedge.io/workload-id"] == workload.id
    assert stored["spec"]["replicas"] == 0  # defined, not deployed
    template = stored["spec"]["template"]["spec"]
    assert template["schedulerName"] == "k8sedge-scheduler"
    affinity = template["affinity"]["nodeAffinity"]
    assert affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": "site", "operator": "Exists"}]}
    ]
    assert affinity["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"] == 100
    client.edge.workloads.deploy(workload.id)
    pods = raw.get("/api/v1/namespaces/shop/pods").json()["items"]
    assert len(pods) == 2
    assert {p["spec"]["nodeName"] for p in pods} == {"edge-1"}  # cloud-1 lacks the site label
    assert all(
        p["metadata"]["annotations"]["kube-scheduler-simulator.sigs.k8s.io/selected-node"]
        == "edge-1"
        for p in pods
    )
    got = client.edge.workloads.get(workload.id)
    assert got.status is k8sedge.WorkloadStatus.RUNNING and got.nodes == [edge_node.id]
    client.edge.workloads.delete(workload.id)
    assert raw.get("/api/v1/namespaces/shop/pods").json()["items"] == []


def test_reset_needs_consent(setup: tuple[k8sedge.Client, httpx.Client]) -> None:
    client, _ = setup
    with pytest.raises(k8sedge.UnsupportedError, match="allow_reset=True"):
        client.simulator.reset()
