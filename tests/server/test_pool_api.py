"""The resource-pool API served over raw HTTP (in-process and on a uvicorn socket): the
spec's examples, status codes and error bodies; and the http backend reading the real Go
server's variants."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.backends.http import SyncASGITransport
from k8sedge.server import create_app

FLIST = "http://192.168.20.132:8080/deboeckj/lede-17.01.0-r3205-59508e3-x86-64-generic-rootfs.flist"
# the spec's "Create a new container" payload, as written
CREATE = {
    "nics": [
        {
            "config": {
                "dhcp": False,
                "cidr": "192.168.57.217/24",
                "gateway": "192.168.57.254",
                "dns": ["8.8.8.8"],
            },
            "id": "0",
            "type": "vlan",
        }
    ],
    "id": "vfw_22",
    "filesystems": [],
    "flist": FLIST,
    "hostNetworking": False,
    "hostname": "vfw_22",
    "initprocesses": [],
    "ports": [],
}
# the spec's "Start a process on a container" payload
PROCESS = {
    "name": "/bin/dnsmasq",
    "pwd": "",
    "args": ["--conf-file=/etc/dnsmasq.conf", "-d"],
    "env": [],
}
MEM_KEYS = {
    "active",
    "available",
    "buffers",
    "cached",
    "free",
    "inactive",
    "total",
    "used",
    "usedPercent",
    "wired",
}
CPU_KEYS = {
    "guestnice",
    "idle",
    "iowait",
    "irq",
    "nice",
    "softirq",
    "steal",
    "stolen",
    "system",
    "user",
}


class Api:
    """Raw HTTP with the admin token by default."""

    def __init__(self, app: Any, http: httpx.Client) -> None:
        self.app, self.http = app, http
        self.admin = {"Authorization": f"Bearer {app.state.admin_token}"}

    def __call__(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if auth:
            headers.update(self.admin)
        return self.http.request(method, path, headers=headers, **kw)


@pytest.fixture(params=["asgi", "socket"])
def api(request: pytest.FixtureRequest, memory_backend: k8sedge.MemoryBackend) -> Iterator[Api]:
    app = create_app(memory_backend, rate_limit="off")
    if request.param == "asgi":
        http = httpx.Client(transport=SyncASGITransport(app), base_url="http://testserver")
    else:
        switch, url = request.getfixturevalue("socket_server")
        switch.app = app
        http = httpx.Client(base_url=url)
    with http:
        yield Api(app, http)


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    return str(body["error"])


def _node(memory_backend: k8sedge.MemoryBackend) -> str:
    client = k8sedge.Client(memory_backend)
    return client.edge.nodes.register(
        name="core0node", address="10.0.0.5", resources={"cpu": "2", "memory": "2Gi"}
    ).id


def test_spec_examples_replayed(
    api: Api, memory_backend: k8sedge.MemoryBackend, clock: ManualClock
) -> None:
    node = _node(memory_backend)
    listing = api("GET", "/nodes")
    assert listing.status_code == 200
    assert listing.json() == [{"hostname": "core0node", "id": node, "status": "running"}]

    mem = api("GET", f"/nodes/{node}/mem")
    assert mem.status_code == 200
    (info,) = mem.json()
    assert set(info) == MEM_KEYS and info["total"] == 2 << 30 and info["usedPercent"] == 0.0

    created = api("POST", f"/nodes/{node}/containers", json=CREATE)
    assert created.status_code == 204 and created.content == b""

    containers = api("GET", f"/nodes/{node}/containers")
    assert containers.status_code == 200
    assert containers.json() == [
        {"flist": FLIST, "hostname": "vfw_22", "id": "vfw_22", "status": "running"}
    ]
    detail = api("GET", f"/nodes/{node}/containers/vfw_22").json()
    assert detail["nics"] == CREATE["nics"] and detail["hostNetworking"] is False
    assert detail["initprocesses"] == [] and detail["containerId"] == 1

    processes = api("GET", f"/nodes/{node}/containers/vfw_22/processes")
    assert processes.status_code == 200
    (core,) = processes.json()
    assert set(core) == {"cmdline", "cpu", "pid", "rss", "swap", "vms"}
    assert set(core["cpu"]) == CPU_KEYS and core["pid"] == 1
    assert core["cmdline"].startswith("/coreX -core-id 1 ") and core["cmdline"].endswith("vfw_22")

    started = api("POST", f"/nodes/{node}/containers/vfw_22/processes", json=PROCESS)
    assert started.status_code == 202 and started.content == b""
    location = started.headers["location"]
    assert re.fullmatch(rf"/nodes/{node}/containers/vfw_22/jobs/[0-9a-f-]{{36}}", location)
    job_id = location.rsplit("/", 1)[1]

    jobs = api("GET", f"/nodes/{node}/containers/vfw_22/jobs")
    assert jobs.status_code == 200
    assert jobs.json() == [{"id": job_id, "startTime": int(clock.now() * 1000)}]
    job = api("GET", location).json()
    assert job == {
        "id": job_id,
        "name": "core.system",
        "startTime": int(clock.now() * 1000),
        "state": "running",
    }

    killed = api("DELETE", location)
    assert killed.status_code == 204 and killed.content == b""
    assert api("GET", location).json()["state"] == "killed"
    assert api("GET", f"/nodes/{node}/containers/vfw_22/jobs").json() == []

    reboot = api("POST", f"/nodes/{node}/reboot")
    assert reboot.status_code == 204 and reboot.content == b""
    assert api("GET", f"/nodes/{node}").json()["status"] == "halted"


def test_the_rest_of_the_routes(api: Api, memory_backend: k8sedge.MemoryBackend) -> None:
    node = _node(memory_backend)
    base = f"/nodes/{node}"
    api("POST", f"{base}/containers", json=CREATE)
    c = f"{base}/containers/vfw_22"
    assert api("GET", f"{base}/state").json() == {"cpu": 0.0, "rss": 0, "vms": 0, "swap": 0}
    assert len(api("GET", f"{base}/cpus").json()) == 2
    assert api("GET", f"{base}/cpus").json()[0] == {
        "cacheSize": 0,
        "cores": 1,
        "family": "",
        "flags": [],
        "mhz": 0.0,
    }
    assert api("GET", f"{base}/disks").json() == []
    assert api("GET", f"{base}/nics").json()[0]["addrs"] == ["10.0.0.5"]
    assert set(api("GET", f"{base}/info").json()) == {
        "bootTime",
        "hostname",
        "os",
        "platform",
        "platformFamily",
        "platformVersion",
        "procs",
        "uptime",
        "virtualizationRole",
        "virtualizationSystem",
    }
    assert api("POST", f"{base}/ping").json() is True
    assert api("GET", f"{base}/jobs").json() == []
    assert [p["pid"] for p in api("GET", f"{base}/processes").json()] == [1, 2]
    assert api("GET", f"{base}/processes/1").json()["cmdline"] == "/sbin/core0"
    started = api("POST", f"{c}/processes", json={"name": "/bin/sleep", "args": ["9"]})
    job = started.headers["location"]
    assert api("GET", f"{c}/processes/2").json()["cmdline"] == "/bin/sleep 9"
    assert api("POST", f"{c}/processes/2", json={"signal": 18}).status_code == 204
    assert api("POST", job, json={"signal": 15}).status_code == 204
    assert api("GET", job).json()["state"] == "killed"
    api("POST", f"{c}/processes", json={"name": "/bin/sleep"})
    assert api("DELETE", f"{c}/processes/3").status_code == 204
    assert api("POST", f"{c}/stop").status_code == 204
    assert api("GET", c).json()["status"] == "halted"
    start = api("POST", f"{c}/start")
    assert start.status_code == 201 and start.content == b""
    assert api("GET", f"{c}/state").status_code == 200
    assert api("GET", f"{c}/info").json()["hostname"] == "vfw_22"
    assert api("DELETE", c).status_code == 204
    assert api("GET", f"{base}/containers").json() == []


def test_bad_input_answers_the_documented_error_and_changes_nothing(
    api: Api, memory_backend: k8sedge.MemoryBackend
) -> None:
    node = _node(memory_backend)
    base = f"/nodes/{node}"
    api("POST", f"{base}/containers", json={**CREATE, "ports": ["8080:80"]})
    export = memory_backend.service("simulator").export()
    c = f"{base}/containers/vfw_22"

    _error(api("GET", "/nodes/525400123456"), 404)
    _error(api("GET", "/nodes/525400123456/containers"), 404)
    _error(api("GET", f"{base}/containers/vfw_99"), 404)
    _error(api("GET", f"{c}/jobs/f3976780-f369-45df-ab54-206149dc000e"), 404)
    assert "exists" in _error(api("POST", f"{base}/containers", json=CREATE), 409)
    other = {**CREATE, "id": "vfw_23", "ports": ["8080:80"]}
    assert "free ports" in _error(api("POST", f"{base}/containers", json=other), 409)
    no_flist = {k: v for k, v in CREATE.items() if k != "flist"} | {"id": "vfw_24"}
    assert "flist" in _error(api("POST", f"{base}/containers", json=no_flist), 400)
    _error(api("POST", f"{base}/containers", content=b"{not json"), 400)
    _error(api("POST", f"{base}/containers", json=["a"]), 400)
    _error(api("POST", f"{base}/containers", json={**CREATE, "id": "x", "ports": "22"}), 400)
    _error(api("POST", f"{c}/processes", json={"pwd": "/"}), 400)  # no name
    _error(api("POST", f"{c}/processes/2", json={"signal": 0}), 400)
    _error(api("POST", f"{c}/processes/2", json={"signal": "TERM"}), 400)
    _error(api("DELETE", f"{c}/processes/abc"), 400)
    _error(api("DELETE", f"{c}/processes/1"), 409)
    _error(api("DELETE", f"{base}/processes/1"), 409)
    _error(api("GET", f"{base}/vms"), 404)  # later RAML: out of scope
    _error(api("GET", f"{base}/storagepools"), 404)
    _error(api("PUT", f"{base}/containers"), 405)
    assert _error(api("GET", "/nodes", auth=False), 401)

    after = memory_backend.service("simulator").export()
    assert after.pods == export.pods
    assert [x["id"] for x in api("GET", f"{base}/containers").json()] == ["vfw_22"]


def test_the_server_reads_the_real_servers_spellings(
    api: Api, memory_backend: k8sedge.MemoryBackend
) -> None:
    node = _node(memory_backend)
    later = {k: v for k, v in CREATE.items() if k not in ("id", "initprocesses")}
    later |= {"name": "vfw_30", "initProcesses": [{"name": "/bin/a", "environment": ["A=1"]}]}
    assert api("POST", f"/nodes/{node}/containers", json=later).status_code == 204
    detail = api("GET", f"/nodes/{node}/containers/vfw_30").json()
    assert detail["id"] == "vfw_30"
    assert detail["initprocesses"] == [
        {"name": "/bin/a", "pwd": "", "args": [], "env": ["A=1"], "stdin": ""}
    ]
    started = api(
        "POST",
        f"/nodes/{node}/containers/vfw_30/processes",
        json={"name": "/bin/b", "environment": ["B=2"]},
    )
    assert started.status_code == 202


def test_openapi_documents_the_pool(api: Api) -> None:
    paths = api("GET", "/openapi.json", auth=False).json()["paths"]
    assert paths["/nodes/{node_id}/reboot"]["post"]["responses"]["204"]["description"] == (
        "No Content"
    )
    process = paths["/nodes/{node_id}/containers/{container_id}/processes"]["post"]
    assert "202" in process["responses"] and "content" not in process["responses"]["202"]


# -- the http backend against the real Go server's answers -----------------------------------


def _real_server(request: httpx.Request) -> httpx.Response:
    """What the resourcepool server answered (the RAML baseline and its variants)."""
    path, method = request.url.path, request.method
    if path == "/nodes/525400123456/mem":
        return httpx.Response(200, json={"total": 100, "used": 25, "usedPercent": 25.0})
    if path == "/nodes/525400123456/containers" and method == "POST":
        location = "/nodes/525400123456/containers/vfw_22"
        return httpx.Response(201, headers={"Location": location})
    if path == "/nodes/525400123456/containers":
        item = {"name": "vfw_22", "hostname": "vfw_22", "flist": FLIST, "status": "running"}
        return httpx.Response(200, json=[item])
    if path == "/nodes/525400123456/containers/vfw_22":
        return httpx.Response(
            200,
            json={
                "containerid": 12,
                "status": "running",
                "hostname": "vfw_22",
                "flist": FLIST,
                "initprocesses": [{"name": "/bin/a", "environment": ["A=1"], "args": None}],
                "filesystems": None,
                "nics": None,
                "hostNetworking": False,
                "ports": None,
                "storage": "",
                "name": "vfw_22",
            },
        )
    if path.endswith("/jobs") or (path.endswith("/processes") and method == "GET"):
        return httpx.Response(200, content=b"null")
    if path.endswith("/processes") and method == "POST":
        return httpx.Response(202, headers={"Location": f"{path[:-10]}/jobs/abc-123"})
    if path.endswith("/jobs/nope"):
        return httpx.Response(404)  # job not found: an empty body
    if path.endswith("/reboot"):
        return httpx.Response(204)
    if path.endswith("/start"):
        return httpx.Response(500, json={"error": "Failed to start container"})
    return httpx.Response(404, json={"error": "not found"})


def test_the_http_backend_reads_the_real_servers_variants() -> None:
    backend = k8sedge.HttpBackend(
        "http://pool:5000", transport=httpx.MockTransport(_real_server), retry=None
    )
    with k8sedge.Client(backend) as client:
        pool, node = client.pool, "525400123456"
        mem = pool.nodes.mem(node)  # one MemInfo object, not the spec's array
        assert (mem.total, mem.used, mem.used_percent) == (100, 25, 25.0)
        pool.containers.create(node, id="vfw_22", hostname="vfw_22", flist=FLIST)  # 201
        assert [c.id for c in pool.containers.list(node)] == ["vfw_22"]  # "name"
        container = pool.containers.get(node, "vfw_22")
        assert container.container_id == 12 and container.nics == [] and container.ports == []
        assert container.initprocesses[0].env == ["A=1"]
        assert pool.jobs.list(node, "vfw_22") == []  # null
        assert pool.processes.list(node, "vfw_22") == []
        assert pool.processes.start(node, "vfw_22", name="/bin/x") == "abc-123"
        with pytest.raises(k8sedge.NotFoundError):
            pool.jobs.get(node, "vfw_22", "nope")
        pool.nodes.reboot(node)
        with pytest.raises(k8sedge.InternalError, match="Failed to start"):
            pool.containers.start(node, "vfw_22")


# -- kubectl sees the containers ----------------------------------------------------------------

KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_sees_containers_as_pods(tmp_path: Path) -> None:
    from k8sedge.kubeapi import create_kube_app, write_kubeconfig
    from k8sedge.server.threaded import serve_in_thread

    backend = k8sedge.MemoryBackend()
    client = k8sedge.Client(backend)
    node = _node(backend)
    client.pool.containers.create(node, id="vfw_22", hostname="vfw_22", flist=FLIST)
    with serve_in_thread(create_kube_app(backend.cluster)) as url:
        config = write_kubeconfig(tmp_path / "kubeconfig", url)
        assert KUBECTL is not None
        out = subprocess.run(
            [
                KUBECTL,
                "--kubeconfig",
                str(config),
                "get",
                "pods",
                "-n",
                "k8sedge-pool",
                "-o",
                "json",
                "-l",
                "k8sedge.io/pool-container=vfw_22",
            ],
            capture_output=True,
            timeout=30,
            check=True,
        )
    (pod,) = orjson.loads(out.stdout)["items"]
    assert pod["spec"]["nodeName"] == "core0node"
    assert orjson.loads(pod["metadata"]["annotations"]["k8sedge.io/pool-spec"])["id"] == "vfw_22"
