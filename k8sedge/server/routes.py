"""Starlette routes derived from the operations' declarations, for any surface and backend.

Each declared operation becomes one endpoint: authenticate by the op's scope, read its
arguments (path, query, JSON or form body) with the surface's dialect, call the backend's
service (off the event loop when the op or the backend may block), and answer in the
surface's dialect — its success envelope and its error body, whatever goes wrong.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .._ops import Binary, Op, Scope, Source
from .._wire import Dialect, Surface
from ..errors import BadRequestError, K8sEdgeError
from .auth import Authenticator, authorization, principal_of
from .http import Call

__all__ = ["Call", "authorize_header", "error_response", "surface_routes"]

_JSON = "application/json"
INLINE_BODY = 64 * 1024  # larger bodies are decoded off the event loop, whatever the op


def error_response(dialect: Dialect, exc: K8sEdgeError) -> Response:
    """``exc`` as the dialect's documented error body."""
    status, body = dialect.error(exc)
    headers = None
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers = {"Retry-After": str(int(retry_after) or 1)}
    return Response(orjson.dumps(body), status_code=status, media_type=_JSON, headers=headers)


def success_response(dialect: Dialect, op: Op, result: Any, request: Request) -> Response:
    if isinstance(result, Binary):  # a download: the bytes as they are
        disposition = None
        if result.filename:
            disposition = {"Content-Disposition": f"attachment; filename={result.filename}"}
        return Response(
            result.content, status_code=op.status, media_type=result.media_type, headers=disposition
        )
    payload = op.render(result, request.query_params) if op.render is not None else None
    if payload is None and op.result not in (None, type(None)):
        payload = dialect.encode_result(op, result)
    status, body = dialect.success(op, payload)
    headers = None
    if op.location is not None:
        headers = {"Location": op.location(result, request.path_params)}
    if body is None:
        return Response(status_code=status, headers=headers)
    return Response(orjson.dumps(body), status_code=status, media_type=_JSON, headers=headers)


async def read_body(request: Request, dialect: Dialect) -> Any:
    """The request's body: JSON (or a form, where the dialect reads forms); ``None`` if empty."""
    return parse_body(await request.body(), request.headers.get("content-type", ""), dialect)


