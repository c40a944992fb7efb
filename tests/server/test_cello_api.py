"""Cello's API served over raw HTTP: the spec's examples, the real envelope, its errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.backends.http import SyncASGITransport
from k8sedge.server import create_app

ENVELOPE = {"status", "code", "error", "data"}
DOC_FIELDS = {
    "api_url",
    "consensus_mode",
    "consensus_plugin",
    "daemon_url",
    "id",
    "name",
    "size",
    "user_id",
}  # the spec's example of an applied cluster
LATER_FIELDS = {
    "status",
    "health",
    "mapped_ports",
    "service_url",
    "apply_ts",
    "release_ts",
    "duration",
    "containers",
    "create_ts",
    "host_id",
    "network_type",
    "worker_api",
}


class Api:
    """Raw HTTP against an in-process server, with the admin token by default."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.http = httpx.Client(transport=SyncASGITransport(app), base_url="http://testserver")
        self.admin = {"Authorization": f"Bearer {app.state.admin_token}"}

    def __call__(
        self, method: str, path: str, *, auth: Any = True, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if auth is True:
            headers.update(self.admin)
        elif isinstance(auth, str):
            headers["Authorization"] = f"Bearer {auth}"
        return self.http.request(method, path, headers=headers, **kwargs)


@pytest.fixture
def api(memory_backend: k8sedge.MemoryBackend) -> Iterator[Api]:
    client = Api(create_app(memory_backend, rate_limit="off"))
    yield client
    client.http.close()


def ok(response: httpx.Response, code: int = 200) -> Any:
    """The data of an OK envelope (always HTTP 200; the code is in the body)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == ENVELOPE and body["status"] == "OK"
    assert body["code"] == code and body["error"] == ""
    return body["data"]


def fail(response: httpx.Response, code: int, error: str, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ENVELOPE and body["status"] == "FAIL"
    assert body["code"] == code and body["error"] == error, body
    assert isinstance(body["data"], dict)
    return body  # type: ignore[no-any-return]


def nodes(memory_backend: k8sedge.MemoryBackend, count: int = 3) -> None:
    sim = k8sedge.Client(memory_backend).simulator
    for i in range(count):
        sim.nodes.create(
            {
                "metadata": {"name": f"node-{i}", "labels": {"pool": "cello"}},
                "status": {"allocatable": {"cpu": "8", "memory": "16Gi", "pods": "110"}},
            }
        )


def host(api: Api, capacity: int = 4, **form: str) -> dict[str, Any]:
    """A host as the real dashboard's form posts it: checkboxes are ``on``."""
    fields = {
        "name": "compute2",
        "worker_api": "192.168.7.62:2375",
        "capacity": str(capacity),
        "log_type": "local",
        "autofill": "on",
        "schedulable": "on",
        **form,
    }
    created: dict[str, Any] = ok(api("POST", "/api/host", data=fields), code=201)
    return created


@pytest.fixture
def filled(api: Api, memory_backend: k8sedge.MemoryBackend, clock: ManualClock) -> dict[str, Any]:
    """Three nodes and a host filled with four healthy free clusters."""
    nodes(memory_backend)
    created = host(api)
    clock.advance(5)
    return created


def snapshot(api: Api) -> Any:
    return [
        ok(api("GET", "/v2/clusters")),
        ok(api("GET", "/v2/clusters?state=released")),
        ok(api("GET", "/api/hosts")),
    ]


# -- the spec's examples ---------------------------------------------------------------------


def test_spec_examples_replayed(api: Api, filled: dict[str, Any], clock: ManualClock) -> None:
    applied = ok(api("GET", "/v2/cluster_op?action=apply?user_id=xxxx"))  # the doc's spelling
    assert set(applied) >= DOC_FIELDS | LATER_FIELDS
    assert applied["user_id"] == "xxxx" and applied["name"] == "compute2_0"
    assert applied["daemon_url"] == "tcp://192.168.7.62:2375"
    assert applied["api_url"] == "http://192.168.7.62:7050"

    body = {
        "action": "apply",
        "user_id": "xxx",
        "consensus_plugin": "pbft",
        "consensus_mode": "batch",
        "size": 4,
        "allow_multiple": False,
    }
    typed = ok(api("POST", "/v2/cluster_op", json=body))
    assert (typed["consensus_plugin"], typed["consensus_mode"], typed["size"]) == (
        "pbft",
        "batch",
        4,
    )
    assert typed["user_id"] == "xxx"
    form = ok(api("POST", "/v2/cluster_op", data={**body, "allow_multiple": "False"}))
    assert form["id"] == typed["id"]  # "False" from a form is false: the one xxx holds

    assert ok(api("GET", "/v2/cluster_op?action=start&cluster_id=" + typed["id"])) == {}
    assert (
        ok(api("POST", "/v2/cluster_op", json={"action": "stop", "cluster_id": typed["id"]})) == {}
    )
    assert ok(api("GET", f"/v2/cluster/{typed['id']}"))["status"] == "stopped"
    ok(api("POST", "/v2/cluster_op", json={"action": "start", "cluster_id": typed["id"]}))
    ok(api("GET", f"/v2/cluster_op?action=restart&cluster_id={typed['id']}"))
    assert ok(api("GET", f"/v2/cluster/{typed['id']}"))["status"] == "running"

    free = {"consensus_plugin": "pbft", "consensus_mode": "batch", "size": 6, "user": ""}
    assert len(ok(api("POST", "/v2/clusters", json=free))) == 2
    of_type = {"consensus_plugin": "pbft", "consensus_mode": "batch", "size": 6}
    assert len(ok(api("POST", "/v2/clusters", json=of_type))) == 3
    classic = {"consensus_plugin": "pbft", "consensus_mode": "classic", "size": 4, "user": ""}
    assert ok(api("POST", "/v2/clusters", json=classic)) == []  # the pool has no classic mode
    assert [c["id"] for c in ok(api("GET", "/v2/clusters?user_id=xxx"))] == [typed["id"]]
    assert [c["id"] for c in ok(api("POST", "/v2/clusters", json={"user_id": "xxx"}))] == [
        typed["id"]
    ]
    assert ok(api("GET", f"/v2/cluster/{applied['id']}"))["user_id"] == "xxxx"

    released = api("GET", f"/v2/cluster_op?action=release?cluster_id={applied['id']}")
    assert released.status_code == 200
    assert released.json() == {"code": 200, "data": "", "error": "", "status": "OK"}
    assert ok(api("POST", "/v2/cluster_op", json={"action": "release", "user_id": "xxx"})) == ""
    assert ok(api("POST", "/v2/clusters", json={"user_id": "xxx"})) == []
    history = ok(api("GET", "/v2/clusters?state=released"))
    assert {c["user_id"] for c in history} == {"xxx", "xxxx"}


def test_the_cluster_object_as_cello_wrote_it(
    api: Api, filled: dict[str, Any], clock: ManualClock
) -> None:
    free = ok(api("GET", "/v2/clusters?name=compute2_1"))[0]
    assert free["create_ts"] == "Sat, 01 Jul 2023 00:00:00 GMT"  # Flask's jsonify
    assert (free["apply_ts"], free["release_ts"], free["duration"], free["user_id"]) == (
        "",
        "",
        "",
        "",
    )
    assert free["mapped_ports"] == {
        k: 7150 + i
        for i, k in enumerate(
            ["rest", "grpc", "cli", "event", "ecap", "ecaa", "tcap", "tcaa", "tlscap", "tlscaa"]
        )
    }
    assert free["service_url"]["rest"] == "192.168.7.62:7150"
    assert (free["status"], free["health"]) == ("running", "OK")
    assert free["host_id"] == filled["id"] and free["network_type"] == "fabric-0.6"
    applied = ok(
        api("POST", "/v2/cluster_op", data={"action": "apply", "user_id": "u", "size": "6"})
    )
    assert applied["apply_ts"] == "Sat, 01 Jul 2023 00:00:05 GMT"
    clock.advance(3723)
    ok(api("POST", "/v2/cluster_op", data={"action": "release", "cluster_id": applied["id"]}))
    (record,) = ok(api("POST", "/v2/clusters", json={"state": "released"}))
    assert record["release_ts"] == "Sat, 01 Jul 2023 01:02:08 GMT"
    assert record["duration"] == "1:02:03"  # str(timedelta), as v0.7 stored it


def test_the_dashboards_admin_api(
    api: Api, memory_backend: k8sedge.MemoryBackend, clock: ManualClock
) -> None:
    nodes(memory_backend, 2)
    created = host(api, capacity=2, autofill="off")
    assert (created["autofill"], created["schedulable"]) == ("false", "true")
    assert created["status"] == "active" and created["clusters"] == []
    assert [h["id"] for h in ok(api("GET", "/api/hosts"))] == [created["id"]]
    assert ok(api("GET", "/api/hosts?status=inactive")) == []
    assert ok(api("GET", f"/api/host/{created['id']}"))["name"] == "compute2"
    updated = ok(api("PUT", "/api/host", data={"id": created["id"], "capacity": "3"}))
    assert updated["capacity"] == 3
    filled = ok(api("POST", "/api/host_op", data={"id": created["id"], "action": "fillup"}))
    assert len(filled["clusters"]) == 3
    full = {
        "name": "x",
        "host_id": created["id"],
        "network_type": "fabric-1.0",
        "consensus_plugin": "solo",
        "size": 4,
    }
    fail(api("POST", "/api/cluster", json=full), 400, "Failed to create cluster x")
    clock.advance(5)
    mine = ok(api("GET", "/api/cluster_op?action=apply&user_id=u"))  # the dashboard's path
    cleaned = ok(api("POST", "/api/host_op", json={"id": created["id"], "action": "clean"}))
    assert cleaned["clusters"] == [mine["id"]] and cleaned["autofill"] == "false"
    reset = ok(api("POST", "/api/host_op", data={"id": created["id"], "action": "reset"}))
    assert reset["clusters"] == [mine["id"]]  # only free clusters are reset


def test_operators_create_and_delete_clusters_over_http(
    api: Api, memory_backend: k8sedge.MemoryBackend, clock: ManualClock
) -> None:
    nodes(memory_backend, 2)
    created = host(api, capacity=2, autofill="off")
    cluster = ok(
        api(
            "POST",
            "/api/cluster",
            data={
                "name": "fabric",
                "host_id": created["id"],
                "network_type": "fabric-1.0",
                "consensus_plugin": "solo",
                "size": "4",
            },
        ),
        code=201,
    )
    assert cluster["containers"][-3:] == ["orderer", "ca-org1", "ca-org2"]
    assert ok(api("GET", f"/api/cluster/{cluster['id']}"))["id"] == cluster["id"]
    assert [c["id"] for c in ok(api("GET", "/api/clusters"))] == [cluster["id"]]
    fail(
        api("POST", "/api/cluster", json={"name": "fabric", "host_id": created["id"]}),
        400,
        "cluster post without enough data",
    )
    fail(
        api(
            "POST",
            "/api/cluster",
            json={
                "name": "f",
                "host_id": created["id"],
                "network_type": "fabric-1.0",
                "consensus_plugin": "pbft",
                "size": 4,
            },
        ),
        400,
        "config not validated",
    )
    fail(
        api("DELETE", "/api/host", json={"id": created["id"]}),
        409,
        f"Failed to delete host {created['id']}",
    )
    assert ok(api("DELETE", "/api/cluster", json={"id": cluster["id"], "col_name": "active"})) == {}
    assert ok(api("DELETE", "/api/host", data={"id": created["id"]})) == {}
    fail(api("GET", f"/api/host/{created['id']}"), 404, f"host not found with id={created['id']}")


# -- bad input -------------------------------------------------------------------------------


BAD: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("GET", "/v2/cluster_op?action=nope", {}, 400, "Unknown action type"),
    ("GET", "/v2/cluster_op", {}, 400, "Unknown action type"),
    ("POST", "/v2/cluster_op", {"json": {"user_id": "u"}}, 400, "Unknown action type"),
    ("POST", "/v2/cluster_op", {"json": {"action": "apply"}}, 400, "cluster_apply without user_id"),
    (
        "GET",
        "/v2/cluster_op?action=apply&user_id=u&consensus_plugin=raft",
        {},
        400,
        "Invalid consensus_plugin",
    ),
    (
        "POST",
        "/v2/cluster_op",
        {"data": {"action": "apply", "user_id": "u", "consensus_mode": "classic"}},
        400,
        "Invalid consensus_mode",
    ),
    ("GET", "/v2/cluster_op?action=apply&user_id=u&size=5", {}, 400, "Invalid cluster_size"),
    ("GET", "/v2/cluster_op?action=apply&user_id=u&size=four", {}, 400, "Invalid cluster_size"),
    (
        "POST",
        "/v2/cluster_op",
        {"json": {"action": "apply", "user_id": "u", "size": True}},
        400,
        "Invalid cluster_size",
    ),
    (
        "GET",
        "/v2/cluster_op?action=apply&user_id=u&allow_multiple=maybe",
        {},
        400,
        "allow_multiple must be a boolean",
    ),
    (
        "GET",
        "/v2/cluster_op?action=apply&user_id=u&consensus_plugin=noops",
        {},
        400,
        "No available res for u",
    ),
    ("GET", "/v2/cluster/nope", {}, 404, "cluster not found with id=nope"),
    (
        "GET",
        "/v2/cluster_op?action=release&cluster_id=nope",
        {},
        404,
        "cluster not found with id=nope",
    ),
    ("POST", "/v2/cluster_op", {"json": {"action": "stop"}}, 400, "No cluster_id is given"),
    (
        "POST",
        "/v2/cluster_op",
        {"json": {"action": "start", "cluster_id": 7}},
        400,
        "cluster_id must be a string",
    ),
    ("POST", "/v2/clusters", {"json": ["user_id"]}, 400, "the request body must be a JSON object"),
    (
        "POST",
        "/v2/clusters",
        {"json": {"colour": "blue"}},
        400,
        "unknown cluster field 'colour' in the filter",
    ),
    (
        "POST",
        "/v2/clusters",
        {"json": {"size": {"$gt": 4}}},
        400,
        "filter operators are not supported (size)",
    ),
    (
        "POST",
        "/api/host_op",
        {"data": {"id": "x", "action": "boom"}},
        400,
        "unknown host action=boom",
    ),
    ("POST", "/api/host_op", {"data": {"action": "fillup"}}, 400, "host POST without enough data"),
    ("POST", "/api/host", {"data": {"name": "h"}}, 400, "host POST without enough data"),
    (
        "POST",
        "/api/host",
        {"data": {"name": "h", "worker_api": "w", "capacity": "many"}},
        400,
        "capacity must be an integer",
    ),
    (
        "DELETE",
        "/api/cluster",
        {"json": {"id": "nope", "col_name": "released"}},
        404,
        "cluster not found with id=nope",
    ),
    ("PUT", "/v2/cluster_op", {}, 405, "method PUT is not allowed on /v2/cluster_op"),
    ("GET", "/v2/nowhere", {}, 404, "no route for /v2/nowhere"),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "code", "error"), BAD, ids=[f"{b[0]} {b[1]} {b[4]}" for b in BAD]
)
def test_bad_input_is_a_fail_envelope_and_changes_nothing(
    api: Api,
    filled: dict[str, Any],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    code: int,
    error: str,
) -> None:
    for cluster in ok(api("GET", "/v2/clusters"))[:3]:  # only compute2_3 stays free
        ok(
            api(
                "GET",
                f"/v2/cluster_op?action=apply&user_id=h{cluster['id'][:4]}&allow_multiple=true",
            )
        )
    before = snapshot(api)
    fail(api(method, path, **kwargs), code, error)
    assert snapshot(api) == before


