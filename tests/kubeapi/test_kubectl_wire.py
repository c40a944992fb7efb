"""How clients talk to the facade, driven by real ``kubectl`` (v1.32) against
``k8sedge serve --kube-port``: protobuf creates, OpenAPI validation and ``explain``,
server-side apply, discovery (short names, ``all``, reviews, health), reading (watch tables,
``--sort-by``, boolean field selectors) and honest refusals. No ``--validate=false``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from k8sedge.kube.kinds import KINDS

from .test_facade import KUBECTL, needs_kubectl

pytestmark = needs_kubectl


def _free() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Kube:
    def __init__(self, url: str, config: Path, tmp: Path) -> None:
        self.url, self.config, self.tmp = url, config, tmp

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        return subprocess.run(
            [KUBECTL, "--kubeconfig", str(self.config), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
        return done.stdout

    def fails(self, *args: str, stdin: str | None = None) -> str:
        done = self.run(*args, stdin=stdin)
        assert done.returncode != 0, f"kubectl {' '.join(args)} succeeded: {done.stdout}"
        return done.stderr


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kube]:
    tmp = tmp_path_factory.mktemp("wire")
    port, kube_port, config = _free(), _free(), tmp / "kubeconfig"
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{kube_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz").text == "ok" and config.exists():
                    break
            except httpx.ConnectError:
                pass
            assert time.monotonic() < deadline, "k8sedge serve did not start"
            time.sleep(0.05)
        yield Kube(url, config, tmp)
    finally:
        proc.send_signal(2)
        proc.communicate(timeout=15)


NODES = """
apiVersion: v1
kind: Node
metadata: {name: wire-a, labels: {zone: a}}
status: {allocatable: {cpu: "8", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata: {name: wire-b}
spec: {unschedulable: true}
status: {allocatable: {cpu: "8", memory: 16Gi, pods: "110"}}
"""
DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: ssa, namespace: wire}
spec:
  replicas: 2
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec:
      containers: [{name: app, image: "nginx:1.27"}]
"""


def test_kubectl_creates_over_protobuf(kube: Kube) -> None:
    """kubectl's typed generators send ``application/vnd.kubernetes.protobuf``."""
    kube.ok("apply", "-f", "-", stdin=NODES)
    assert "namespace/wire created" in kube.ok("create", "namespace", "wire")
    kube.ok("create", "deployment", "zero", "-n", "wire", "--image=nginx", "--replicas=0")
    zero = json.loads(kube.ok("get", "deploy", "zero", "-n", "wire", "-o", "json"))
    assert zero["spec"]["replicas"] == 0  # a pointer field set to zero stays set
    kube.ok(
        "create",
        "deployment",
        "web",
        "-n",
        "wire",
        "--image=nginx:1.27",
        "--replicas=2",
        "--port=80",
    )
    web = json.loads(kube.ok("get", "deploy", "web", "-n", "wire", "-o", "json"))
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27" and container["ports"] == [{"containerPort": 80}]
    kube.ok("create", "job", "once", "-n", "wire", "--image=busybox")
    kube.ok("create", "configmap", "cfg", "-n", "wire", "--from-literal=a=1")
    kube.ok("create", "secret", "generic", "pw", "-n", "wire", "--from-literal=p=hunter2")
    kube.ok("create", "priorityclass", "wire-high", "--value=1000", "--description=high")
    kube.ok("run", "solo", "-n", "wire", "--image=nginx", "--labels=app=solo")
    secret = json.loads(kube.ok("get", "secret", "pw", "-n", "wire", "-o", "json"))
    assert secret["data"] == {"p": "aHVudGVyMg=="}  # bytes travel as base64 in JSON
    assert json.loads(kube.ok("get", "pc", "wire-high", "-o", "json"))["value"] == 1000
    pod = json.loads(kube.ok("get", "pod", "solo", "-n", "wire", "-o", "json"))
    assert pod["metadata"]["labels"] == {"app": "solo"} and pod["spec"]["nodeName"] == "wire-a"
    assert kube.ok("get", "cm", "cfg", "-n", "wire", "-o", "jsonpath={.data.a}") == "1"


def test_validation_and_explain_use_the_openapi_documents(kube: Kube) -> None:
    kube.run("create", "namespace", "wire")
    typo = DEPLOYMENT.replace("replicas: 2", "replics: 2").replace("name: ssa", "name: typo")
    for verb in (("apply", "-f", "-"), ("create", "-f", "-")):
        refused = kube.fails(*verb, stdin=typo)
        assert 'strict decoding error: unknown field "spec.replics"' in refused
    assert "No resources found" in kube.run("get", "deploy", "typo", "-n", "wire").stderr + (
        kube.run("get", "deploy", "-n", "wire", "--field-selector", "metadata.name=typo").stderr
    )
    good = DEPLOYMENT.replace("name: ssa", "name: checked")
    assert "created" in kube.ok("create", "-f", "-", stdin=good)
    assert "replaced" in kube.ok("replace", "-f", "-", stdin=good.replace("1.27", "1.28"))
    explained = kube.ok("explain", "deployment.spec")
    assert "KIND:       Deployment" in explained and "replicas\t<integer>" in explained
    assert "maxSurge" in kube.ok("explain", "deployment.spec.strategy.rollingUpdate")
    assert "unschedulable\t<boolean>" in kube.ok("explain", "nodes.spec")


def test_unknown_fields_are_dropped_with_a_warning_unless_strict(kube: Kube) -> None:
    """kube-apiserver's ``fieldValidation``: ``Warn`` (kubectl's ``--validate=warn``, and the
    server's default) drops each unknown field and says so in a ``Warning`` header, which
    kubectl prints; ``Ignore`` drops them silently; ``Strict`` refused them (above)."""
    kube.run("create", "namespace", "wire")
    typo = DEPLOYMENT.replace("replicas: 2", "replics: 2").replace("name: ssa", "name: warned")
    done = kube.run("create", "--validate=warn", "-f", "-", stdin=typo)
    assert done.returncode == 0, done.stderr
    assert 'Warning: unknown field "spec.replics"' in done.stderr
    warned = json.loads(kube.ok("get", "deploy", "warned", "-n", "wire", "-o", "json"))
    assert "replics" not in warned["spec"] and warned["spec"]["replicas"] == 1  # defaulted
    quiet = typo.replace("name: warned", "name: quiet")
    done = kube.run("create", "--validate=ignore", "-f", "-", stdin=quiet)
    assert done.returncode == 0 and "Warning" not in done.stderr, done.stderr
    assert (
        "replics"
        not in json.loads(kube.ok("get", "deploy", "quiet", "-n", "wire", "-o", "json"))["spec"]
    )
    # a client that sends no fieldValidation gets the server's default, Warn
    answer = httpx.post(
        f"{kube.url}/api/v1/namespaces/wire/configmaps",
        json={"metadata": {"name": "plain", "colour": "red"}, "data": {"a": "1"}},
    )
    assert answer.status_code == 201
    assert answer.headers.get_list("warning") == ['299 - "unknown field \\"metadata.colour\\""']
    assert "colour" not in answer.json()["metadata"]


def test_server_side_apply_owns_fields_and_reports_conflicts(kube: Kube) -> None:
    """Conflict messages as kube-apiserver's field manager writes them (k8s.io/apiserver
    ``pkg/endpoints/handlers/fieldmanager`` ``TestApplyConflict``-style: 409, one line per
    field, ``--force-conflicts`` takes the fields over)."""
    kube.run("create", "namespace", "wire")
    assert "serverside-applied" in kube.ok("apply", "--server-side", "-f", "-", stdin=DEPLOYMENT)
    shown = json.loads(
        kube.ok("get", "deploy", "ssa", "-n", "wire", "-o", "json", "--show-managed-fields")
    )
    entry = next(e for e in shown["metadata"]["managedFields"] if e["operation"] == "Apply")
    assert entry["manager"] == "kubectl" and entry["fieldsType"] == "FieldsV1"
    assert "f:replicas" in entry["fieldsV1"]["f:spec"]
    assert 'k:{"name":"app"}' in entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    other = DEPLOYMENT.replace("replicas: 2", "replicas: 4")
    refused = kube.fails("apply", "--server-side", "--field-manager=ops", "-f", "-", stdin=other)
    assert 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' in refused
    kube.ok(
        "apply", "--server-side", "--field-manager=ops", "--force-conflicts", "-f", "-", stdin=other
    )
    assert kube.ok("get", "deploy", "ssa", "-n", "wire", "-o", "jsonpath={.spec.replicas}") == "4"
    # the same value co-owns without conflict; dropping a field gives it up
    assert "serverside-applied" in kube.ok(
        "apply", "--server-side", "--field-manager=ops", "-f", "-", stdin=other
    )
    # create-on-apply
    fresh = DEPLOYMENT.replace("name: ssa", "name: made-by-apply")
    assert "serverside-applied" in kube.ok("apply", "--server-side", "-f", "-", stdin=fresh)
    assert kube.ok("get", "deploy", "made-by-apply", "-n", "wire", "-o", "name")


def test_discovery_short_names_all_and_reviews(kube: Kube) -> None:
    kube.run("apply", "-f", "-", stdin=NODES)
    kube.run("create", "namespace", "wire")
    kube.run("create", "deployment", "web", "-n", "wire", "--image=nginx:1.27")
    listed = kube.ok("get", "po,no,ns,deploy,rs,sts,cm,pvc", "-A", "-o", "name")
    assert "node/wire-a" in listed and "namespace/wire" in listed
    assert "deployment.apps/web" in listed and "replicaset.apps/web-" in listed
    everything = kube.ok("get", "all", "-n", "wire")
    assert "deployment.apps/web" in everything and "pod/web-" in everything
    assert kube.ok("auth", "can-i", "create", "deployments", "-n", "wire").strip() == "yes"
    assert kube.ok("auth", "can-i", "*", "*").strip() == "yes"
    whoami = kube.ok("auth", "whoami")
    assert "kubernetes-admin" in whoami and "system:masters" in whoami
    verbose = kube.ok("get", "--raw", "/readyz?verbose")
    assert "[+]ping ok" in verbose and verbose.strip().endswith("readyz check passed")
    assert kube.ok("get", "--raw", "/livez") == "ok"
    assert kube.ok("get", "--raw", "/healthz/etcd") == "ok"
    resources = kube.ok("api-resources", "-o", "wide")
    assert any(line.split()[:2] == ["pods", "po"] for line in resources.splitlines())
    assert "deletecollection" in resources


@pytest.mark.skipif(
    "services" not in KINDS,
    reason="cluster-info lists Services, which the kinds-and-controllers work serves",
)
def test_cluster_info(kube: Kube) -> None:
    assert f"Kubernetes control plane is running at {kube.url}" in kube.ok("cluster-info")


def test_deletecollection_and_top_level_bindings(kube: Kube) -> None:
    kube.run("apply", "-f", "-", stdin=NODES)
    with httpx.Client(base_url=kube.url) as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": "dc"}})
        for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
            body = {"metadata": {"name": name, "labels": {"tier": tier}}, "data": {}}
            assert http.post("/api/v1/namespaces/dc/configmaps", json=body).status_code == 201
        gone = http.delete("/api/v1/namespaces/dc/configmaps", params={"labelSelector": "tier=web"})
        assert gone.status_code == 200 and gone.json()["kind"] == "ConfigMapList"
        assert sorted(i["metadata"]["name"] for i in gone.json()["items"]) == ["a", "b"]
        assert kube.ok("get", "cm", "-n", "dc", "-o", "name").split() == ["configmap/c"]
        pod = {
            "metadata": {"name": "manual"},
            "spec": {"schedulerName": "nobody", "containers": [{"name": "c", "image": "x"}]},
        }
        assert http.post("/api/v1/namespaces/dc/pods", json=pod).status_code == 201
        binding = {"metadata": {"name": "manual"}, "target": {"kind": "Node", "name": "wire-b"}}
        bound = http.post("/api/v1/namespaces/dc/bindings", json=binding)
        assert bound.status_code == 201, bound.text
    assert kube.ok("get", "pod", "manual", "-n", "dc", "-o", "jsonpath={.spec.nodeName}") == (
        "wire-b"
    )


def test_reading_watch_tables_sort_by_and_boolean_fields(kube: Kube) -> None:
    kube.run("apply", "-f", "-", stdin=NODES)
    kube.run("create", "namespace", "read")
    assert KUBECTL is not None
    watcher = subprocess.Popen(
        [KUBECTL, "--kubeconfig", str(kube.config), "get", "pods", "-n", "read", "-w"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(watcher.stdout or ()), daemon=True)
    reader.start()
    try:
        time.sleep(1.0)
        kube.ok("run", "zeta", "-n", "read", "--image=nginx")
        kube.ok("run", "alpha", "-n", "read", "--image=nginx")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("alpha" in line for line in lines):
            time.sleep(0.1)
    finally:
        watcher.terminate()
        watcher.communicate(timeout=10)
    header = next(line for line in lines if line.startswith("NAME"))
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = [line.split() for line in lines if line.startswith(("zeta", "alpha"))]
    assert rows and all(len(row) == 5 for row in rows)  # every event keeps the columns
    wide = kube.ok("get", "pods", "-n", "read", "-o", "wide").splitlines()
    assert wide[0].split() == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]
    by_name = kube.ok("get", "pods", "-n", "read", "--sort-by=.metadata.name", "-o", "name")
    assert by_name.split() == ["pod/alpha", "pod/zeta"]
    by_node = kube.ok("get", "pods", "-n", "read", "--sort-by=.spec.nodeName")
    assert by_node.splitlines()[0].split()[0] == "NAME"
    by_phase = kube.ok("get", "pods", "-n", "read", "--sort-by=.status.phase", "--no-headers")
    assert len(by_phase.splitlines()) == 2
    drained = kube.ok("get", "nodes", "--field-selector", "spec.unschedulable=true", "-o", "name")
    assert drained.split() == ["node/wire-b"]
    open_nodes = kube.ok("get", "no", "--field-selector", "spec.unschedulable=false", "-o", "name")
    assert "node/wire-a" in open_nodes.split() and "node/wire-b" not in open_nodes
    deployments = kube.ok("get", "deploy", "-A").splitlines()[0].split()
    assert deployments == ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]


def test_logs_exec_attach_port_forward_and_top_are_refused(kube: Kube) -> None:
    kube.run("apply", "-f", "-", stdin=NODES)
    kube.run("create", "namespace", "ref")
    kube.ok("run", "busy", "-n", "ref", "--image=nginx")
    phase = kube.ok("get", "pod", "busy", "-n", "ref", "-o", "jsonpath={.status.phase}")
    assert phase == "Running"
    assert "runs no containers" in kube.fails("logs", "busy", "-n", "ref")
    assert "runs no containers" in kube.fails("exec", "busy", "-n", "ref", "--", "ls")
    attached = kube.fails("attach", "busy", "-n", "ref")
    assert "runs no containers" in attached or "error" in attached.lower()
    assert "Metrics API not available" in kube.fails("top", "pods", "-n", "ref")
    assert "Metrics API not available" in kube.fails("top", "nodes")
    with httpx.Client(base_url=kube.url) as http:
        answer = http.get("/api/v1/namespaces/ref/pods/busy/log")
        assert answer.status_code == 400 and answer.json()["kind"] == "Status"
        assert http.get("/api/v1/namespaces/ref/pods/none/log").status_code == 404
        forwarded = http.post("/api/v1/namespaces/ref/pods/busy/portforward")
        assert forwarded.status_code == 400 and "runs no containers" in forwarded.text