def parse_body(raw: bytes, content_type: str, dialect: Dialect) -> Any:
    """A body's JSON (or form) value; ``None`` if empty."""
    if not raw.strip():
        return None
    if dialect.form_bodies and "application/x-www-form-urlencoded" in content_type:
        try:
            return dict(parse_qsl(raw.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise BadRequestError("the form body is not UTF-8", {"body": "not UTF-8"}) from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"malformed JSON: {exc}", {"body": "malformed JSON"}) from None


def _body_object(body: Any) -> dict[str, Any]:
    if body is None:
        raise BadRequestError("the request body must be a JSON object", {"body": "empty"})
    if not isinstance(body, dict):
        raise BadRequestError("the request body must be a JSON object", {"body": "not an object"})
    return body


def read_args(op: Op, dialect: Dialect, request: Request, body: Any) -> list[Any]:
    """The service method's arguments for this request."""
    args: list[Any] = []
    query = dialect.query_params(request)
    for param in op.params:
        if param.source is Source.PATH:
            value: Any = request.path_params[param.name]
        elif param.source is Source.BASE_URL:
            value = str(request.base_url).rstrip("/")
        elif param.source is Source.QUERY:
            raw = query.get(param.key)
            if raw is None or (raw == "" and not param.required):
                if param.required:
                    raise BadRequestError(f"{param.key} is required", {param.key: "required"})
                value = param.default
            else:
                value = dialect.decode_query(raw, param.annotation, param.key)
        elif param.source is Source.PARAMS:
            if request.method == "GET":
                value = dict(query)
            else:
                value = {} if body is None else _body_object(body)
        elif param.source is Source.BODY:
            if param.codec is not None:
                value = param.codec.decode(_body_object(body))
            elif body is None and not param.required:
                value = param.default
            elif isinstance(param.annotation, type) and param.annotation not in (dict, list):
                value = dialect.decode(
                    {} if body is None and _all_optional(param.annotation) else _body_object(body),
                    param.annotation,
                )
            else:
                value = dialect.decode(body, param.annotation)
        else:  # a body field (or, for Source.ANY, a query parameter too)
            fields = body if isinstance(body, dict) else {}
            if body is not None and not isinstance(body, dict):
                _body_object(body)
            present = param.key in fields
            raw_value = fields.get(param.key)
            if not present and param.source is Source.ANY and param.key in query:
                present, raw_value = True, query[param.key]
            if not present:
                if param.required:
                    raise BadRequestError(f"{param.key} is required", {param.key: "must be given"})
                value = param.default
            elif param.annotation is str and not isinstance(raw_value, str):
                raise BadRequestError(
                    f"{param.key} must be a string", {param.key: "must be a string"}
                )
            else:
                value = dialect.decode(raw_value, param.annotation, what=param.key)
        if param.non_empty and value == "":
            raise BadRequestError(
                f"{param.key} must not be empty", {param.key: "must not be empty"}
            )
        args.append(value)
    return args


def _all_optional(cls: type) -> bool:
    import attrs

    return attrs.has(cls) and all(f.default is not attrs.NOTHING for f in attrs.fields(cls))


def authorize_header(
    op: Op,
    auth: Authenticator,
    header: str | None,
    path_params: Mapping[str, Any],
    scope: Mapping[str, Any] | None = None,
) -> None:
    """Check the op's scope: anyone, an admin, or the node named by ``node_id`` (with the
    principal ``Identify`` found for the request, when there is one)."""
    if op.scope is Scope.PUBLIC:
        return
    principal = principal_of(scope or {}, auth, header)
    if op.scope is Scope.ADMIN:
        principal.require_admin()
    else:
        principal.require_node(str(path_params["node_id"]))


def _endpoint(
    surface: Surface,
    ops: list[Op],
    service: Any,
    auth: Authenticator,
    call: Call,
    blocking_call: Call,
) -> Callable[[Request], Awaitable[Response]]:
    dialect = surface.dialect
    by_action = {o.action: o for o in ops if o.action is not None}

    async def endpoint(request: Request) -> Response:
        try:
            raw = await request.body() if request.method != "GET" else b""
            content_type = request.headers.get("content-type", "")
            op, body = ops[0], None
            if by_action:
                body = parse_body(raw, content_type, dialect)
                op = dialect.pick(by_action, request, body)
            authorize_header(
                op, auth, authorization(request.scope), request.path_params, request.scope
            )
            if op.stream is not None:
                response: Response = await op.stream.serve(request, service)
                return response

            def work() -> Response:
                """Decode, call and encode: all of it off the event loop for long work."""
                parsed = body if by_action else parse_body(raw, content_type, dialect)
                result = getattr(service, op.name)(*read_args(op, dialect, request, parsed))
                return success_response(dialect, op, result, request)

            # only node-scoped and public calls with small bodies may run on the event loop
            heavy = op.blocking or op.scope is Scope.ADMIN or len(raw) > INLINE_BODY
            run = blocking_call if heavy else call
            answer: Response = await run(work)
            return answer
        except K8sEdgeError as exc:
            return error_response(dialect, exc)

    return endpoint


def surface_routes(
    surface: Surface, service: Any, auth: Authenticator, call: Call, blocking_call: Call
) -> list[Route]:
    """One route per declared path and method (operations sharing one, such as Cello's
    actions, are dispatched by the dialect)."""
    grouped: dict[tuple[str, str], list[Op]] = {}
    for op in surface.ops:
        if op.local:
            continue
        for path in (op.path, *op.aliases):
            for method in (op.method, *op.other_methods):
                grouped.setdefault((path, method), []).append(op)
                if surface.dialect.trailing_slash:
                    other = path[:-1] if path.endswith("/") else path + "/"
                    grouped.setdefault((other, method), []).append(op)
    return [
        Route(path, _endpoint(surface, ops, service, auth, call, blocking_call), methods=[method])
        for (path, method), ops in grouped.items()
    ]
