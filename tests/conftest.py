"""Shared fixtures: a manual clock and a ``client`` parametrised over every backend.

Every backend is driven by one memory cluster and one clock: ``memory`` directly,
``http-asgi`` through the server in-process (``httpx.ASGITransport``), and
``http-socket`` through the server on a real uvicorn socket on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.backends.http import RetryPolicy, SyncASGITransport
from k8sedge.server import create_app
from k8sedge.server.threaded import serve_in_thread

BACKENDS = ["memory", "http-asgi", "http-socket"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "notimpl(backends, reason): a known gap of those backends; the test must fail there "
        "(strict xfail), so that closing the gap is noticed",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("notimpl")
        callspec = getattr(item, "callspec", None)
        if marker is None or callspec is None:
            continue
        backend = next((v for v in callspec.params.values() if isinstance(v, str)), None)
        if backend in marker.args[0]:
            item.add_marker(pytest.mark.xfail(strict=True, reason=marker.kwargs["reason"]))


NO_RETRY = RetryPolicy(attempts=1)


class SwitchableApp:
    """One long-lived socket server whose app each test replaces."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def socket_server() -> Iterator[tuple[SwitchableApp, str]]:
    switch = SwitchableApp()
    with serve_in_thread(switch) as url:
        yield switch, url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_688_169_600.0)  # 2023-07-01T00:00:00Z, before the spec examples


@pytest.fixture
def memory_backend(clock: ManualClock) -> k8sedge.MemoryBackend:
    return k8sedge.MemoryBackend(clock=clock, rollout_interval=1.0, grace_period=40.0)


def _kubernetes(
    request: pytest.FixtureRequest,
    memory_backend: k8sedge.MemoryBackend,
    tmp_path: Any,
    clock: ManualClock,
) -> Iterator[k8sedge.Client]:
    """The kubernetes backend against the Kubernetes API facade on a real socket (the
    official client through a kubeconfig), on the same memory cluster and clock."""
    from k8sedge.kubeapi import create_kube_app, write_kubeconfig

    switch, url = request.getfixturevalue("socket_server")
    switch.app = create_kube_app(memory_backend.cluster)
    config = write_kubeconfig(tmp_path / "kubeconfig", url)
    with k8sedge.connect(
        "kubernetes://k8sedge", kubeconfig=str(config), allow_reset=True, clock=clock
    ) as c:
        yield c


@pytest.fixture(params=[*BACKENDS, "kubernetes"])
def any_client(
    request: pytest.FixtureRequest,
    memory_backend: k8sedge.MemoryBackend,
    tmp_path: Any,
    clock: ManualClock,
) -> Iterator[k8sedge.Client]:
    """A client on every backend, the kubernetes backend (through the Kubernetes API facade)
    included; all on the same memory cluster and clock."""
    if request.param == "kubernetes":
        yield from _kubernetes(request, memory_backend, tmp_path, clock)
    else:
        yield from _client(request, request.param, memory_backend)


@pytest.fixture(params=BACKENDS)
def client(
    request: pytest.FixtureRequest, memory_backend: k8sedge.MemoryBackend
) -> Iterator[k8sedge.Client]:
    """A client on the memory and http backends, all driven by the same memory cluster and
    clock (for what the kubernetes backend does differently, e.g. clock-paced rollouts)."""
    yield from _client(request, request.param, memory_backend)


def _client(
    request: pytest.FixtureRequest, kind: str, memory_backend: k8sedge.MemoryBackend
) -> Iterator[k8sedge.Client]:
    if kind == "memory":
        with k8sedge.Client(memory_backend) as c:
            yield c
        return
    app = create_app(memory_backend, rate_limit="off")
    token = app.state.admin_token
    if kind == "http-asgi":
        backend = k8sedge.HttpBackend(
            "http://testserver", token=token, transport=SyncASGITransport(app), retry=NO_RETRY
        )
    else:
        switch, url = request.getfixturevalue("socket_server")
        switch.app = app
        backend = k8sedge.HttpBackend(url, token=token, retry=NO_RETRY)
    with k8sedge.Client(backend) as c:
        yield c
