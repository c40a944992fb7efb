"""No request stalls the event loop: what one request may ask for is bounded (quantities,
replicas, parallelism, import size, body size), and long work runs off the event loop."""

from __future__ import annotations

import threading

import httpx

from k8sedge.limits import Limits

from .conftest import Served


def _node_token(served: Served) -> tuple[str, str]:
    node = served.http.post(
        "/api/v1/nodes", json={"name": "edge-1", "address": "10.0.0.1", "resources": {"cpu": "4"}}
    ).json()
    token = served.http.post(
        "/api/v1/security/tokens", json={"node_id": node["id"], "expiration": "1h"}
    ).json()["token"]
    return node["id"], token


def test_a_huge_quantity_exponent_is_capped_not_computed(served: Served) -> None:
    node_id, token = _node_token(served)
    answer = httpx.put(
        f"{served.url}/api/v1/nodes/{node_id}/status",
        headers={"Authorization": f"Bearer {token}"},
        json={"heartbeat": True, "resources": {"cpu": "1e20000000"}},
    )
    assert answer.status_code == 200
    usage = served.http.get(f"/api/v1/nodes/{node_id}").json()["usage"]
    assert usage == {"cpu": "9223372036854775807"}  # Kubernetes' cap, 2^63-1
    refused = httpx.put(
        f"{served.url}/api/v1/nodes/{node_id}/status",
        headers={"Authorization": f"Bearer {token}"},
        json={"heartbeat": True, "resources": {"cpu": "1e99999999999"}},
    )
    assert refused.status_code == 400 and refused.json()["code"] == "BAD_REQUEST"
    assert served.http.get(f"/api/v1/nodes/{node_id}").json()["usage"] == usage


def test_replicas_beyond_the_cap_are_refused_and_nothing_is_stored(served: Served) -> None:
    before = served.snapshot()
    for replicas in (Limits().max_replicas + 1, 200_000, 10**30, -1):
        answer = served.http.post(
            "/api/v1/workloads", json={"name": "big", "image": "nginx", "replicas": replicas}
        )
        assert answer.status_code == 400, replicas
        assert answer.json()["code"] == "BAD_REQUEST" and "replicas" in answer.json()["details"]
    assert served.snapshot() == before
    assert served.http.get("/api/v1/workloads").status_code == 200


def test_the_replicas_cap_is_configurable(backend: object) -> None:
    from k8sedge.server import create_app
    from k8sedge.server.threaded import serve_in_thread

    app = create_app(backend, rate_limit="off", max_replicas=3)
    with serve_in_thread(app) as url:
        headers = {"Authorization": f"Bearer {app.state.admin_token}"}
        created = httpx.post(
            f"{url}/api/v1/workloads",
            headers=headers,
            json={"name": "a", "image": "i", "replicas": 3},
        )
        assert created.status_code == 201
        update = httpx.put(
            f"{url}/api/v1/workloads/{created.json()['id']}",
            headers=headers,
            json={"replicas": 4, "image": "other"},
        )
        assert update.status_code == 400 and "at most 3" in update.json()["message"]
        # a refused update changes nothing, not even the fields it did not refuse
        stored = httpx.get(f"{url}/api/v1/workloads/{created.json()['id']}", headers=headers).json()
        assert (stored["replicas"], stored["image"]) == (3, "i")


