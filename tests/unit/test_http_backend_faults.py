"""The http backend under injected faults (pytest-httpx): retries, backoff, error mapping."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pytest_httpx import HTTPXMock

import k8sedge
from k8sedge import RetryPolicy

URL = "http://edge.example:8443"
NODE = {"id": "n1", "name": "edge-node-1", "address": "10.0.0.1", "status": "active"}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(sleeps: Sleeps, **policy: float) -> k8sedge.Client:
    retry = RetryPolicy(sleep=sleeps, **policy)  # type: ignore[arg-type]
    return k8sedge.connect(URL, token="t0k3n", retry=retry, timeout=1.0)


def test_503_burst_then_success_on_get(httpx_mock: HTTPXMock) -> None:
    sleeps = Sleeps()
    for _ in range(2):
        httpx_mock.add_response(
            url=f"{URL}/api/v1/nodes/n1",
            status_code=503,
            json={"error": True, "code": "SERVICE_UNAVAILABLE", "message": "busy", "details": {}},
        )
    httpx_mock.add_response(url=f"{URL}/api/v1/nodes/n1", json=NODE)
    with client(sleeps) as c:
        assert c.edge.nodes.get("n1").name == "edge-node-1"
    assert len(sleeps) == 2
    assert all(0 <= s <= 5.0 for s in sleeps)
    request = httpx_mock.get_requests()[0]
    assert request.headers["authorization"] == "Bearer t0k3n"


def test_retries_are_bounded(httpx_mock: HTTPXMock) -> None:
    sleeps = Sleeps()
    httpx_mock.add_response(
        url=f"{URL}/api/v1/nodes/n1", status_code=502, text="bad gateway", is_reusable=True
    )
    with client(sleeps, attempts=3) as c, pytest.raises(k8sedge.InternalError):
        c.edge.nodes.get("n1")
    assert len(httpx_mock.get_requests()) == 3
    assert len(sleeps) == 2


def test_429_honours_retry_after(httpx_mock: HTTPXMock) -> None:
    sleeps = Sleeps()
    httpx_mock.add_response(
        url=f"{URL}/api/v1/nodes?page=1&limit=20",
        status_code=429,
        headers={"Retry-After": "7"},
        json={"error": True, "code": "RATE_LIMITED", "message": "slow down", "details": {}},
    )
    httpx_mock.add_response(
        url=f"{URL}/api/v1/nodes?page=1&limit=20",
        json={"nodes": [NODE], "pagination": {"total": 1, "page": 1, "limit": 20, "pages": 1}},
    )
    with client(sleeps) as c:
        assert c.edge.nodes.list().items[0].id == "n1"
    assert sleeps == [7.0]


def test_timeouts_retry_idempotent_requests_only(httpx_mock: HTTPXMock) -> None:
    sleeps = Sleeps()
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=f"{URL}/api/v1/nodes/n1")
    httpx_mock.add_response(url=f"{URL}/api/v1/nodes/n1", json=NODE)
    with client(sleeps) as c:
        assert c.edge.nodes.get("n1").id == "n1"
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=f"{URL}/api/v1/nodes", method="POST")
    with client(sleeps) as c, pytest.raises(k8sedge.TransportError) as info:
        c.edge.nodes.register(name="x", address="y")
    assert "timed out" in info.value.message
    posts = [r for r in httpx_mock.get_requests() if r.method == "POST"]
    assert len(posts) == 1  # a POST that may have been applied is not repeated


def test_connect_errors_retry_even_posts(httpx_mock: HTTPXMock) -> None:
    sleeps = Sleeps()
    httpx_mock.add_exception(
        httpx.ConnectError("refused"), url=f"{URL}/api/v1/nodes", method="POST"
    )
    httpx_mock.add_response(url=f"{URL}/api/v1/nodes", method="POST", json=NODE, status_code=201)
    with client(sleeps) as c:
        assert c.edge.nodes.register(name="edge-node-1", address="10.0.0.1").id == "n1"
    assert len(sleeps) == 1


def test_error_bodies_become_typed_exceptions(httpx_mock: HTTPXMock) -> None:
    cases = [
        (404, "NOT_FOUND", k8sedge.NotFoundError),
        (409, "CONFLICT", k8sedge.ConflictError),
        (400, "BAD_REQUEST", k8sedge.BadRequestError),
        (401, "UNAUTHORIZED", k8sedge.UnauthorizedError),
        (403, "FORBIDDEN", k8sedge.ForbiddenError),
        (500, "INTERNAL_ERROR", k8sedge.InternalError),
    ]
    for status, code, _ in cases:
        httpx_mock.add_response(
            url=f"{URL}/api/v1/workloads/w",
            status_code=status,
            json={
                "error": True,
                "code": code,
                "message": f"m{status}",
                "details": {"field": "why"},
            },
        )
    with client(Sleeps()) as c:
        for status, _, cls in cases:
            with pytest.raises(cls) as info:
                c.edge.workloads.get("w")
            assert info.value.message == f"m{status}"
            assert info.value.details == {"field": "why"}


def test_unexpected_answers_are_internal_errors(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{URL}/api/v1/nodes/n1", json={"unexpected": True})
    httpx_mock.add_response(url=f"{URL}/api/v1/workloads/w", status_code=418, text="teapot")
    with client(Sleeps()) as c:
        with pytest.raises(k8sedge.InternalError):
            c.edge.nodes.get("n1")
        with pytest.raises(k8sedge.BadRequestError) as info:
            c.edge.workloads.get("w")
        assert info.value.message == "teapot"


def test_servers_without_pagination_are_tolerated(httpx_mock: HTTPXMock) -> None:
    # the spec's own example answers GET /nodes with a bare list under "nodes"
    httpx_mock.add_response(url=f"{URL}/api/v1/nodes?page=1&limit=20", json={"nodes": [NODE, NODE]})
    with client(Sleeps()) as c:
        page = c.edge.nodes.list()
    assert len(page.items) == 2 and page.pagination.total == 2 and page.pagination.pages == 1


def test_async_client_retries_too(httpx_mock: HTTPXMock) -> None:
    sleeps = Sleeps()
    httpx_mock.add_response(url=f"{URL}/api/v1/health", status_code=504, text="gateway timeout")
    httpx_mock.add_response(
        url=f"{URL}/api/v1/health",
        json={"status": "healthy", "version": "1.0.0", "timestamp": "2023-07-01T12:00:00Z"},
    )

    async def run() -> str:
        async with k8sedge.connect_async(URL, retry=RetryPolicy(sleep=sleeps)) as c:
            return (await c.edge.health()).version

    assert asyncio.run(run()) == "1.0.0"
    assert len(sleeps) == 1
