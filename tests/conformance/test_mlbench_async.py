"""``client.mlbench`` on the ``AsyncClient``: the same results, awaited (memory and HTTP)."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Callable

import httpx
import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.server import create_app
from k8sedge.surfaces.mlbench import RunState


def _memory(backend: k8sedge.MemoryBackend) -> k8sedge.AsyncClient:
    return k8sedge.AsyncClient(backend)


def _asgi(backend: k8sedge.MemoryBackend) -> k8sedge.AsyncClient:
    app = create_app(backend, rate_limit="off")
    return k8sedge.connect_async(
        "http://testserver", token=app.state.admin_token, transport=httpx.ASGITransport(app=app)
    )


@pytest.mark.parametrize("make", [_memory, _asgi], ids=["memory", "http-asgi"])
def test_async_mlbench(
    make: Callable[[k8sedge.MemoryBackend], k8sedge.AsyncClient],
    memory_backend: k8sedge.MemoryBackend,
    clock: ManualClock,
) -> None:
    async def scenario() -> None:
        async with make(memory_backend) as client:
            for i in range(2):
                await client.edge.nodes.register(
                    name=f"n{i}", address="10.0.0.1", resources={"cpu": "4", "memory": "8Gi"}
                )
            ml = client.mlbench
            run = await ml.runs.create(name="async", num_workers=2, num_cpus=1, duration=10)
            assert (await ml.runs.wait(run.id, state="started")).state is RunState.STARTED
            assert len(await ml.pods.list()) == 2
            count = await ml.metrics.record_batch(
                [{"run_id": run.id, "name": "loss", "value": str(i)} for i in range(4)]
            )
            assert count == 4
            assert [p.value for p in (await ml.metrics.get(run.id, summarize=2))["loss"]] == [
                "0.5",
                "2.5",
            ]
            archive = zipfile.ZipFile(io.BytesIO(await ml.metrics.zip(run.id)))
            assert archive.namelist() == ["result_loss.json"]
            with pytest.raises(k8sedge.ConflictError):
                await ml.runs.create(name="second", num_workers=1, num_cpus=1)
            clock.advance(10)
            assert (await ml.runs.wait(run.id)).state is RunState.FINISHED
            await ml.runs.delete(run.id)
            assert await ml.runs.list() == []

    asyncio.run(scenario())
