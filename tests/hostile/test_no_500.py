"""No input gives a 500, and a refused request changes nothing: every error is the surface's
documented body (the edge error body, or a ``Status`` on the facade, 422 with field causes
for invalid objects), and the stored state is the same afterwards."""

from __future__ import annotations

import json

import pytest

from .conftest import Served


def test_an_absurd_node_quantity_is_capped_and_the_name_stays_usable(served: Served) -> None:
    created = served.http.post(
        "/api/v1/nodes", json={"name": "n1", "address": "a", "resources": {"cpu": "1e400"}}
    )
    assert created.status_code == 201
    assert created.json()["resources"] == {"cpu": "9223372036854775807"}
    again = served.http.post("/api/v1/nodes", json={"name": "n1", "address": "a"})
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"
    assert served.http.delete(f"/api/v1/nodes/{created.json()['id']}").status_code == 200
    assert served.http.post("/api/v1/nodes", json={"name": "n1", "address": "a"}).status_code == 201
    assert served.http.get("/api/v1/nodes").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("GET", "/api/v1/nodes?page=18446744073709551616", None),
        ("GET", "/api/v1/workloads?limit=99999999999999999999999", None),
        ("GET", "/api/v1/metrics?timeframe=99999999999999999999999999d", None),
        ("GET", "/api/v1/metrics?timeframe=" + "9" * 5000 + "d", None),
        ("POST", "/api/v1/security/tokens", {"node_id": "{node}", "expiration": "9" * 5000 + "d"}),
        ("POST", "/api/v1/security/tokens", {"node_id": "{node}", "expiration": "99999999d"}),
        ("POST", "/api/v1/workloads", {"name": "w", "image": "i", "replicas": 10**30}),
        ("POST", "/api/v1/workloads", {"name": "w", "image": "i", "replicas": "3"}),
        ("POST", "/api/v1/workloads", {"name": "W W", "image": "i"}),
        ("POST", "/api/v1/nodes", {"name": "n", "address": "a", "resources": {"cpu": []}}),
        ("POST", "/api/v1/import", {"pods": [{"metadata": "x"}]}),
        ("POST", "/api/v1/import", {"nodes": [{"metadata": {"name": "n"}, "status": []}]}),
        ("POST", "/api/v1/schedulerconfiguration", [1, 2]),
    ],
)
def test_hostile_values_are_400_and_change_nothing(
    served: Served, method: str, path: str, payload: object
) -> None:
    node = served.http.post("/api/v1/nodes", json={"name": "node", "address": "a"}).json()
    if isinstance(payload, dict) and payload.get("node_id") == "{node}":
        payload = {**payload, "node_id": node["id"]}
    before = served.snapshot()
    answer = served.http.request(method, path, json=payload)
    assert answer.status_code == 400, answer.text[:300]
    body = answer.json()
    assert body["error"] is True and body["code"] == "BAD_REQUEST" and body["details"]
    assert served.snapshot() == before


def test_metric_values_that_would_overflow_are_refused(served: Served) -> None:
    node = served.http.post("/api/v1/nodes", json={"name": "n", "address": "a"}).json()
    huge = {"network": {"rx_bytes": 1.7e308, "tx_bytes": 1.7e308}}
    for _ in range(2):
        answer = served.http.post(f"/api/v1/metrics/nodes/{node['id']}", json=huge)
        assert answer.status_code == 400 and answer.json()["code"] == "BAD_REQUEST"
    read = served.http.get(f"/api/v1/metrics/nodes/{node['id']}?resolution=1m")
    assert read.status_code == 200
    assert all(not series for series in read.json()["metrics"].values())


def test_a_failed_import_leaves_nothing_behind(served: Served) -> None:
    served.http.post("/api/v1/import", json={"nodes": [{"metadata": {"name": "kept"}}]})
    before = served.snapshot()
    half_good = {
        "namespaces": [{"metadata": {"name": "team"}}],
        "nodes": [
            {"metadata": {"name": "new-node"}},
            {"metadata": {"name": "kept", "labels": {"a": "b"}}},
        ],
        "pods": [
            {
                "metadata": {"name": "ok", "namespace": "team"},
                "spec": {"containers": [{"name": "c"}]},
            },
            {
                "metadata": {"name": "bad"},
                "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "lots"}}}]},
            },
        ],
    }
    answer = served.http.post("/api/v1/import", json=half_good)
    assert answer.status_code == 400 and "cpu" in answer.text
    assert served.snapshot() == before
    missing_namespace = {"pods": [{"metadata": {"name": "p", "namespace": "nowhere"}}]}
    answer = served.http.post("/api/v1/import", json=missing_namespace)
    assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"
    assert served.snapshot() == before


