"""``AsyncClient`` has the sync client's surface and results, on memory and over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.server import create_app


def _memory(backend: k8sedge.MemoryBackend) -> k8sedge.AsyncClient:
    return k8sedge.AsyncClient(backend)


def _asgi(backend: k8sedge.MemoryBackend) -> k8sedge.AsyncClient:
    app = create_app(backend, rate_limit="off")
    return k8sedge.connect_async(
        "http://testserver", token=app.state.admin_token, transport=httpx.ASGITransport(app=app)
    )


@pytest.mark.parametrize("make", [_memory, _asgi], ids=["memory", "http-asgi"])
def test_async_walkthrough(
    make: Callable[[k8sedge.MemoryBackend], k8sedge.AsyncClient],
    memory_backend: k8sedge.MemoryBackend,
    clock: ManualClock,
) -> None:
    async def scenario() -> None:
        async with make(memory_backend) as client:
            edge = client.edge
            assert (await edge.health()).status == "healthy"
            ids = [
                (
                    await edge.nodes.register(
                        name=f"edge-{i}",
                        address="10.0.0.1",
                        resources={"cpu": "2", "memory": "4Gi"},
                    )
                ).id
                for i in range(3)
            ]
            assert [n.id async for n in edge.nodes.iter(limit=2)] == ids
            assert (await edge.nodes.heartbeat(ids[0])).status is k8sedge.NodeStatus.ACTIVE
            with pytest.raises(k8sedge.ConflictError):
                await edge.nodes.register(name="edge-0", address="x")
            with pytest.raises(k8sedge.BadRequestError):
                await edge.nodes.list(limit=500)
            w = await edge.workloads.create(
                name="web", image="nginx", replicas=2, resources={"requests": {"cpu": "500m"}}
            )
            deployed = await edge.workloads.deploy(w.id)
            assert (await edge.workloads.get(w.id)).ready_replicas == 2
            progress = await edge.workloads.deployment(w.id, deployed.deployment_id)
            assert progress.status is k8sedge.DeploymentStatus.COMPLETE
            assert [x.id async for x in edge.workloads.iter()] == [w.id]
            await edge.metrics.record(ids[0], cpu_usage=10.0)
            await edge.metrics.record_batch(ids[0], [{"cpu_usage": 30.0}])
            summary = await edge.metrics.all("1h", "1h")
            assert summary.nodes[ids[0]].cpu_usage_avg == 20.0
            assert (await edge.metrics.node(ids[0], "1h", "1h")).metrics["cpu_usage"][
                0
            ].value == 20.0
            token = await edge.tokens.generate(ids[0], "1h")
            assert (await edge.tokens.validate(token.token)).valid
            await edge.tokens.revoke(token.token)
            assert not (await edge.tokens.validate(token.token)).valid
            assert (await edge.workloads.delete(w.id)).success
            assert (await edge.nodes.delete(ids[2])).success
            with pytest.raises(k8sedge.NotFoundError):
                await edge.nodes.get(ids[2])

    clock.advance(1800)
    asyncio.run(scenario())
