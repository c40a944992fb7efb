"""The Kubernetes API facade, driven by real clients: ``kubectl`` and the official
``kubernetes`` Python client, over a uvicorn socket on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import k8sedge
from k8sedge.kubeapi import create_kube_app, write_kubeconfig
from k8sedge.server.threaded import serve_in_thread

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (.ci/run installs Debian's kubernetes-client)"
)


class Cluster:
    def __init__(self, url: str, kubeconfig: Path, backend: k8sedge.MemoryBackend) -> None:
        self.url = url
        self.kubeconfig = kubeconfig
        self.backend = backend

    def kubectl(self, *args: str, check: bool = True, timeout: float = 30) -> str:
        assert KUBECTL is not None
        out = subprocess.run(
            [KUBECTL, "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and out.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {out.stderr}")
        return out.stdout + out.stderr


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    backend = k8sedge.MemoryBackend()
    app = create_kube_app(backend.cluster)
    with serve_in_thread(app) as url:
        path = write_kubeconfig(tmp_path / "kubeconfig", url)
        yield Cluster(url, path, backend)


NODES = """
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {zone: a}}
status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {zone: b}}
status: {allocatable: {cpu: "1", memory: 8Gi, pods: "110"}}
"""
PODS = """
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec:
  containers: [{name: app, image: nginx, resources: {requests: {cpu: "2"}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, labels: {app: web}}
spec:
  containers: [{name: app, image: nginx, resources: {requests: {cpu: "500m"}}}]
"""


@needs_kubectl
def test_kubectl_apply_get_delete(cluster: Cluster, tmp_path: Path) -> None:
    (tmp_path / "nodes.yaml").write_text(NODES)
    (tmp_path / "pods.yaml").write_text(PODS)
    assert "No resources found" in cluster.kubectl("get", "nodes")
    out = cluster.kubectl("apply", "-f", str(tmp_path / "nodes.yaml"))
    assert "node/node-a created" in out and "node/node-b created" in out
    cluster.kubectl("apply", "-f", str(tmp_path / "pods.yaml"))
    wide = cluster.kubectl("get", "pods", "-o", "wide")
    lines = {line.split()[0]: line.split() for line in wide.splitlines()[1:]}
    assert "NODE" in wide.splitlines()[0]
    assert lines["web-1"][6] == "node-a"  # only node-a has 2 cpu free
    assert lines["web-1"][2] == "Running"
    nodes = cluster.kubectl("get", "nodes")
    assert "node-a" in nodes and "node-b" in nodes and "Ready" in nodes
    assert cluster.kubectl(
        "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}"
    ).split() == ["web-1", "web-2"]
    selected = cluster.kubectl(
        "get", "pods", "--field-selector", "spec.nodeName=node-a", "-o", "name"
    )
    assert "pod/web-1" in selected
    detail = json.loads(cluster.kubectl("get", "pod", "web-1", "-o", "json"))
    assert (
        detail["metadata"]["annotations"]["kube-scheduler-simulator.sigs.k8s.io/selected-node"]
        == "node-a"
    )
    assert "unchanged" in cluster.kubectl("apply", "-f", str(tmp_path / "pods.yaml"))
    cluster.kubectl("label", "node", "node-b", "tier=edge")
    assert "tier=edge" in cluster.kubectl("get", "node", "node-b", "--show-labels")
    assert 'pod "web-1" deleted' in cluster.kubectl("delete", "pod", "web-1")
    missing = cluster.kubectl("get", "pod", "web-1", check=False)
    assert 'pods "web-1" not found' in missing


@needs_kubectl
def test_kubectl_watch_receives_events(cluster: Cluster) -> None:
    assert KUBECTL is not None
    proc = subprocess.Popen(
        [
            KUBECTL,
            "--kubeconfig",
            str(cluster.kubeconfig),
            "get",
            "pods",
            "--watch",
            "--output-watch-events",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        time.sleep(1.0)
        sim = k8sedge.Client(cluster.backend).simulator
        sim.nodes.create(
            {
                "metadata": {"name": "n"},
                "status": {"allocatable": {"cpu": "2", "memory": "1Gi", "pods": "9"}},
            }
        )
        sim.pods.create(
            {
                "metadata": {"name": "watched"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            }
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any("watched" in line for line in lines):
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert any("ADDED" in line and "watched" in line for line in lines), lines


@pytest.fixture
def official(cluster: Cluster) -> Iterator[tuple[Any, Any]]:
    from kubernetes import client, config

    api_client = config.new_client_from_config(str(cluster.kubeconfig))
    yield client.CoreV1Api(api_client), client
    api_client.close()


def test_official_client_crud_conflicts_and_watch(official: tuple[Any, Any]) -> None:
    from kubernetes import watch
    from kubernetes.client.rest import ApiException

    core, kube = official
    core.create_node(
        kube.V1Node(
            metadata=kube.V1ObjectMeta(name="n1", labels={"zone": "a"}),
            status=kube.V1NodeStatus(allocatable={"cpu": "4", "memory": "8Gi", "pods": "110"}),
        )
    )
    pod = kube.V1Pod(
        metadata=kube.V1ObjectMeta(name="p1", labels={"app": "web"}),
        spec=kube.V1PodSpec(containers=[kube.V1Container(name="c", image="nginx")]),
    )
    created = core.create_namespaced_pod("default", pod)
    assert created.metadata.uid and created.metadata.creation_timestamp is not None
    assert created.spec.node_name == "n1"
    with pytest.raises(ApiException) as duplicate:
        core.create_namespaced_pod("default", pod)
    assert duplicate.value.status == 409
    assert json.loads(duplicate.value.body)["reason"] == "AlreadyExists"
    assert [
        p.metadata.name for p in core.list_namespaced_pod("default", label_selector="app=web").items
    ] == ["p1"]
    assert core.list_namespaced_pod("default", label_selector="app!=web").items == []
    assert core.list_namespaced_pod("default", label_selector="app in (db,cache)").items == []
    assert len(core.list_pod_for_all_namespaces(field_selector="metadata.name=p1").items) == 1

    node = core.read_node("n1")
    stale_version = node.metadata.resource_version
    node.metadata.labels["tier"] = "edge"
    updated = core.replace_node("n1", node)
    assert int(updated.metadata.resource_version) > int(stale_version)
    node.metadata.resource_version = stale_version
    with pytest.raises(ApiException) as conflict:
        core.replace_node("n1", node)
    assert conflict.value.status == 409 and json.loads(conflict.value.body)["reason"] == "Conflict"
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("nope", "default")
    assert missing.value.status == 404
    assert json.loads(missing.value.body)["kind"] == "Status"
    assert json.loads(missing.value.body)["reason"] == "NotFound"
    with pytest.raises(ApiException) as invalid:
        core.create_namespaced_config_map("default", kube.V1ConfigMap(metadata=kube.V1ObjectMeta()))
    assert invalid.value.status == 422
    assert json.loads(invalid.value.body)["reason"] == "Invalid"

    listed = core.list_namespaced_pod("default")
    events: list[tuple[str, str]] = []
    stream = watch.Watch()

    def later() -> None:
        time.sleep(0.5)
        core.patch_namespaced_pod("p1", "default", {"metadata": {"labels": {"v": "2"}}})
        core.delete_namespaced_pod("p1", "default")

    threading.Thread(target=later, daemon=True).start()
    for event in stream.stream(
        core.list_namespaced_pod,
        "default",
        resource_version=listed.metadata.resource_version,
        timeout_seconds=5,
    ):
        events.append((event["type"], event["object"].metadata.name))
        if event["type"] == "DELETED":
            stream.stop()
    assert events == [("MODIFIED", "p1"), ("DELETED", "p1")]


def test_discovery_paging_patches_and_expired_watch(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.url) as http:
        _discovery_paging_patches_and_expired_watch(cluster, http)


def _discovery_paging_patches_and_expired_watch(cluster: Cluster, http: httpx.Client) -> None:
    assert http.get("/version").json()["major"] == "1"
    assert "v1" in http.get("/api").json()["versions"]
    groups = {g["name"] for g in http.get("/apis").json()["groups"]}
    assert {"apps", "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "batch"} <= groups
    apps = {r["name"] for r in http.get("/apis/apps/v1").json()["resources"]}
    assert {"deployments", "replicasets", "statefulsets"} <= apps
    for i in range(5):
        assert (
            http.post(
                "/api/v1/namespaces/default/configmaps",
                json={"metadata": {"name": f"cm-{i}"}, "data": {"i": str(i)}},
            ).status_code
            == 201
        )
    first = http.get("/api/v1/namespaces/default/configmaps", params={"limit": 2}).json()
    assert [c["metadata"]["name"] for c in first["items"]] == ["cm-0", "cm-1"]
    assert first["metadata"]["remainingItemCount"] == 3
    rest = http.get(
        "/api/v1/namespaces/default/configmaps",
        params={"limit": 10, "continue": first["metadata"]["continue"]},
    ).json()
    assert [c["metadata"]["name"] for c in rest["items"]] == ["cm-2", "cm-3", "cm-4"]
    patched = http.patch(
        "/api/v1/namespaces/default/configmaps/cm-0",
        headers={"content-type": "application/json-patch+json"},
        content=json.dumps(
            [
                {"op": "replace", "path": "/data/i", "value": "x"},
                {"op": "add", "path": "/data/j", "value": "y"},
            ]
        ),
    )
    assert patched.json()["data"] == {"i": "x", "j": "y"}
    merged = http.patch(
        "/api/v1/namespaces/default/configmaps/cm-0",
        headers={"content-type": "application/merge-patch+json"},
        content=json.dumps({"data": {"j": None}}),
    )
    assert merged.json()["data"] == {"i": "x"}
    bad = http.patch(
        "/api/v1/namespaces/default/configmaps/cm-0",
        headers={"content-type": "application/json-patch+json"},
        content=json.dumps([{"op": "remove", "path": "/data/missing"}]),
    )
    assert bad.status_code == 400 and bad.json()["kind"] == "Status"
    assert http.put("/api/v1/namespaces/default/configmaps", json={}).status_code == 405
    expired = http.get(
        "/api/v1/pods", params={"watch": "1", "resourceVersion": "-5", "timeoutSeconds": "1"}
    )
    assert expired.status_code == 200
    # a version far in the past is answered as an ERROR event carrying Status 410
    store = cluster.backend.cluster.store
    store.log = type(store.log)(list(store.log)[-2:], maxlen=store.log.maxlen)
    gone = http.get(
        "/api/v1/pods", params={"watch": "1", "resourceVersion": "1", "timeoutSeconds": "1"}
    )
    event = json.loads(gone.text.splitlines()[0])
    assert event["type"] == "ERROR" and event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: "nginx:1.27", resources: {requests: {cpu: 100m}}}]
"""


@needs_kubectl
def test_kubectl_deployment_creates_scheduled_pods(cluster: Cluster, tmp_path: Path) -> None:
    (tmp_path / "nodes.yaml").write_text(NODES)
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    cluster.kubectl("apply", "-f", str(tmp_path / "nodes.yaml"))
    cluster.kubectl("apply", "-f", str(tmp_path / "deploy.yaml"))
    wide = cluster.kubectl("get", "pods", "-l", "app=web", "-o", "wide").splitlines()[1:]
    assert len(wide) == 3
    assert all(line.split()[6] in ("node-a", "node-b") for line in wide)
    status = json.loads(cluster.kubectl("get", "deployment", "web", "-o", "json"))["status"]
    assert status["readyReplicas"] == 3 and status["updatedReplicas"] == 3
    cluster.kubectl(
        "patch",
        "deployment",
        "web",
        "--type=merge",
        "-p",
        json.dumps(
            {
                "spec": {
                    "replicas": 2,
                    "template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}},
                }
            }
        ),
    )
    images = cluster.kubectl(
        "get", "pods", "-o", "jsonpath={.items[*].spec.containers[0].image}"
    ).split()
    assert images == ["nginx:1.28", "nginx:1.28"]
    replica_sets = json.loads(cluster.kubectl("get", "replicasets", "-o", "json"))["items"]
    assert sorted(rs["spec"]["replicas"] for rs in replica_sets) == [0, 2]
    victim = cluster.kubectl("get", "pods", "-o", "jsonpath={.items[0].metadata.name}")
    cluster.kubectl("delete", "pod", victim)
    names = cluster.kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.name}").split()
    assert len(names) == 2 and victim not in names  # the ReplicaSet replaced it
    cluster.kubectl("delete", "deployment", "web")
    assert "No resources found" in cluster.kubectl("get", "pods")


def test_status_subresource_finalizers_bookmarks_and_selectors(cluster: Cluster) -> None:
    with httpx.Client(base_url=cluster.url) as http:
        node = {
            "metadata": {"name": "n1", "labels": {"zone": "a"}},
            "spec": {"podCIDR": "10.0.0.0/24"},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "9"}},
        }
        assert http.post("/api/v1/nodes", json=node).status_code == 201
        # the main resource ignores .status; /status ignores everything but .status
        changed = {**node, "spec": {"podCIDR": "10.9.0.0/24"}, "status": {"phase": "Bogus"}}
        after = http.put("/api/v1/nodes/n1", json=changed).json()
        assert after["spec"]["podCIDR"] == "10.9.0.0/24"
        assert after["status"]["allocatable"]["cpu"] == "4"
        status_only = {
            **node,
            "spec": {"podCIDR": "1.1.1.0/24"},
            "status": {"allocatable": {"cpu": "8", "memory": "8Gi", "pods": "9"}},
        }
        after = http.put("/api/v1/nodes/n1/status", json=status_only).json()
        assert after["status"]["allocatable"]["cpu"] == "8"
        assert after["spec"]["podCIDR"] == "10.9.0.0/24"
        # finalizers: delete marks, removing the last finalizer deletes
        guarded = {
            "metadata": {"name": "keep", "finalizers": ["example.com/hold"]},
            "data": {"a": "1"},
        }
        http.post("/api/v1/namespaces/default/configmaps", json=guarded)
        marked = http.delete("/api/v1/namespaces/default/configmaps/keep").json()
        assert marked["metadata"]["deletionTimestamp"]
        assert http.get("/api/v1/namespaces/default/configmaps/keep").status_code == 200
        released = http.patch(
            "/api/v1/namespaces/default/configmaps/keep",
            headers={"content-type": "application/merge-patch+json"},
            content=json.dumps({"metadata": {"finalizers": None}}),
        )
        assert released.status_code == 200
        assert http.get("/api/v1/namespaces/default/configmaps/keep").status_code == 404
        # selectors: exists, !key, notin
        http.post("/api/v1/nodes", json={"metadata": {"name": "n2"}})

        def names(selector: str) -> list[str]:
            found = http.get("/api/v1/nodes", params={"labelSelector": selector}).json()
            return [n["metadata"]["name"] for n in found["items"]]

        assert names("zone") == ["n1"]
        assert names("!zone") == ["n2"]
        assert names("zone notin (b,c)") == ["n1", "n2"]
        assert names("zone==a") == ["n1"]
        bad = http.get("/api/v1/nodes", params={"labelSelector": "zone in"})
        assert bad.status_code == 400 and bad.json()["kind"] == "Status"
        # bookmarks while idle
        version = http.get("/api/v1/nodes").json()["metadata"]["resourceVersion"]
        stream = http.get(
            "/api/v1/nodes",
            params={
                "watch": "1",
                "resourceVersion": version,
                "allowWatchBookmarks": "true",
                "timeoutSeconds": "2",
            },
            timeout=10,
        )
        events = [json.loads(line) for line in stream.text.splitlines() if line.strip()]
        assert events and all(e["type"] == "BOOKMARK" for e in events)
        assert events[0]["object"]["metadata"]["resourceVersion"] == version