def test_bodies_over_the_limit_are_413_in_the_documented_body(served: Served) -> None:
    before = served.snapshot()
    big = b'{"name": "x", "image": "' + b"a" * (served.app.state.max_body + 1) + b'"}'
    answer = served.http.post(
        "/api/v1/workloads", content=big, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "PAYLOAD_TOO_LARGE" and answer.json()["error"] is True

    def chunks() -> object:
        for _ in range(9):
            yield b" " * (1024 * 1024)

    chunked = served.http.post("/api/v1/import", content=chunks())  # no Content-Length
    assert chunked.status_code == 413
    assert served.snapshot() == before


def test_a_heartbeat_body_over_64_kib_is_413_and_changes_nothing(served: Served) -> None:
    """The heartbeat fast path reads at most 64 KiB (docs/server.md), streamed or not."""
    node_id, token = _node_token(served)
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    before = served.snapshot()
    padded = b'{"heartbeat": true, "status": "active"' + b" " * (64 * 1024) + b"}"
    answer = httpx.put(
        f"{served.url}/api/v1/nodes/{node_id}/status", content=padded, headers=headers
    )
    assert answer.status_code == 413 and answer.json()["code"] == "PAYLOAD_TOO_LARGE"

    def chunks() -> object:
        yield b'{"heartbeat": true'
        for _ in range(100):
            yield b" " * 4096

    streamed = httpx.put(
        f"{served.url}/api/v1/nodes/{node_id}/status", content=chunks(), headers=headers
    )
    assert streamed.status_code == 413
    assert served.snapshot() == before
    # the same heartbeat at a normal size is answered
    beat = httpx.put(
        f"{served.url}/api/v1/nodes/{node_id}/status", json={"heartbeat": True}, headers=headers
    )
    assert beat.status_code == 200 and beat.json()["status"] == "active"


def test_health_answers_while_a_long_operation_holds_the_cluster(served: Served) -> None:
    """The event loop never waits for the cluster: with its lock held (as by a long import
    in a worker thread), /health answers, and a heartbeat waits in a worker thread."""
    node_id, token = _node_token(served)
    cluster = served.backend.cluster
    done = threading.Event()
    answers: list[int] = []

    def heartbeat() -> None:
        answers.append(
            httpx.put(
                f"{served.url}/api/v1/nodes/{node_id}/status",
                headers={"Authorization": f"Bearer {token}"},
                json={"heartbeat": True},
            ).status_code
        )
        done.set()

    with cluster.lock:
        beat = threading.Thread(target=heartbeat)
        beat.start()
        for _ in range(5):
            assert httpx.get(f"{served.url}/api/v1/health").status_code == 200
        assert not done.is_set()  # the heartbeat waits for the cluster, off the loop
    beat.join()
    assert answers == [200]


def test_imports_beyond_the_object_cap_are_refused(backend: object) -> None:
    from k8sedge.server import create_app
    from k8sedge.server.threaded import serve_in_thread

    app = create_app(backend, rate_limit="off", max_import_objects=2)
    with serve_in_thread(app) as url:
        headers = {"Authorization": f"Bearer {app.state.admin_token}"}
        nodes = [{"metadata": {"name": f"n{i}"}} for i in range(3)]
        answer = httpx.post(f"{url}/api/v1/import", headers=headers, json={"nodes": nodes})
        assert answer.status_code == 400 and "at most 2 objects" in answer.json()["message"]
        assert httpx.get(f"{url}/api/v1/export", headers=headers).json()["nodes"] == []


def test_facade_workloads_beyond_the_cap_are_422_and_create_nothing(kube: Served) -> None:
    before = kube.snapshot()
    template = {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c"}]}}
    statefulset = {
        "metadata": {"name": "big"},
        "spec": {
            "replicas": 10**6,
            "selector": {"matchLabels": {"app": "a"}},
            "template": template,
        },
    }
    answer = kube.http.post("/apis/apps/v1/namespaces/default/statefulsets", json=statefulset)
    assert answer.status_code == 422
    body = answer.json()
    assert body["kind"] == "Status" and body["reason"] == "Invalid"
    assert [c["field"] for c in body["details"]["causes"]] == ["spec.replicas"]
    job = {"metadata": {"name": "big"}, "spec": {"parallelism": 10**9, "template": template}}
    answer = kube.http.post("/apis/batch/v1/namespaces/default/jobs", json=job)
    assert answer.status_code == 422 and answer.json()["details"]["causes"][0]["field"] == (
        "spec.parallelism"
    )
    assert kube.snapshot() == before
