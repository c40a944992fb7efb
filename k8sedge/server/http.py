"""Request parsing and JSON responses shared by every route of the server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..errors import BadRequestError
from ..serde import unstructure

__all__ = [
    "Call",
    "direct_call",
    "json_body",
    "json_response",
    "query_int",
    "query_str",
    "threadpool_call",
]

T = TypeVar("T")
Call = Callable[..., Awaitable[Any]]


async def direct_call(fn: Callable[..., T], *args: Any) -> T:
    """Backends without I/O (memory) run on the event loop: no thread hop."""
    return fn(*args)


async def threadpool_call(fn: Callable[..., T], *args: Any) -> T:
    """Backends that do I/O run in a worker thread, so the event loop never blocks."""
    return await run_in_threadpool(fn, *args)


async def json_body(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return {}
        raise BadRequestError("the request body must be a JSON object", {"body": "empty"})
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"malformed JSON: {exc}", {"body": "malformed JSON"}) from None
    if not isinstance(data, dict):
        raise BadRequestError("the request body must be a JSON object", {"body": "not an object"})
    return data


def json_response(model: Any, status: int = 200) -> Response:
    return json_bytes_response(orjson.dumps(unstructure(model)), status)


def json_bytes_response(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


def query_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequestError(f"{name} must be an integer", {name: "must be an integer"}) from None


def query_str(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value else None
