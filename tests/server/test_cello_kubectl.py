"""The pool seen by ``kubectl`` through the Kubernetes API facade: namespaces, Deployments
and pods on the host's nodes, records in ConfigMaps; what kubectl deletes comes back."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.kubeapi import create_kube_app, write_kubeconfig
from k8sedge.server.threaded import serve_in_thread

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


class Kubectl:
    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig

    def __call__(self, *args: str) -> str:
        assert KUBECTL is not None
        out = subprocess.run(
            [KUBECTL, "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout


@pytest.fixture
def kubectl(memory_backend: k8sedge.MemoryBackend, tmp_path: Path) -> Iterator[Kubectl]:
    with serve_in_thread(create_kube_app(memory_backend.cluster)) as url:
        yield Kubectl(write_kubeconfig(tmp_path / "kubeconfig", url))


def test_the_pool_in_kubectl(
    kubectl: Kubectl, memory_backend: k8sedge.MemoryBackend, clock: ManualClock
) -> None:
    client = k8sedge.Client(memory_backend)
    for name, pool in (("a", "cello"), ("b", "cello"), ("c", "other")):
        client.simulator.nodes.create(
            {
                "metadata": {"name": name, "labels": {"pool": pool}},
                "status": {"allocatable": {"cpu": "8", "memory": "16Gi", "pods": "110"}},
            }
        )
    host = client.cello.hosts.create(
        name="h",
        worker_api="10.0.0.1:2375",
        capacity=2,
        autofill=True,
        node_selector={"pool": "cello"},
    )
    clock.advance(5)
    cluster = client.cello.apply(user_id="alice")
    space = f"cello-{cluster.id}"

    pods = json.loads(kubectl("get", "pods", "-n", space, "-o", "json"))["items"]
    assert sorted(p["metadata"]["labels"]["cello.k8sedge.io/component"] for p in pods) == sorted(
        cluster.containers
    )
    assert {p["spec"]["nodeName"] for p in pods} <= {"a", "b"}
    assert all(p["status"]["phase"] == "Running" for p in pods)
    wide = kubectl("get", "pods", "-n", space, "-o", "wide")
    assert "vp0-" in wide and "membersrvc-" in wide
    deployments = kubectl("get", "deployments", "-n", space, "-o", "name")
    assert sorted(deployments.split()) == sorted(f"deployment.apps/{c}" for c in cluster.containers)
    records = kubectl("get", "configmaps", "-n", "cello-system", "-o", "name").split()
    assert f"configmap/host-{host.id}" in records and len(records) == 3
    everything = kubectl("get", "pods", "-A", "-l", "app.kubernetes.io/part-of=cello", "-o", "name")
    assert len(everything.split()) == sum(len(c.containers) for c in client.cello.clusters.list())

    kubectl("delete", "deployment", "vp0", "-n", space)
    assert client.cello.clusters.get(cluster.id).status.value == "running"  # repaired
    assert "deployment.apps/vp0" in kubectl("get", "deployments", "-n", space, "-o", "name")
    client.cello.release(cluster.id)  # its namespace, Deployments and pods go
    assert f"namespace/{space}" not in kubectl("get", "namespaces", "-o", "name").split()
    assert kubectl("get", "pods", "-A", "-l", f"cello.k8sedge.io/cluster={cluster.id}") == ""