def _status(answer: object, code: int) -> dict[str, object]:
    assert answer.status_code == code, answer.text[:300]  # type: ignore[attr-defined]
    assert answer.headers["content-type"].startswith("application/json")  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["kind"] == "Status" and body["code"] == code and body["status"] == "Failure"
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ({"metadata": "x"}, "metadata"),
        ({"metadata": {"name": "Bad_Name"}}, "metadata.name"),
        ({"metadata": {"name": "p", "labels": {"a": "b c"}}}, "metadata.labels[a]"),
        ({"metadata": {"name": "p", "labels": {"a": 1}}}, "metadata.labels[a]"),
        ({"metadata": {"name": "p"}, "spec": []}, "spec"),
        ({"metadata": {"name": "p"}, "spec": {"containers": "x"}}, "spec.containers"),
        ({"metadata": {"name": "p"}, "spec": {"priority": "high"}}, "spec.priority"),
        (
            {
                "metadata": {"name": "p"},
                "spec": {
                    "tolerations": [{"key": 1, "operator": []}],
                    "containers": [{"name": "c", "resources": {"limits": {"cpu": {}}}}],
                },
            },
            "spec",
        ),
    ],
)
def test_invalid_pods_are_422_with_field_causes(kube: Served, obj: object, field: str) -> None:
    before = kube.snapshot()
    body = _status(kube.http.post("/api/v1/namespaces/default/pods", json=obj), 422)
    assert body["reason"] == "Invalid"
    causes = body["details"]["causes"]  # type: ignore[index]
    assert field in [c["field"] for c in causes]  # type: ignore[union-attr]
    assert kube.snapshot() == before


def test_a_deployment_selector_must_match_its_template(kube: Served) -> None:
    deployment = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "other"}},
                "spec": {"containers": [{"name": "c"}]},
            },
        },
    }
    body = _status(
        kube.http.post("/apis/apps/v1/namespaces/default/deployments", json=deployment), 422
    )
    assert body["details"]["causes"][0]["field"] == "spec.template.metadata.labels"  # type: ignore[index]
    del deployment["spec"]["selector"]  # type: ignore[attr-defined]
    body = _status(
        kube.http.post("/apis/apps/v1/namespaces/default/deployments", json=deployment), 422
    )
    assert body["details"]["causes"][0]["field"] == "spec.selector"  # type: ignore[index]
    assert kube.http.get("/apis/apps/v1/namespaces/default/deployments").json()["items"] == []


def test_facade_errors_are_status_bodies_never_plain_500s(kube: Served) -> None:
    created = kube.http.post(
        "/api/v1/namespaces/default/configmaps",
        json={"metadata": {"name": "cm"}, "data": {"a": "b"}},
    )
    assert created.status_code == 201
    before = kube.snapshot()
    path = "/api/v1/namespaces/default/configmaps/cm"
    merge = {"content-type": "application/merge-patch+json"}
    _status(kube.http.patch(path, content=b"{not json", headers=merge), 400)
    _status(kube.http.patch(path, content=json.dumps({"metadata": "x"}), headers=merge), 422)
    _status(kube.http.patch(path, content=json.dumps({"data": {"a": 1}}), headers=merge), 422)
    _status(kube.http.patch(path, content=b"{}", headers={"content-type": "text/nonsense"}), 415)
    _status(kube.http.put(path, json={"metadata": {"name": "cm"}, "data": []}), 422)
    _status(kube.http.get("/api/v1/pods", params={"watch": "1", "timeoutSeconds": "abc"}), 400)
    _status(kube.http.get("/api/v1/pods", params={"limit": "abc"}), 400)
    _status(kube.http.get("/api/v1/pods", params={"continue": "!!!"}), 400)
    _status(kube.http.post("/api/v1/namespaces/default/pods", content=b"[1]"), 400)
    _status(kube.http.get("/nonsense"), 404)
    _status(kube.http.get(path, params={"watch": "1", "resourceVersion": "x" * 50}), 400)
    assert kube.snapshot() == before
