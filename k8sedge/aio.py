"""``AsyncClient``: the same surface as ``Client`` for asyncio code.

Request models are built by the same functions as the sync client's (``k8sedge.edge``),
so validation and errors are identical. The http backend uses ``httpx.AsyncClient``
natively; the memory backend, which does no I/O, is called directly.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

from .backends import open_backend
from .backends.base import AsyncEdgeBackend
from .edge import (
    build,
    deploy_request,
    identifier,
    metrics_sample,
    metrics_samples,
    registration,
    status_update,
)
from .models.edge import (
    AggregatedMetrics,
    Deployment,
    DeployResult,
    Health,
    IssuedToken,
    MetricsSample,
    Node,
    NodeMetrics,
    OperationResult,
    Page,
    RecordResult,
    TokenRequest,
    TokenValidation,
    Workload,
    WorkloadSpec,
    WorkloadUpdate,
)
from .pagination import DEFAULT_LIMIT, MAX_LIMIT, check_page

__all__ = ["AsyncClient", "AsyncEdgeAPI", "connect_async"]


class _Awaitable:
    """Presents a sync backend surface (no I/O) as awaitable methods."""

    def __init__(self, sync: Any) -> None:
        self._sync = sync

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._sync, name)
        if not callable(method):
            return method

        async def call(*args: Any) -> Any:
            return method(*args)

        return call


async def _aiterate(fetch: Any, limit: int) -> AsyncIterator[Any]:
    check_page(1, limit)
    page = 1
    while True:
        result: Page[Any] = await fetch(page, limit)
        for item in result.items:
            yield item
        if page >= result.pagination.pages:
            return
        page += 1


class AsyncNodesAPI:
    def __init__(self, backend: AsyncEdgeBackend) -> None:
        self._backend = backend

    async def register(
        self,
        *,
        name: str,
        address: str,
        capabilities: Sequence[str] = (),
        resources: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> Node:
        request = registration(name, address, capabilities, resources, labels)
        return await self._backend.register_node(request)

    async def list(self, page: int = 1, limit: int = DEFAULT_LIMIT) -> Page[Node]:
        check_page(page, limit)
        return await self._backend.list_nodes(page, limit)

    def iter(self, limit: int = MAX_LIMIT) -> AsyncIterator[Node]:
        return _aiterate(self._backend.list_nodes, limit)

    async def get(self, node_id: str) -> Node:
        return await self._backend.get_node(identifier(node_id, "node_id"))

    async def update_status(
        self,
        node_id: str,
        *,
        status: str | None = None,
        heartbeat: bool = False,
        resources: Mapping[str, Any] | None = None,
    ) -> Node:
        update = status_update(status, heartbeat, resources)
        return await self._backend.update_node_status(identifier(node_id, "node_id"), update)

    async def heartbeat(self, node_id: str) -> Node:
        return await self.update_status(node_id, heartbeat=True)

    async def delete(self, node_id: str) -> OperationResult:
        return await self._backend.delete_node(identifier(node_id, "node_id"))


class AsyncWorkloadsAPI:
    def __init__(self, backend: AsyncEdgeBackend) -> None:
        self._backend = backend

    async def create(
        self,
        *,
        name: str,
        image: str,
        namespace: str = "default",
        type: str = "deployment",
        replicas: int = 1,
        resources: Mapping[str, Any] | Any = None,
        placement: Mapping[str, Any] | Any = None,
    ) -> Workload:
        spec = build(
            WorkloadSpec,
            name=name,
            image=image,
            namespace=namespace,
            type=type,
            replicas=replicas,
            resources=resources,
            placement=placement,
        )
        return await self._backend.create_workload(spec)

    async def list(
        self,
        page: int = 1,
        limit: int = DEFAULT_LIMIT,
        *,
        namespace: str | None = None,
        status: str | None = None,
    ) -> Page[Workload]:
        check_page(page, limit)
        return await self._backend.list_workloads(page, limit, namespace, status)

    def iter(
        self, limit: int = MAX_LIMIT, *, namespace: str | None = None, status: str | None = None
    ) -> AsyncIterator[Workload]:
        async def fetch(page: int, lim: int) -> Page[Workload]:
            return await self._backend.list_workloads(page, lim, namespace, status)

        return _aiterate(fetch, limit)

    async def get(self, workload_id: str) -> Workload:
        return await self._backend.get_workload(identifier(workload_id, "workload_id"))

    async def update(
        self,
        workload_id: str,
        *,
        replicas: int | None = None,
        resources: Mapping[str, Any] | Any = None,
        image: str | None = None,
        placement: Mapping[str, Any] | Any = None,
    ) -> Workload:
        update = build(
            WorkloadUpdate, replicas=replicas, resources=resources, image=image, placement=placement
        )
        return await self._backend.update_workload(identifier(workload_id, "workload_id"), update)

    async def delete(self, workload_id: str) -> OperationResult:
        return await self._backend.delete_workload(identifier(workload_id, "workload_id"))

    async def deploy(
        self, workload_id: str, *, nodes: Sequence[str] | None = None, strategy: str = "rolling"
    ) -> DeployResult:
        request = deploy_request(nodes, strategy)
        return await self._backend.deploy_workload(identifier(workload_id, "workload_id"), request)

    async def deployment(self, workload_id: str, deployment_id: str) -> Deployment:
        return await self._backend.get_deployment(
            identifier(workload_id, "workload_id"), identifier(deployment_id, "deployment_id")
        )


class AsyncMetricsAPI:
    def __init__(self, backend: AsyncEdgeBackend) -> None:
        self._backend = backend

    async def record(
        self,
        node_id: str,
        *,
        timestamp: datetime | str | None = None,
        cpu_usage: float | None = None,
        memory_usage: float | None = None,
        memory_total: float | None = None,
        disk_usage: float | None = None,
        disk_total: float | None = None,
        network: Mapping[str, int] | Any = None,
        containers: Iterable[Mapping[str, Any] | Any] | None = None,
    ) -> RecordResult:
        sample = metrics_sample(
            containers,
            timestamp=timestamp,
            cpu_usage=cpu_usage,
            memory_usage=memory_usage,
            memory_total=memory_total,
            disk_usage=disk_usage,
            disk_total=disk_total,
            network=network,
        )
        return await self._backend.record_metrics(identifier(node_id, "node_id"), [sample])

    async def record_batch(
        self, node_id: str, samples: Iterable[MetricsSample | Mapping[str, Any]]
    ) -> RecordResult:
        checked = metrics_samples(samples)
        return await self._backend.record_metrics(identifier(node_id, "node_id"), checked)

    async def node(
        self, node_id: str, timeframe: str = "1h", resolution: str = "5m"
    ) -> NodeMetrics:
        return await self._backend.node_metrics(
            identifier(node_id, "node_id"), timeframe, resolution
        )

    async def all(self, timeframe: str = "1h", resolution: str = "5m") -> AggregatedMetrics:
        return await self._backend.all_metrics(timeframe, resolution)


class AsyncTokensAPI:
    def __init__(self, backend: AsyncEdgeBackend) -> None:
        self._backend = backend

    async def generate(self, node_id: str, expiration: str = "24h") -> IssuedToken:
        return await self._backend.generate_token(
            build(TokenRequest, node_id=node_id, expiration=expiration)
        )

    async def validate(self, token: str) -> TokenValidation:
        return await self._backend.validate_token(token if isinstance(token, str) else "")

    async def revoke(self, token: str) -> OperationResult:
        return await self._backend.revoke_token(identifier(token, "token"))


class AsyncEdgeAPI:
    """``await client.edge.nodes.register(...)`` and so on."""

    def __init__(self, backend: AsyncEdgeBackend) -> None:
        self._backend = backend
        self.nodes = AsyncNodesAPI(backend)
        self.workloads = AsyncWorkloadsAPI(backend)
        self.metrics = AsyncMetricsAPI(backend)
        self.tokens = AsyncTokensAPI(backend)

    async def health(self) -> Health:
        return await self._backend.health()


class AsyncClient:
    """The asyncio client; use ``async with k8sedge.connect_async(...) as client``."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        edge = backend.edge
        is_async = inspect.iscoroutinefunction(getattr(edge, "health", None))
        self.edge = AsyncEdgeAPI(cast(AsyncEdgeBackend, edge if is_async else _Awaitable(edge)))

    async def aclose(self) -> None:
        closer = getattr(self.backend, "aclose", None)
        if closer is not None:
            await closer()
        else:
            self.backend.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def connect_async(url: str | None = None, **options: Any) -> AsyncClient:
    """Like ``connect``, for asyncio: http(s) URLs use ``httpx.AsyncClient``."""
    scheme = urlsplit(url or "memory://").scheme.lower()
    if scheme in ("http", "https"):
        from .backends.http import AsyncHttpBackend

        return AsyncClient(AsyncHttpBackend(cast(str, url), **options))
    return AsyncClient(open_backend(url, **options))
