"""``create_app``: a Starlette app serving any backend as the documented HTTP APIs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..backends.base import Backend
from ..errors import K8sEdgeError
from .auth import Authenticator
from .edge_routes import edge_routes
from .heartbeat import HeartbeatFastPath
from .http import direct_call, threadpool_call
from .openapi import build_openapi
from .ratelimit import DEFAULT_RATE_LIMIT, RateLimit, RateLimitMiddleware, parse_rate_limit
from .simulator_routes import simulator_routes

__all__ = ["create_app"]

log = logging.getLogger("k8sedge.server")

_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 400: "BAD_REQUEST"}


def _error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": True, "code": code, "message": message, "details": details or {}}
    return Response(
        json.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


async def _on_k8sedge_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, K8sEdgeError)
    status = exc.status or 502
    headers = None
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers = {"Retry-After": str(int(retry_after) or 1)}
    return _error_response(status, exc.code, exc.message, exc.details, headers)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(
        exc.status_code, "BAD_REQUEST" if exc.status_code < 500 else "INTERNAL_ERROR"
    )
    message = {
        404: f"no route for {request.url.path}",
        405: f"method {request.method} is not allowed on {request.url.path}",
    }.get(exc.status_code, str(exc.detail))
    return _error_response(
        exc.status_code, code, message, {"path": request.url.path}, dict(exc.headers or {})
    )


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error_response(500, "INTERNAL_ERROR", "internal server error", {})


def create_app(
    backend: Backend | None = None,
    *,
    admin_token: str | None = None,
    rate_limit: str | RateLimit | None = DEFAULT_RATE_LIMIT,
    rate_clock: Callable[[], float] = time.time,
    blocking_io: bool | None = None,
) -> Starlette:
    """Serve ``backend`` (a new memory backend by default) as the documented HTTP APIs.

    Args:
        admin_token: an opaque admin credential; without one the backend mints an admin
            JWT, available as ``app.state.admin_token``.
        rate_limit: ``"600/minute"`` (default), ``"50/second"``, a ``RateLimit``, or
            ``"off"``/``None``.
        blocking_io: run backend calls in a thread pool; by default, every backend but
            the memory backend does.
    """
    if backend is None:
        from ..backends.memory import MemoryBackend

        backend = MemoryBackend()
    if blocking_io is None:
        blocking_io = type(backend).__name__ != "MemoryBackend"
    call = threadpool_call if blocking_io else direct_call
    edge = backend.edge
    if admin_token is None:
        admin_token_value = edge.issue_admin_token("365d").token
        opaque = None
    else:
        admin_token_value = opaque = admin_token

    def validate(token: str) -> tuple[Any, str | None]:
        result = edge.validate_token(token)
        return result, result.scope

    auth = Authenticator(opaque, validate)
    routes, docs = edge_routes(edge, auth, call)
    # simulator calls can be long (an import schedules thousands of pods): always off the loop
    sim_routes, sim_docs = simulator_routes(backend.simulator, auth, threadpool_call)
    routes += sim_routes
    docs += sim_docs
    openapi = build_openapi(docs)

    async def openapi_endpoint(request: Request) -> Response:
        return JSONResponse(openapi)

    routes.append(Route("/openapi.json", openapi_endpoint, methods=["GET"]))
    limit = parse_rate_limit(rate_limit) if isinstance(rate_limit, str | None) else rate_limit
    middleware = []
    if limit is not None:
        middleware.append(Middleware(RateLimitMiddleware, limit=limit, clock=rate_clock))
    middleware.append(Middleware(HeartbeatFastPath, backend=edge, auth=auth, call=call))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            K8sEdgeError: _on_k8sedge_error,
            HTTPException: _on_http_error,
            Exception: _on_unexpected,
        },
    )
    app.state.backend = backend
    app.state.admin_token = admin_token_value
    app.state.rate_limit = limit
    return app
