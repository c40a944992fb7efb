"""The http backend: the documented API over httpx, with tenacity retries.

Error bodies ``{"error": true, "code", "message", "details"}`` become the same typed
exceptions the other backends raise. Retried automatically, with exponential backoff and
jitter, bounded in attempts and time: idempotent requests (GET, PUT, DELETE) after a
connection error, a timeout, 502/503/504 or 429; any request after a failure to connect
or a 429, which the server refused before doing anything. ``Retry-After`` is honoured.
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx
import tenacity
from attrs import frozen

from ..errors import (
    K8sEdgeError,
    RateLimitedError,
    TransportError,
    UnsupportedError,
    error_for_code,
)
from ..models.edge import (
    AggregatedMetrics,
    Deployment,
    DeployRequest,
    DeployResult,
    Health,
    IssuedToken,
    MetricsSample,
    Node,
    NodeMetrics,
    NodeRegistration,
    NodeStatusUpdate,
    OperationResult,
    Page,
    RecordResult,
    TokenRequest,
    TokenValidation,
    Workload,
    WorkloadSpec,
    WorkloadUpdate,
)
from .http_calls import Call, EdgeCalls

__all__ = ["AsyncHttpBackend", "HttpBackend", "RetryPolicy", "SyncASGITransport"]

T = TypeVar("T")
_RETRY_STATUSES = frozenset({429, 502, 503, 504})


@frozen
class RetryPolicy:
    """How the http backend retries: attempts, backoff bounds, total time."""

    attempts: int = 4
    backoff: float = 0.1  # first wait, doubled each attempt, with full jitter
    max_backoff: float = 5.0
    max_delay: float = 30.0  # total time spent retrying one call
    sleep: Callable[[float], None] | None = None  # how to wait (default: time.sleep)


class _Failure(Exception):
    """A retryable outcome, carrying the error to raise if retries run out."""

    def __init__(self, error: K8sEdgeError, connect: bool = False, status: int = 0) -> None:
        super().__init__(error.message)
        self.error = error
        self.connect = connect
        self.status = status


def _error_from_response(response: httpx.Response) -> K8sEdgeError:
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    if isinstance(body, dict) and ("code" in body or "error" in body):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        message = str(body.get("message") or response.reason_phrase)
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
    else:
        code, message, details = None, response.text[:500] or response.reason_phrase, {}
    cls = error_for_code(code, response.status_code)
    if response.status_code == 429 or cls is RateLimitedError:
        retry_after = _retry_after(response)
        return RateLimitedError(message, details, retry_after=retry_after)
    return cls(message, details)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        import time

        return max(0.0, when.timestamp() - time.time())


def _check(response: httpx.Response) -> Any:
    """The JSON of a success, or raise (``_Failure`` when the outcome may be retried)."""
    if response.is_success:
        return response.json() if response.content else None
    error = _error_from_response(response)
    if response.status_code in _RETRY_STATUSES:
        raise _Failure(error, status=response.status_code)
    raise error


def _transport_failure(exc: httpx.HTTPError) -> _Failure:
    connect = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    return _Failure(
        TransportError(f"request {kind}: {exc!r}", {"error": type(exc).__name__}), connect
    )


def _should_retry(call: Call[Any]) -> Any:
    def predicate(exc: BaseException) -> bool:
        if not isinstance(exc, _Failure):
            return False
        return call.idempotent or exc.connect or exc.status == 429

    return tenacity.retry_if_exception(predicate)


def _wait(policy: RetryPolicy) -> Any:
    exponential = tenacity.wait_random_exponential(
        multiplier=policy.backoff, max=policy.max_backoff
    )

    def wait(state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        error = exc.error if isinstance(exc, _Failure) else None
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return min(error.retry_after, policy.max_delay)
        return float(exponential(state))

    return wait


def _retrying_kwargs(call: Call[Any], policy: RetryPolicy, *, is_async: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "retry": _should_retry(call),
        "wait": _wait(policy),
        "stop": tenacity.stop_after_attempt(policy.attempts)
        | tenacity.stop_after_delay(policy.max_delay),
        "reraise": True,
    }
    sleep = policy.sleep
    if sleep is not None:
        if is_async:

            async def async_sleep(seconds: float) -> None:
                sleep(seconds)

            kwargs["sleep"] = async_sleep
        else:
            kwargs["sleep"] = sleep
    return kwargs


def _client_options(url: str, token: str | None, verify: Any, timeout: float) -> dict[str, Any]:
    if isinstance(verify, str | os.PathLike):  # a CA bundle: httpx wants an SSL context
        verify = ssl.create_default_context(cafile=os.fspath(verify))
    headers = {"Accept": "application/json", "User-Agent": "k8sedge"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return {
        "base_url": url.rstrip("/"),
        "headers": headers,
        "verify": verify,
        "timeout": httpx.Timeout(timeout),
    }


def _no_admin_token() -> UnsupportedError:
    return UnsupportedError(
        "issue_admin_token: a remote server's admin token cannot be minted over HTTP; "
        "use the token the server printed at start"
    )


class SyncASGITransport(httpx.BaseTransport):
    """Drive an ASGI app in-process from a *sync* ``httpx.Client``, through
    ``httpx.ASGITransport`` on an event loop in a helper (daemon) thread."""

    def __init__(self, app: Any) -> None:
        import asyncio
        import threading

        self._async = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="k8sedge-asgi"
        )
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import asyncio

        content = request.read()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            proxy = httpx.Request(
                request.method, request.url, headers=request.headers, content=content
            )
            response = await self._async.handle_async_request(proxy)
            body = b"".join([chunk async for chunk in response.aiter_raw()])
            return response.status_code, response.headers.raw, body

        status, headers, body = asyncio.run_coroutine_threadsafe(send(), self._loop).result()
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_closed():
            self._loop.close()


class HttpEdge:
    """The edge surface over a sync ``httpx.Client``."""

    def __init__(self, client: httpx.Client, policy: RetryPolicy) -> None:
        self._client = client
        self._policy = policy

    def _run(self, call: Call[T]) -> T:
        def once() -> Any:
            try:
                response = self._client.request(
                    call.method, call.path, params=call.params, json=call.body
                )
            except httpx.HTTPError as exc:
                raise _transport_failure(exc) from exc
            return _check(response)

        try:
            data = tenacity.Retrying(**_retrying_kwargs(call, self._policy, is_async=False))(once)
        except _Failure as failure:
            raise failure.error from None
        return call.parse(data)

    def health(self) -> Health:
        return self._run(EdgeCalls.health())

    def register_node(self, request: NodeRegistration) -> Node:
        return self._run(EdgeCalls.register_node(request))

    def list_nodes(self, page: int, limit: int) -> Page[Node]:
        return self._run(EdgeCalls.list_nodes(page, limit))

    def get_node(self, node_id: str) -> Node:
        return self._run(EdgeCalls.get_node(node_id))

    def update_node_status(self, node_id: str, update: NodeStatusUpdate) -> Node:
        return self._run(EdgeCalls.update_node_status(node_id, update))

    def delete_node(self, node_id: str) -> OperationResult:
        return self._run(EdgeCalls.delete_node(node_id))

    def create_workload(self, spec: WorkloadSpec) -> Workload:
        return self._run(EdgeCalls.create_workload(spec))

    def list_workloads(
        self, page: int, limit: int, namespace: str | None, status: str | None
    ) -> Page[Workload]:
        return self._run(EdgeCalls.list_workloads(page, limit, namespace, status))

    def get_workload(self, workload_id: str) -> Workload:
        return self._run(EdgeCalls.get_workload(workload_id))

    def update_workload(self, workload_id: str, update: WorkloadUpdate) -> Workload:
        return self._run(EdgeCalls.update_workload(workload_id, update))

    def delete_workload(self, workload_id: str) -> OperationResult:
        return self._run(EdgeCalls.delete_workload(workload_id))

    def deploy_workload(self, workload_id: str, request: DeployRequest) -> DeployResult:
        return self._run(EdgeCalls.deploy_workload(workload_id, request))

    def get_deployment(self, workload_id: str, deployment_id: str) -> Deployment:
        return self._run(EdgeCalls.get_deployment(workload_id, deployment_id))

    def record_metrics(self, node_id: str, samples: Sequence[MetricsSample]) -> RecordResult:
        return self._run(EdgeCalls.record_metrics(node_id, samples))

    def node_metrics(self, node_id: str, timeframe: str, resolution: str) -> NodeMetrics:
        return self._run(EdgeCalls.node_metrics(node_id, timeframe, resolution))

    def all_metrics(self, timeframe: str, resolution: str) -> AggregatedMetrics:
        return self._run(EdgeCalls.all_metrics(timeframe, resolution))

    def generate_token(self, request: TokenRequest) -> IssuedToken:
        return self._run(EdgeCalls.generate_token(request))

    def validate_token(self, token: str) -> TokenValidation:
        return self._run(EdgeCalls.validate_token(token))

    def revoke_token(self, token: str) -> OperationResult:
        return self._run(EdgeCalls.revoke_token(token))

    def issue_admin_token(self, expiration: str) -> IssuedToken:
        raise _no_admin_token()


class AsyncHttpEdge:
    """The edge surface over an ``httpx.AsyncClient``."""

    def __init__(self, client: httpx.AsyncClient, policy: RetryPolicy) -> None:
        self._client = client
        self._policy = policy

    async def _run(self, call: Call[T]) -> T:
        async def once() -> Any:
            try:
                response = await self._client.request(
                    call.method, call.path, params=call.params, json=call.body
                )
            except httpx.HTTPError as exc:
                raise _transport_failure(exc) from exc
            return _check(response)

        try:
            data: Any = await tenacity.AsyncRetrying(
                **_retrying_kwargs(call, self._policy, is_async=True)
            )(once)
        except _Failure as failure:
            raise failure.error from None
        return call.parse(data)

    async def health(self) -> Health:
        return await self._run(EdgeCalls.health())

    async def register_node(self, request: NodeRegistration) -> Node:
        return await self._run(EdgeCalls.register_node(request))

    async def list_nodes(self, page: int, limit: int) -> Page[Node]:
        return await self._run(EdgeCalls.list_nodes(page, limit))

    async def get_node(self, node_id: str) -> Node:
        return await self._run(EdgeCalls.get_node(node_id))

    async def update_node_status(self, node_id: str, update: NodeStatusUpdate) -> Node:
        return await self._run(EdgeCalls.update_node_status(node_id, update))

    async def delete_node(self, node_id: str) -> OperationResult:
        return await self._run(EdgeCalls.delete_node(node_id))

    async def create_workload(self, spec: WorkloadSpec) -> Workload:
        return await self._run(EdgeCalls.create_workload(spec))

    async def list_workloads(
        self, page: int, limit: int, namespace: str | None, status: str | None
    ) -> Page[Workload]:
        return await self._run(EdgeCalls.list_workloads(page, limit, namespace, status))

    async def get_workload(self, workload_id: str) -> Workload:
        return await self._run(EdgeCalls.get_workload(workload_id))

    async def update_workload(self, workload_id: str, update: WorkloadUpdate) -> Workload:
        return await self._run(EdgeCalls.update_workload(workload_id, update))

    async def delete_workload(self, workload_id: str) -> OperationResult:
        return await self._run(EdgeCalls.delete_workload(workload_id))

    async def deploy_workload(self, workload_id: str, request: DeployRequest) -> DeployResult:
        return await self._run(EdgeCalls.deploy_workload(workload_id, request))

    async def get_deployment(self, workload_id: str, deployment_id: str) -> Deployment:
        return await self._run(EdgeCalls.get_deployment(workload_id, deployment_id))

    async def record_metrics(self, node_id: str, samples: Sequence[MetricsSample]) -> RecordResult:
        return await self._run(EdgeCalls.record_metrics(node_id, samples))

    async def node_metrics(self, node_id: str, timeframe: str, resolution: str) -> NodeMetrics:
        return await self._run(EdgeCalls.node_metrics(node_id, timeframe, resolution))

    async def all_metrics(self, timeframe: str, resolution: str) -> AggregatedMetrics:
        return await self._run(EdgeCalls.all_metrics(timeframe, resolution))

    async def generate_token(self, request: TokenRequest) -> IssuedToken:
        return await self._run(EdgeCalls.generate_token(request))

    async def validate_token(self, token: str) -> TokenValidation:
        return await self._run(EdgeCalls.validate_token(token))

    async def revoke_token(self, token: str) -> OperationResult:
        return await self._run(EdgeCalls.revoke_token(token))

    async def issue_admin_token(self, expiration: str) -> IssuedToken:
        raise _no_admin_token()


class HttpBackend:
    """``connect("http://host:port", token=..., verify=..., timeout=..., retry=...)``.

    ``transport`` (an ``httpx.BaseTransport``, e.g. ``SyncASGITransport(app)``) or a
    ready ``client`` may be given instead of a network connection.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        verify: Any = True,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self._owns_client = client is None
        self.client = client or httpx.Client(
            transport=transport, **_client_options(url, token, verify, timeout)
        )
        self._edge = HttpEdge(self.client, retry or RetryPolicy())

    @property
    def edge(self) -> HttpEdge:
        return self._edge

    @property
    def simulator(self) -> Any:
        from .http_simulator import HttpSimulator

        return HttpSimulator(self._edge)

    def close(self) -> None:
        if self._owns_client:
            self.client.close()


class AsyncHttpBackend:
    """The http backend for asyncio code, on ``httpx.AsyncClient``."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        verify: Any = True,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            transport=transport, **_client_options(url, token, verify, timeout)
        )
        self._edge = AsyncHttpEdge(self.client, retry or RetryPolicy())

    @property
    def edge(self) -> AsyncHttpEdge:
        return self._edge

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()