def test_malformed_bodies(api: Api, filled: dict[str, Any]) -> None:
    response = api(
        "POST", "/v2/cluster_op", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == ENVELOPE and body["status"] == "FAIL" and body["code"] == 400
    assert body["error"].startswith("malformed JSON")


def test_every_route_needs_the_admin_token(api: Api, filled: dict[str, Any]) -> None:
    for auth in (False, "forged"):
        response = api("GET", "/v2/cluster_op?action=apply&user_id=u", auth=auth)
        assert response.status_code == 401
        body = response.json()
        assert set(body) == ENVELOPE and (body["status"], body["code"]) == ("FAIL", 401)
    assert ok(api("GET", "/v2/clusters?user_id=u")) == []  # nothing was applied


def test_openapi_documents_the_envelope(api: Api) -> None:
    document = api("GET", "/openapi.json", auth=False).json()
    paths = document["paths"]
    for path in ("/v2/cluster_op", "/v2/clusters", "/api/cluster_op", "/api/clusters"):
        assert {"get", "post"} <= set(paths[path]), path
    ok_schema = paths["/v2/cluster/{cluster_id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    assert ok_schema["properties"]["status"] == {"type": "string", "const": "OK"}
    assert ok_schema["properties"]["data"] == {"$ref": "#/components/schemas/Cluster"}
    (filter_param,) = paths["/v2/clusters"]["get"]["parameters"]
    assert (filter_param["in"], filter_param["style"], filter_param["explode"]) == (
        "query",
        "form",
        True,
    )
    error = document["components"]["schemas"]["CelloError"]
    assert error["properties"]["status"]["const"] == "FAIL"
    form = paths["/api/host"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in form


def test_raw_applies_at_once_over_a_socket(
    memory_backend: k8sedge.MemoryBackend,
    clock: ManualClock,
    socket_server: tuple[Any, str],
) -> None:
    switch, url = socket_server
    app = create_app(memory_backend, rate_limit="off")
    switch.app = app
    nodes(memory_backend)
    headers = {"Authorization": f"Bearer {app.state.admin_token}"}
    with httpx.Client(base_url=url, headers=headers) as http:
        ok(
            http.post(
                "/api/host",
                data={
                    "name": "h",
                    "worker_api": "h:2375",
                    "capacity": "5",
                    "log_type": "local",
                    "autofill": "on",
                    "schedulable": "on",
                },
            ),
            code=201,
        )
        clock.advance(5)
        barrier = threading.Barrier(8)
        answers: list[dict[str, Any]] = []

        def apply(user: str) -> None:
            barrier.wait()
            answers.append(http.get(f"/v2/cluster_op?action=apply&user_id={user}").json())

        threads = [threading.Thread(target=apply, args=(f"u{i}",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    granted = [a["data"]["id"] for a in answers if a["status"] == "OK"]
    assert len(granted) == len(set(granted)) == 5
    refused = [a for a in answers if a["status"] == "FAIL"]
    assert len(refused) == 3 and all(a["error"].startswith("No available res") for a in refused)


def test_form_and_query_values_are_read_as_cello_reads_them(
    api: Api, filled: dict[str, Any]
) -> None:
    a = ok(api("POST", "/v2/cluster_op?action=apply", data={"user_id": "u", "size": "4"}))
    assert a["size"] == 4
    b = ok(
        api(
            "POST",
            "/v2/cluster_op",
            data={"action": "apply", "user_id": "u", "allow_multiple": "true"},
        )
    )
    assert b["id"] != a["id"]
    assert len(ok(api("GET", "/v2/clusters?size=6&user_id="))) == 2  # text matches numbers
    assert (
        json.loads(api("GET", "/v2/clusters?mapped_ports.rest=7250").text)["data"][0]["name"]
        == "compute2_2"
    )
