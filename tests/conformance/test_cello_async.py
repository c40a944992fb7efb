"""``client.cello`` on the asyncio client: the same pool, awaited, on memory and over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.server import create_app

from .test_cello import nodes


def _memory(backend: k8sedge.MemoryBackend) -> k8sedge.AsyncClient:
    return k8sedge.AsyncClient(backend)


def _asgi(backend: k8sedge.MemoryBackend) -> k8sedge.AsyncClient:
    app = create_app(backend, rate_limit="off")
    return k8sedge.connect_async(
        "http://testserver", token=app.state.admin_token, transport=httpx.ASGITransport(app=app)
    )


@pytest.mark.parametrize("make", [_memory, _asgi], ids=["memory", "http-asgi"])
def test_async_pool(
    make: Callable[[k8sedge.MemoryBackend], k8sedge.AsyncClient],
    memory_backend: k8sedge.MemoryBackend,
    clock: ManualClock,
) -> None:
    nodes(k8sedge.Client(memory_backend), 2)

    async def scenario() -> None:
        async with make(memory_backend) as client:
            cello = client.cello
            host = await cello.hosts.create(name="h", worker_api="h:2375", capacity=4)
            filled = await cello.hosts.fillup(host.id)
            clock.advance(5)
            users = await asyncio.gather(*(cello.apply(user_id=f"u{i}") for i in range(4)))
            assert sorted(c.id for c in users) == sorted(filled.clusters)
            with pytest.raises(k8sedge.BadRequestError, match="No available res for u9"):
                await cello.apply(user_id="u9")
            await cello.release(user_id="u0")
            assert len(await cello.clusters.list(state="released")) == 1
            assert len(await cello.clusters.list(user_id="")) == 1

    asyncio.run(scenario())
