"""The http client against the real Cello servers' answers (v0.6 to v0.9): it reads
``status`` and ``code`` from the body, whatever the HTTP status, and each era's fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import k8sedge
from k8sedge.backends.http import RetryPolicy
from k8sedge.surfaces.cello.models import Cluster, ClusterHealth, ClusterStatus, Host

# the spec's example answer (Cello v0.6: daemon_url, no later fields)
V06 = {
    "api_url": "http://192.168.7.62:5004",
    "consensus_mode": "batch",
    "consensus_plugin": "pbft",
    "daemon_url": "tcp://192.168.7.62:2375",
    "id": "576ba021414b0502864d0306",
    "name": "compute2_4",
    "size": 4,
    "user_id": "xxx",
}
# v0.9 (marshmallow): ISO dates, an integer duration, no consensus_mode
V09 = {
    "id": "5b0c8d1e",
    "name": "h_1",
    "duration": 3723,
    "network_type": "fabric-1.0",
    "mapped_ports": {"rest": 7150},
    "service_url": {"rest": "10.0.0.1:7150"},
    "containers": ["peer0-org1"],
    "size": 4,
    "release_ts": "2018-05-28T10:00:00",
    "health": "OK",
    "create_ts": "2018-05-28T08:57:57",
    "apply_ts": "2018-05-28T08:58:00",
    "worker_api": "tcp://10.0.0.1:2375",
    "status": "running",
    "host": "h",
    "host_id": "h1",
    "user_id": "",
    "api_url": "",
    "consensus_plugin": "solo",
    "service_ports": [7150],
}


def client(answer: Callable[[httpx.Request], tuple[int, Any]]) -> k8sedge.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        status, body = answer(request)
        return httpx.Response(status, json=body)

    backend = k8sedge.HttpBackend(
        "http://cello/v2",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1),
    )
    return k8sedge.Client(backend)


def envelope(data: Any, code: int = 200, status: str = "OK", error: str = "") -> dict[str, Any]:
    return {"status": status, "code": code, "error": error, "data": data}


def test_the_spec_example_answer() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> tuple[int, Any]:
        sent.append(request)
        return 200, envelope(V06)

    cluster = client(answer).cello.apply(
        user_id="xxx", consensus_plugin="pbft", consensus_mode="batch", size=4
    )
    assert (cluster.id, cluster.name, cluster.size) == ("576ba021414b0502864d0306", "compute2_4", 4)
    assert cluster.worker_api == cluster.daemon_url == "tcp://192.168.7.62:2375"
    assert cluster.api_url == "http://192.168.7.62:5004"
    assert cluster.status is ClusterStatus.RUNNING and cluster.health is ClusterHealth.UNKNOWN
    (request,) = sent
    assert (request.method, request.url.path) == ("POST", "/v2/cluster_op")
    assert httpx.Response(200, content=request.content).json() == {
        "action": "apply",
        "user_id": "xxx",
        "consensus_plugin": "pbft",
        "consensus_mode": "batch",
        "size": 4,
    }


def test_later_eras_fields() -> None:
    cluster = client(lambda r: (200, envelope([V09]))).cello.clusters.list(state="released")[0]
    assert cluster.duration == timedelta(seconds=3723)
    assert cluster.create_ts == datetime(2018, 5, 28, 8, 57, 57, tzinfo=UTC)
    assert cluster.api_url == "http://10.0.0.1:7150"  # service_url.rest, as v0.7 derived it
    assert cluster.consensus_mode == "" and cluster.free
    v07 = {
        **V09,
        "create_ts": "Mon, 03 Jul 2017 10:00:00 GMT",
        "duration": "1 day, 2:03:04.5",
        "fabric_version": "fabric-0.6",
        "network_type": "",
    }
    read = Cluster.from_dict(v07)
    assert read.create_ts == datetime(2017, 7, 3, 10, tzinfo=UTC)
    assert read.duration == timedelta(days=1, hours=2, minutes=3, seconds=4.5)
    assert read.network_type == "fabric-0.6"
    assert Cluster.from_dict(read.to_dict()) == read


def test_hosts_as_the_dashboard_writes_them() -> None:
    raw = {
        "id": "h1",
        "name": "h",
        "worker_api": "tcp://10.0.0.1:2375",
        "capacity": 2,
        "type": "docker",
        "create_ts": "Mon, 03 Jul 2017 10:00:00 GMT",
        "status": "active",
        "autofill": "true",
        "schedulable": "false",
        "clusters": ["c1"],
        "log_level": "INFO",
        "log_type": "local",
        "log_server": "",
    }
    (host,) = client(lambda r: (200, envelope([raw]))).cello.hosts.list()
    assert isinstance(host, Host) and host.autofill and not host.schedulable
    assert host.clusters == ["c1"] and host.node_selector == {}


@pytest.mark.parametrize(
    ("http", "body", "error", "message"),
    [
        (
            400,
            envelope({}, 404, "FAIL", "cluster not found with id=x"),
            k8sedge.NotFoundError,
            "cluster not found with id=x",
        ),
        (
            400,
            envelope({}, 400, "FAIL", "No available res for u"),
            k8sedge.BadRequestError,
            "No available res for u",
        ),
        (
            400,
            envelope({"id": "h"}, 409, "FAIL", "Failed to delete host h"),
            k8sedge.ConflictError,
            "Failed to delete host h",
        ),
        (200, envelope({}, 400, "FAIL", "odd"), k8sedge.BadRequestError, "odd"),
        (500, "<html>Internal Server Error</html>", k8sedge.InternalError, "Internal Server"),
    ],
)
def test_failures_are_read_from_the_body(
    http: int, body: Any, error: type[k8sedge.K8sEdgeError], message: str
) -> None:
    with pytest.raises(error, match=message):
        client(lambda r: (http, body)).cello.clusters.get("x")


def test_release_answers_of_every_era() -> None:
    for data in ("", {}):
        assert client(lambda r, d=data: (200, envelope(d))).cello.release("c1") is None


def test_created_answers_carry_code_201_in_an_http_200() -> None:
    raw = {"id": "h1", "name": "h", "worker_api": "tcp://h:2375", "capacity": 1}
    host = client(lambda r: (200, envelope(raw, 201))).cello.hosts.create(
        name="h", worker_api="h:2375", capacity=1
    )
    assert host.id == "h1"
