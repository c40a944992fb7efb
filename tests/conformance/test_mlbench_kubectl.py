"""A run as ``kubectl`` sees it on the memory cluster (through the Kubernetes API facade):
its StatefulSet and headless Service, its workers on their nodes, and a StatefulSet deleted
by hand failing it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import k8sedge
from k8sedge.kubeapi import create_kube_app, write_kubeconfig
from k8sedge.server.threaded import serve_in_thread
from k8sedge.surfaces.mlbench import RunState

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def test_kubectl_sees_the_run(memory_backend: k8sedge.MemoryBackend, tmp_path: Path) -> None:
    client = k8sedge.Client(memory_backend)
    for i in range(2):
        client.edge.nodes.register(
            name=f"node-{i}", address="10.0.0.1", resources={"cpu": "4", "memory": "8Gi"}
        )
    run = client.mlbench.runs.create(name="seen", num_workers=2, num_cpus=1)
    with serve_in_thread(create_kube_app(memory_backend.cluster)) as url:
        config = write_kubeconfig(tmp_path / "kubeconfig", url)

        def kubectl(*args: str) -> str:
            assert KUBECTL is not None
            out = subprocess.run(
                [KUBECTL, "--kubeconfig", str(config), *args],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            return out.stdout

        sets = json.loads(kubectl("get", "statefulsets", "-o", "json"))["items"]
        assert [s["metadata"]["name"] for s in sets] == ["seen-mlbench-worker-k8sedge"]
        assert sets[0]["status"]["readyReplicas"] == 2
        pods = json.loads(
            kubectl("get", "pods", "-l", "app=mlbench,component=worker", "-o", "json")
        )["items"]
        assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-0", "node-1"]
        # the workers' host names for mpirun: a headless Service, as the Helm chart makes
        services = json.loads(kubectl("get", "services", "-l", "app=mlbench", "-o", "json"))
        [service] = services["items"]
        assert service["metadata"]["name"] == "seen-mlbench-worker-k8sedge"
        assert service["spec"]["clusterIP"] == "None"
        assert service["spec"]["selector"]["set"] == "seen"
        assert client.mlbench.runs.get(run.id).state is RunState.STARTED
        kubectl("delete", "statefulset", "seen-mlbench-worker-k8sedge")
        failed = client.mlbench.runs.get(run.id)
        assert failed.state is RunState.FAILED
        assert client.mlbench.pods.list() == []
        left = json.loads(kubectl("get", "services", "-l", "app=mlbench", "-o", "json"))
        assert left["items"] == []  # the run's Service went with it
