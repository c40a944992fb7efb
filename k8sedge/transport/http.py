"""The http client of every surface, derived from the operations' declarations.

``prepare`` turns an operation and its arguments into a request (path parameters quoted,
query, JSON body, what the op always asks for); ``finish`` turns the answer back into the
result, through the surface's dialect (its error body, envelope and list shape — and the
real servers' variants). ``Remote`` (``httpx.Client``) and ``AsyncRemote``
(``httpx.AsyncClient``) only send, under one tenacity retry policy: idempotent requests
(GET, PUT, DELETE) after a connection error, a timeout, 502/503/504 or 429; any request after
a failure to connect or a 429, which the server refused before doing anything.
``Retry-After`` is honoured. A non-JSON answer is a k8sedge error, never a decoding error.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import quote

import anyio
import attrs
import httpx
import orjson
import tenacity
from attrs import frozen

from .._ops import Binary, Op, Source
from .._wire import Surface
from ..errors import (
    InternalError,
    K8sEdgeError,
    RateLimitedError,
    TransportError,
    UnsupportedError,
)
from .deadline import deadline

__all__ = ["AsyncRemote", "Remote", "RemoteService", "RetryPolicy", "client_options"]

_RETRY_STATUSES = frozenset({429, 502, 503, 504})


@frozen
class RetryPolicy:
    """How the http backend retries: attempts, backoff bounds, total time."""

    attempts: int = 4
    backoff: float = 0.1  # first wait, doubled each attempt, with full jitter
    max_backoff: float = 5.0
    max_delay: float = 30.0  # total time spent retrying one call
    sleep: Callable[[float], None] | None = None  # how to wait (default: time.sleep)


@frozen
class Request:
    method: str
    path: str
    params: dict[str, Any]
    body: Any  # JSON-shaped, or None

    @property
    def content(self) -> bytes | None:
        return None if self.body is None else orjson.dumps(self.body)


class _Failure(Exception):
    """A retryable outcome, carrying the error to raise if retries run out."""

    def __init__(self, error: K8sEdgeError, connect: bool = False, status: int = 0) -> None:
        super().__init__(error.message)
        self.error = error
        self.connect = connect
        self.status = status


def not_on_the_wire(op: Op) -> UnsupportedError:
    return UnsupportedError(
        f"{op.name}: not available over HTTP ({op.summary or 'an in-process operation'})",
        {"operation": op.name},
    )


def prepare(surface: Surface, op: Op, args: tuple[Any, ...]) -> Request:
    """The request for ``op`` called with ``args`` (positional, in the protocol's order)."""
    if op.local:
        raise not_on_the_wire(op)
    dialect = surface.dialect
    values = {p.name: (args[i] if i < len(args) else p.default) for i, p in enumerate(op.params)}
    path = op.path
    params: dict[str, Any] = dict(op.client_query)
    body: Any = None
    fields: dict[str, Any] = {}
    for param in op.params:
        value = values[param.name]
        if param.source is Source.PATH:
            path = path.replace("{" + param.name + "}", quote(str(value), safe=""))
        elif param.source is Source.PARAMS:  # a mapping: the body, or a GET's query
            mapping = dict(dialect.encode(value) or {})
            if op.method == "GET":
                params.update({k: _query_text(v) for k, v in mapping.items()})
            else:
                body = mapping
        elif param.source is Source.BASE_URL:
            continue  # the server fills it in
        elif param.source is Source.BODY:
            body = param.codec.encode(value) if param.codec else dialect.encode(value)
            if isinstance(body, dict) and not param.codec:
                body = {k: v for k, v in body.items() if v is not None}
        elif param.source in (Source.FIELD, Source.ANY):
            if (value is not None and value is not param.default) or param.required:
                fields[param.key] = dialect.encode(value)
        elif value is not None:
            params[param.key] = _query_text(value)
    if fields:
        body = {**(body or {}), **fields}
    if op.action is not None:
        body = {"action": op.action, **(body or {})}
    return Request(op.method, path, params, body)


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def check(surface: Surface, op: Op, response: httpx.Response) -> Any:
    """The answer's JSON, or raise its error (``_Failure`` when it may be retried)."""
    if op.result is Binary and response.is_success:
        return _binary(response)
    body = _json(response)
    error = surface.dialect.read_error(response.status_code, body, response.text)
    if error is None and response.is_success:
        is_null = response.content.strip() == b"null"  # JSON null (Go's nil slices)
        expects = op.result not in (None, type(None))
        if response.content and body is None and not is_null and expects:
            raise InternalError(
                f"{op.name}: the server answered {response.status_code} with a body that is "
                "not JSON",
                {
                    "content-type": response.headers.get("content-type", ""),
                    "response": response.text[:200],
                },
            )
        return surface.dialect.unwrap(op, body, response.headers)
    if error is None:
        error = InternalError(f"{op.name}: unexpected HTTP {response.status_code}", {})
    if isinstance(error, RateLimitedError):
        error.retry_after = _retry_after(response)
    if response.status_code in _RETRY_STATUSES:
        raise _Failure(error, status=response.status_code)
    raise error


def _binary(response: httpx.Response) -> Binary:
    """A download: its bytes, media type and the file name of ``Content-Disposition``."""
    disposition = response.headers.get("content-disposition", "")
    filename = None
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename" and value:
            filename = value.strip().strip('"')
    media_type = response.headers.get("content-type", "application/octet-stream")
    return Binary(response.content, media_type.split(";")[0].strip(), filename)


def finish(surface: Surface, op: Op, data: Any) -> Any:
    if op.result in (None, type(None)):
        return None
    if op.result is Binary:
        return data
    if data is None and attrs.has(op.result):  # an empty answer (the real servers' 200)
        try:
            return op.result()
        except TypeError:
            pass
    return surface.dialect.decode_answer(op, data)


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
        return max(0.0, when.timestamp() - time.time())


def _transport_failure(exc: httpx.HTTPError) -> _Failure:
    connect = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    return _Failure(
        TransportError(f"request {kind}: {exc!r}", {"error": type(exc).__name__}), connect
    )


def _retrying(op: Op, policy: RetryPolicy, *, is_async: bool) -> dict[str, Any]:
    def retryable(exc: BaseException) -> bool:
        if not isinstance(exc, _Failure):
            return False
        return op.idempotent or exc.connect or exc.status == 429

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

    kwargs: dict[str, Any] = {
        "retry": tenacity.retry_if_exception(retryable),
        "wait": wait,
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


def client_options(url: str, token: str | None, verify: Any, timeout: float) -> dict[str, Any]:
    """``httpx.Client`` options: base URL, auth header, TLS verification, timeout."""
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


def _headers(request: Request) -> dict[str, str] | None:
    return None if request.body is None else {"Content-Type": "application/json"}


def _attempt_time(timeout: float | None, policy: RetryPolicy, started: float) -> float | None:
    """How long one attempt may take: ``timeout`` for the whole answer, and never past the
    call's total (``policy.max_delay``)."""
    left = policy.max_delay - (time.monotonic() - started)
    return max(0.001, left if timeout is None else min(timeout, left))


def _timeout_of(client: httpx.Client | httpx.AsyncClient) -> float | None:
    return client.timeout.read


class Remote:
    """Sends operations with a sync ``httpx.Client``. Each attempt must be answered whole
    within ``timeout`` seconds (a server that drips bytes cannot stretch it: see
    ``transport.deadline``), and a call with its retries within ``policy.max_delay``."""

    def __init__(
        self, client: httpx.Client, policy: RetryPolicy, timeout: float | None = None
    ) -> None:
        self.client = client
        self.policy = policy
        self.timeout = _timeout_of(client) if timeout is None else timeout

    def invoke(self, surface: Surface, op: Op, args: tuple[Any, ...]) -> Any:
        request = prepare(surface, op, args)
        started = time.monotonic()

        def once() -> Any:
            try:
                with deadline(_attempt_time(self.timeout, self.policy, started)):
                    response = self.client.request(
                        request.method,
                        request.path,
                        params=request.params,
                        content=request.content,
                        headers=_headers(request),
                    )
            except httpx.HTTPError as exc:
                raise _transport_failure(exc) from exc
            return check(surface, op, response)

        try:
            data = tenacity.Retrying(**_retrying(op, self.policy, is_async=False))(once)
        except _Failure as failure:
            raise failure.error from None
        return finish(surface, op, data)

    def stream(self, surface: Surface, op: Op, args: tuple[Any, ...]) -> Iterator[Any]:
        params = op.stream.request(*args)
        timeout = params.get("timeoutSeconds")
        read = None if timeout is None else float(timeout) + 30.0
        try:
            with self.client.stream(
                op.method, op.path, params=params, timeout=httpx.Timeout(10.0, read=read)
            ) as response:
                if not response.is_success:
                    response.read()
                    check(surface, op, response)
                sse = response.headers.get("content-type", "").startswith("text/event-stream")
                yield from op.stream.parse(response.iter_lines(), sse)
        except httpx.HTTPError as exc:
            raise _transport_failure(exc).error from exc
        except _Failure as failure:
            raise failure.error from None


class AsyncRemote:
    """Sends operations with an ``httpx.AsyncClient`` (the same deadlines as ``Remote``)."""

    def __init__(
        self, client: httpx.AsyncClient, policy: RetryPolicy, timeout: float | None = None
    ) -> None:
        self.client = client
        self.policy = policy
        self.timeout = _timeout_of(client) if timeout is None else timeout

    async def invoke(self, surface: Surface, op: Op, args: tuple[Any, ...]) -> Any:
        request = prepare(surface, op, args)
        started = time.monotonic()

        async def once() -> Any:
            try:
                with anyio.fail_after(_attempt_time(self.timeout, self.policy, started)):
                    response = await self.client.request(
                        request.method,
                        request.path,
                        params=request.params,
                        content=request.content,
                        headers=_headers(request),
                    )
            except TimeoutError as exc:
                raise _transport_failure(
                    httpx.ReadTimeout("the request's deadline passed")
                ) from exc
            except httpx.HTTPError as exc:
                raise _transport_failure(exc) from exc
            return check(surface, op, response)

        try:
            data: Any = await tenacity.AsyncRetrying(**_retrying(op, self.policy, is_async=True))(
                once
            )
        except _Failure as failure:
            raise failure.error from None
        return finish(surface, op, data)

    async def stream(self, surface: Surface, op: Op, args: tuple[Any, ...]) -> AsyncIterator[Any]:
        params = op.stream.request(*args)
        timeout = params.get("timeoutSeconds")
        read = None if timeout is None else float(timeout) + 30.0
        try:
            async with self.client.stream(
                op.method, op.path, params=params, timeout=httpx.Timeout(10.0, read=read)
            ) as response:
                if not response.is_success:
                    await response.aread()
                    check(surface, op, response)
                sse = response.headers.get("content-type", "").startswith("text/event-stream")
                async for event in op.stream.aparse(response.aiter_lines(), sse):
                    yield event
        except httpx.HTTPError as exc:
            raise _transport_failure(exc).error from exc
        except _Failure as failure:
            raise failure.error from None


class RemoteService:
    """A surface's service over HTTP: each declared operation is a method that sends it (a
    coroutine function on an ``AsyncRemote``)."""

    def __init__(self, remote: Remote | AsyncRemote, surface: Surface) -> None:
        self._remote = remote
        self._surface = surface

    def __getattr__(self, name: str) -> Any:
        op = self._surface.by_name.get(name)
        if op is None:
            raise AttributeError(name)
        remote, surface = self._remote, self._surface
        if op.stream is not None:

            def stream(*args: Any) -> Any:
                return remote.stream(surface, op, args)

            return stream
        if isinstance(remote, AsyncRemote):

            async def ainvoke(*args: Any) -> Any:
                return await remote.invoke(surface, op, args)

            return ainvoke

        def invoke(*args: Any) -> Any:
            return remote.invoke(surface, op, args)

        return invoke