def test_serve_with_kube_port_and_kubeconfig_command(tmp_path: Path) -> None:
    import socket
    import sys

    def free() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    port, kube_port = free(), free()
    config = tmp_path / "kc.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "k8sedge",
            "serve",
            "--port",
            str(port),
            "--kube-port",
            str(kube_port),
            "--kubeconfig",
            str(config),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        assert any(f"kubeconfig: {config}" in line for line in lines), lines
        deadline = time.monotonic() + 15
        while True:
            try:
                version = httpx.get(f"http://127.0.0.1:{kube_port}/version")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert version.json()["major"] == "1"
        served = json.loads(config.read_text())
        assert served["clusters"][0]["cluster"]["server"] == f"http://127.0.0.1:{kube_port}"
        if KUBECTL is not None:
            out = subprocess.run(
                [KUBECTL, "--kubeconfig", str(config), "get", "namespaces"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert "kube-system" in out.stdout
    finally:
        proc.send_signal(2)
        proc.communicate(timeout=15)
    written = subprocess.run(
        [
            sys.executable,
            "-m",
            "k8sedge",
            "kubeconfig",
            "--server",
            "https://10.0.0.1:3131",
            "--token",
            "t",
            "--out",
            str(tmp_path / "other.json"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    other = json.loads(Path(written.stdout.strip()).read_text())
    assert other["users"][0]["user"] == {"token": "t"}
