"""``create_app``: a Starlette app serving any backend as the documented HTTP APIs.

Every surface of the registry is served at its documented paths, from its operations'
declarations (``routes.py``); ``/openapi.json`` documents them all. Unknown paths and wrong
methods answer in the dialect of the surface whose paths they resemble.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from .._wire import Dialect, Surface
from ..errors import BadRequestError, InternalError, K8sEdgeError, NotFoundError
from ..limits import DEFAULT_MAX_BODY, Limits
from ..surfaces import all_surfaces
from .auth import Authenticator, Identify, identify
from .docs import docs_routes
from .heartbeat import HeartbeatFastPath
from .http import Call, inline_when_free, threadpool_call
from .limits import BodyLimit, too_large
from .openapi import build_openapi
from .ratelimit import (
    DEFAULT_RATE_LIMIT,
    RateLimit,
    RateLimiter,
    RateLimitMiddleware,
    parse_rate_limit,
)
from .routes import error_response, surface_routes

__all__ = ["create_app"]

log = logging.getLogger("k8sedge.server")


class MethodNotAllowedError(K8sEdgeError):
    """A known path with another method (405)."""

    code = "METHOD_NOT_ALLOWED"
    status = 405


def _dialect_for(path: str, surfaces: list[Surface]) -> Dialect:
    best, length = surfaces[0].dialect, -1
    for surface in surfaces:
        for prefix in surface.dialect.prefixes:
            if path.startswith(prefix) and len(prefix) > length:
                best, length = surface.dialect, len(prefix)
    return best


class ServedApp(Starlette):
    """The server's Starlette app, with the heartbeat fast path in front of its middleware
    (heartbeats skip Starlette's per-request layers; everything else goes through them)."""

    heartbeat: HeartbeatFastPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self.heartbeat
        if fast is not None:
            node_id = fast.node_of(scope)
            if node_id is not None:
                await fast.serve(node_id, scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(
    backend: Any = None,
    *,
    admin_token: str | None = None,
    rate_limit: str | RateLimit | None = DEFAULT_RATE_LIMIT,
    rate_clock: Any = time.time,
    blocking_io: bool | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    max_replicas: int | None = None,
    max_import_objects: int | None = None,
) -> Starlette:
    """Serve ``backend`` (a new memory backend by default) as the documented HTTP APIs.

    Args:
        admin_token: an opaque admin credential; without one the backend mints an admin
            JWT, available as ``app.state.admin_token``.
        rate_limit: ``"600/minute"`` (default), ``"50/second"``, a ``RateLimit``, or
            ``"off"``/``None``.
        blocking_io: run every backend call in a thread pool; by default, every backend
            but the memory backend does. The memory backend's node-scoped calls (heartbeats,
            a node's metrics) run on the event loop when the cluster is free; everything
            else runs in a worker thread, so the loop never waits for long work.
        max_body: the largest request body in bytes (larger is 413).
        max_replicas, max_import_objects: the memory cluster's caps on what one request may
            create (``k8sedge.limits.Limits``; the defaults when not given).
    """
    if backend is None:
        from ..backends.memory import MemoryBackend

        backend = MemoryBackend()
    if max_body < 1:
        raise ValueError("max_body must be positive")
    cluster = getattr(backend, "cluster", None)
    if cluster is not None and (max_replicas is not None or max_import_objects is not None):
        current = cluster.limits
        cluster.limits = Limits(
            max_replicas=current.max_replicas if max_replicas is None else max_replicas,
            max_import_objects=current.max_import_objects
            if max_import_objects is None
            else max_import_objects,
        )
    if blocking_io is None:
        blocking_io = bool(getattr(backend, "blocking", True))
    heavy: Call = threadpool_call
    light = heavy if blocking_io else inline_when_free(getattr(cluster, "lock", None))
    surfaces = all_surfaces()
    edge = backend.service("edge")
    if admin_token is None:
        admin_token_value = edge.issue_admin_token("365d").token
        opaque = None
    else:
        admin_token_value = opaque = admin_token

    def validate(token: str) -> tuple[Any, str | None]:
        result = edge.validate_token(token)
        return result, result.scope

    auth = Authenticator(opaque, validate)
    routes: list[BaseRoute] = []
    for surface in surfaces:
        routes += surface_routes(surface, backend.service(surface.name), auth, light, heavy)
    # the routes nodes hit all the time are matched first (Starlette tries routes in order)
    hot = ("/api/v1/nodes/{node_id}/status", "/api/v1/metrics/nodes/{node_id}")
    routes.sort(key=lambda r: getattr(r, "path", "") not in hot)
    openapi = build_openapi(surfaces)

    async def openapi_endpoint(request: Request) -> Response:
        return JSONResponse(openapi)

    routes.append(Route("/openapi.json", openapi_endpoint, methods=["GET"]))
    routes += docs_routes()

    def allowed(path: str) -> list[str]:
        methods = {
            m
            for r in routes
            if isinstance(r, Route) and r.path_regex.match(path)
            for m in r.methods or ()
        }
        return sorted(methods)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        dialect = _dialect_for(path, surfaces)
        error: K8sEdgeError
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            error = NotFoundError(f"no route for {path}", {"path": path})
        elif exc.status_code == 405:
            error = MethodNotAllowedError(
                f"method {request.method} is not allowed on {path}", {"path": path}
            )
            headers["Allow"] = ", ".join(allowed(path))
        else:
            error = BadRequestError(str(exc.detail), {"path": path})
        response = error_response(dialect, error)
        response.headers.update(headers)
        return response

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        dialect = _dialect_for(request.url.path, surfaces)
        return error_response(dialect, InternalError("internal server error", {}))

    def body_too_large(scope: Any) -> Response:
        return error_response(_dialect_for(scope["path"], surfaces), too_large(max_body))

    limit = parse_rate_limit(rate_limit) if isinstance(rate_limit, str | None) else rate_limit
    limiter = None if limit is None else RateLimiter(limit, rate_clock)

    async def identify_request(scope: Any) -> None:
        await identify(scope, auth, light)

    middleware = []
    if limiter is None:
        middleware.append(Middleware(Identify, auth=auth, call=light))
    else:
        middleware.append(
            Middleware(RateLimitMiddleware, limiter=limiter, identify=identify_request)
        )
    middleware.append(Middleware(BodyLimit, max_body=max_body, respond=body_too_large))
    edge_surface = next(s for s in surfaces if s.name == "edge")
    app = ServedApp(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: on_http_error, Exception: on_unexpected},
    )
    # the heartbeat fast path reads its (small, capped) body itself, before the body limit
    app.heartbeat = HeartbeatFastPath(
        surface=edge_surface,
        op=edge_surface.by_name["update_node_status"],
        service=edge,
        auth=auth,
        call=light,
        limiter=limiter,
    )
    app.state.backend = backend
    app.state.admin_token = admin_token_value
    app.state.rate_limit = limit
    app.state.max_body = max_body
    return app
