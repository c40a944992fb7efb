"""The edge API served over raw HTTP: documented paths, codes, bodies, auth, limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from conformance.spec_bodies import REGISTER as NODE, WORKLOAD

import k8sedge
from k8sedge import ManualClock
from k8sedge.backends.http import SyncASGITransport
from k8sedge.server import create_app

BASE = "/api/v1"


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
        return self.http.request(method, BASE + path, headers=headers, **kwargs)


@pytest.fixture
def api(memory_backend: k8sedge.MemoryBackend) -> Iterator[Api]:
    client = Api(create_app(memory_backend, rate_limit="off"))
    yield client
    client.http.close()


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code", "message", "details"}
    assert body["error"] is True and body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


def test_spec_examples_replayed(api: Api, clock: ManualClock) -> None:
    health = api("GET", "/health", auth=False)
    assert health.status_code == 200
    assert set(health.json()) == {"status", "version", "timestamp"}
    assert health.json()["timestamp"].endswith("Z")

    created = api("POST", "/nodes", json=NODE)
    assert created.status_code == 201
    node = created.json()
    assert {"id", "name", "address", "status", "registered_at"} <= set(node)
    assert node["status"] == "registered"

    listing = api("GET", "/nodes")
    assert listing.status_code == 200
    assert set(listing.json()) == {"nodes", "pagination"}
    assert {"id", "name", "address", "status", "last_heartbeat"} <= set(listing.json()["nodes"][0])
    assert listing.json()["pagination"] == {"total": 1, "page": 1, "limit": 20, "pages": 1}

    detail = api("GET", f"/nodes/{node['id']}").json()
    assert detail["resources"] == NODE["resources"] and detail["labels"] == NODE["labels"]

    status = api(
        "PUT",
        f"/nodes/{node['id']}/status",
        json={
            "status": "active",
            "heartbeat": True,
            "resources": {"cpu_usage": "2.5", "memory_usage": "4Gi", "storage_usage": "50Gi"},
        },
    )
    assert status.status_code == 200
    assert status.json()["status"] == "active" and status.json()["last_heartbeat"]

    workload = api("POST", "/workloads", json=WORKLOAD)
    assert workload.status_code == 201
    wid = workload.json()["id"]
    assert workload.json()["status"] == "created"
    assert api("GET", "/workloads").json()["workloads"][0]["id"] == wid
    assert api("GET", f"/workloads/{wid}").json()["placement"] == WORKLOAD["placement"]
    deploy = api(
        "POST", f"/workloads/{wid}/deploy", json={"nodes": [node["id"]], "strategy": "rolling"}
    )
    assert deploy.status_code == 200
    assert {"id", "name", "status", "deployment_id", "target_nodes", "started_at"} <= set(
        deploy.json()
    )
    progress = api("GET", f"/workloads/{wid}/deployments/{deploy.json()['deployment_id']}")
    assert progress.status_code == 200 and progress.json()["workload_id"] == wid
    update = api(
        "PUT",
        f"/workloads/{wid}",
        json={
            "replicas": 5,
            "resources": {
                "requests": {"cpu": "200m", "memory": "256Mi"},
                "limits": {"cpu": "400m", "memory": "512Mi"},
            },
        },
    )
    assert update.status_code == 200 and update.json()["status"] == "updating"

    recorded = api(
        "POST",
        f"/metrics/nodes/{node['id']}",
        json={
            "timestamp": "2023-07-01T00:00:00Z",
            "cpu_usage": 45.5,
            "memory_usage": 3.2,
            "memory_total": 8.0,
            "disk_usage": 42.8,
            "disk_total": 100.0,
            "network": {"rx_bytes": 1024000, "tx_bytes": 512000},
            "containers": [{"name": "web-app-1", "cpu_usage": 15.2, "memory_usage": 120.5}],
        },
    )
    assert recorded.status_code == 201
    assert recorded.json() == {"success": True, "recorded_at": "2023-07-01T00:00:00Z"}
    metrics = api(
        "GET", f"/metrics/nodes/{node['id']}", params={"timeframe": "1h", "resolution": "5m"}
    )
    assert metrics.status_code == 200
    assert metrics.json()["metrics"]["cpu_usage"] == [
        {"timestamp": "2023-07-01T00:00:00Z", "value": 45.5}
    ]
    everything = api("GET", "/metrics", params={"timeframe": "1h", "resolution": "5m"}).json()
    assert everything["nodes_count"] == 1 and "cpu_usage_avg" in everything["aggregated"]

    token = api("POST", "/security/tokens", json={"node_id": node["id"], "expiration": "24h"})
    assert token.status_code == 201 and set(token.json()) == {"token", "expires_at"}
    valid = api("POST", "/security/tokens/validate", json={"token": token.json()["token"]}).json()
    assert valid["valid"] is True and valid["node_id"] == node["id"]
    revoked = api("POST", "/security/tokens/revoke", json={"token": token.json()["token"]})
    assert revoked.json() == {"success": True, "message": "Token successfully revoked"}

    assert api("DELETE", f"/workloads/{wid}").json() == {
        "success": True,
        "message": "Workload successfully removed",
    }
    assert api("DELETE", f"/nodes/{node['id']}").json() == {
        "success": True,
        "message": "Node successfully removed",
    }


def test_errors_use_the_documented_body(api: Api) -> None:
    node = api("POST", "/nodes", json=NODE).json()
    assert_error(api("POST", "/nodes", json=NODE), 409, "CONFLICT")
    assert_error(api("GET", "/nodes/missing"), 404, "NOT_FOUND")
    assert_error(api("GET", "/workloads/missing"), 404, "NOT_FOUND")
    assert_error(api("GET", "/no/such/route"), 404, "NOT_FOUND")
    body = assert_error(api("PATCH", f"/nodes/{node['id']}"), 405, "METHOD_NOT_ALLOWED")
    assert body["details"]["path"] == f"{BASE}/nodes/{node['id']}"


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("POST", "/nodes", b"{not json", "body"),
        ("POST", "/nodes", b"[1, 2]", "body"),
        ("POST", "/nodes", b"", "body"),
        ("POST", "/nodes", {"name": 5, "address": "x"}, "name"),
        ("POST", "/nodes", {"address": "x"}, "name"),
        (
            "POST",
            "/nodes",
            {"name": "n", "address": "x", "resources": {"cpu": "1K"}},
            "resources[cpu]",
        ),
        ("POST", "/nodes", {"name": "n", "address": "x", "labels": []}, "labels"),
        ("POST", "/workloads", {**WORKLOAD, "replicas": "3"}, "replicas"),
        ("POST", "/workloads", {**WORKLOAD, "replicas": 1.5}, "replicas"),
        (
            "POST",
            "/workloads",
            {**WORKLOAD, "placement": {"constraints": {}}},
            "placement.constraints",
        ),
        ("POST", "/security/tokens", {"node_id": 1}, "node_id"),
        ("POST", "/security/tokens/revoke", {"token": 7}, "token"),
    ],
)
def test_malformed_and_mistyped_bodies_are_400(
    api: Api, method: str, path: str, payload: Any, field: str
) -> None:
    kwargs = {"content": payload} if isinstance(payload, bytes) else {"json": payload}
    body = assert_error(api(method, path, **kwargs), 400, "BAD_REQUEST")
    assert field in body["details"]


def test_wrong_types_on_node_routes_never_500(api: Api) -> None:
    node = api("POST", "/nodes", json=NODE).json()
    for payload in (
        {"heartbeat": "yes"},
        {"status": 3},
        {"resources": "lots"},
        {"status": "asleep"},
    ):
        assert_error(api("PUT", f"/nodes/{node['id']}/status", json=payload), 400, "BAD_REQUEST")
    for payload in (
        {"cpu_usage": "high"},
        {"samples": []},
        {"samples": [{"cpu_usage": "x"}]},
        {"timestamp": "noon"},
    ):
        assert_error(api("POST", f"/metrics/nodes/{node['id']}", json=payload), 400, "BAD_REQUEST")
    assert_error(
        api("GET", f"/metrics/nodes/{node['id']}", params={"timeframe": "1y"}), 400, "BAD_REQUEST"
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "101"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"limit": "-5"}, "limit"),
    ],
)
def test_pagination_bounds(api: Api, params: dict[str, str], field: str) -> None:
    body = assert_error(api("GET", "/nodes", params=params), 400, "BAD_REQUEST")
    assert field in body["details"]
    assert_error(api("GET", "/workloads", params=params), 400, "BAD_REQUEST")


def test_pagination_pages(api: Api) -> None:
    for i in range(25):
        api("POST", "/nodes", json={**NODE, "name": f"n{i}"})
    first = api("GET", "/nodes", params={"limit": "10"}).json()
    assert len(first["nodes"]) == 10
    assert first["pagination"] == {"total": 25, "page": 1, "limit": 10, "pages": 3}
    last = api("GET", "/nodes", params={"limit": "10", "page": "3"}).json()
    assert [n["name"] for n in last["nodes"]] == [f"n{i}" for i in range(20, 25)]
    assert api("GET", "/nodes", params={"page": "9"}).json()["nodes"] == []
    assert len(api("GET", "/nodes", params={"limit": "100"}).json()["nodes"]) == 25


def test_authentication_failures_are_401(api: Api, clock: ManualClock) -> None:
    node = api("POST", "/nodes", json=NODE).json()
    token = api(
        "POST", "/security/tokens", json={"node_id": node["id"], "expiration": "1h"}
    ).json()["token"]
    path = f"/nodes/{node['id']}"
    assert api("GET", path, auth=token).status_code == 200
    assert_error(api("GET", path, auth=False), 401, "UNAUTHORIZED")
    assert_error(
        api("GET", path, auth=False, headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED"
    )
    assert_error(
        api("GET", path, auth=False, headers={"Authorization": "Bearer"}), 401, "UNAUTHORIZED"
    )
    assert_error(api("GET", path, auth="not.a.jwt"), 401, "UNAUTHORIZED")
    head, payload, sig = token.split(".")
    assert_error(api("GET", path, auth=f"{head}.{payload}.{sig[::-1]}"), 401, "UNAUTHORIZED")
    forged = jwt.encode(
        {"sub": node["id"], "scope": "admin", "iat": 0, "exp": 2**40, "jti": "x", "iss": "k8sedge"},
        "a-different-key-a-different-key!!",
        algorithm="HS256",
    )
    assert_error(api("GET", "/nodes", auth=forged), 401, "UNAUTHORIZED")
    revoked = api("POST", "/security/tokens", json={"node_id": node["id"]}).json()["token"]
    api("POST", "/security/tokens/revoke", json={"token": revoked})
    assert_error(api("GET", path, auth=revoked), 401, "UNAUTHORIZED")
    clock.advance(3600 + 60)
    body = assert_error(api("GET", path, auth=token), 401, "UNAUTHORIZED")
    assert "expired" in body["message"]
    # the health check is public
    assert api("GET", "/health", auth=False).status_code == 200


def test_node_tokens_are_scoped_to_their_node(api: Api) -> None:
    mine = api("POST", "/nodes", json=NODE).json()["id"]
    other = api("POST", "/nodes", json={**NODE, "name": "edge-node-2"}).json()["id"]
    token = api("POST", "/security/tokens", json={"node_id": mine}).json()["token"]
    # allowed: read, heartbeat, record and read metrics, for its own node
    assert api("GET", f"/nodes/{mine}", auth=token).status_code == 200
    assert (
        api("PUT", f"/nodes/{mine}/status", auth=token, json={"heartbeat": True}).status_code == 200
    )
    assert (
        api("POST", f"/metrics/nodes/{mine}", auth=token, json={"cpu_usage": 1.0}).status_code
        == 201
    )
    assert api("GET", f"/metrics/nodes/{mine}", auth=token).status_code == 200
    # forbidden: other nodes, and everything an admin does
    for method, path, payload in [
        ("GET", f"/nodes/{other}", None),
        ("PUT", f"/nodes/{other}/status", {"heartbeat": True}),
        ("POST", f"/metrics/nodes/{other}", {"cpu_usage": 1.0}),
        ("GET", "/nodes", None),
        ("POST", "/nodes", {**NODE, "name": "sneaky"}),
        ("DELETE", f"/nodes/{mine}", None),
        ("GET", "/workloads", None),
        ("POST", "/workloads", WORKLOAD),
        ("GET", "/metrics", None),
        ("POST", "/security/tokens", {"node_id": mine}),
        ("POST", "/security/tokens/revoke", {"token": token}),
    ]:
        assert_error(api(method, path, auth=token, json=payload), 403, "FORBIDDEN")
    assert api("GET", "/nodes").json()["pagination"]["total"] == 2  # nothing was done


def test_opaque_admin_token(memory_backend: k8sedge.MemoryBackend) -> None:
    api = Api(create_app(memory_backend, admin_token="s3cret-admin", rate_limit="off"))
    assert api("GET", "/nodes", auth="s3cret-admin").status_code == 200
    assert_error(api("GET", "/nodes", auth="s3cret-admim"), 401, "UNAUTHORIZED")


def test_openapi_describes_every_route(api: Api) -> None:
    spec = api.http.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert set(paths) >= {
        "/api/v1/health",
        "/api/v1/nodes",
        "/api/v1/nodes/{node_id}",
        "/api/v1/nodes/{node_id}/status",
        "/api/v1/workloads",
        "/api/v1/workloads/{workload_id}",
        "/api/v1/workloads/{workload_id}/deploy",
        "/api/v1/metrics",
        "/api/v1/metrics/nodes/{node_id}",
        "/api/v1/security/tokens",
        "/api/v1/security/tokens/validate",
        "/api/v1/security/tokens/revoke",
    }
    assert set(paths["/api/v1/nodes"]) == {"get", "post"}
    assert "201" in paths["/api/v1/nodes"]["post"]["responses"]
    node = spec["components"]["schemas"]["Node"]
    assert node["properties"]["registered_at"]["anyOf"][0]["format"] == "date-time"
    assert spec["components"]["schemas"]["PlacementConstraint"]["properties"]["operator"][
        "enum"
    ] == ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    assert paths["/api/v1/health"]["get"].get("security") is None


def test_heartbeat_answers_the_documented_fields(api: Api, clock: ManualClock) -> None:
    node = api("POST", "/nodes", json=NODE).json()
    token = api("POST", "/security/tokens", json={"node_id": node["id"]}).json()["token"]
    beat = api("PUT", f"/nodes/{node['id']}/status", auth=token, json={"heartbeat": True})
    assert beat.status_code == 200
    assert beat.headers["content-type"] == "application/json"
    assert set(beat.json()) == {"id", "name", "status", "last_heartbeat"}
    assert beat.json()["status"] == "active"
    full = api(
        "PUT",
        f"/nodes/{node['id']}/status",
        params={"view": "full"},
        json={"status": "maintenance", "resources": {"cpu_usage": "1"}},
    )
    assert full.json()["status"] == "maintenance" and full.json()["usage"] == {"cpu_usage": "1"}
    assert full.json()["resources"] == NODE["resources"]
    # unusual bodies take the general path and still get field-level errors
    body = assert_error(
        api("PUT", f"/nodes/{node['id']}/status", json={"heartbeat": 1}), 400, "BAD_REQUEST"
    )
    assert "heartbeat" in body["details"]
    assert_error(api("PUT", f"/nodes/{node['id']}/status", content=b"[]"), 400, "BAD_REQUEST")
    assert_error(api("PUT", "/nodes/unknown/status", json={"heartbeat": True}), 404, "NOT_FOUND")
