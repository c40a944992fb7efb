"""The heartbeat fast path: the edge ``update_node_status`` op as a plain ASGI handler.

Heartbeats are the one request every node sends every few seconds (10k/s for 100k nodes
at a 10 s interval), so this route skips Starlette's per-request objects (Request,
Headers, Response, routing over every route). Its path, scope, body structuring and answer
all come from the op's declaration, and it calls the same service method as the routed
handler. Requests it does not recognise — another route, a query string such as
``?view=full`` — go to the app.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from .._ops import Op, Source
from .._wire import Surface
from ..errors import BadRequestError, K8sEdgeError
from ..surfaces.edge.models import NodeStatus, NodeStatusUpdate
from .auth import Authenticator, authorization
from .limits import too_large
from .routes import Call, authorize_header

__all__ = ["HeartbeatFastPath"]

_JSON = (b"content-type", b"application/json")
_STATUSES = {s.value: s for s in NodeStatus}
MAX_BODY = 64 * 1024


def _quick_update(data: dict[str, Any]) -> NodeStatusUpdate | None:
    """The common heartbeat body without the general structuring; None if unusual."""
    if data.keys() - {"status", "heartbeat"}:
        return None
    heartbeat = data.get("heartbeat", False)
    raw = data.get("status")
    status = _STATUSES.get(raw) if isinstance(raw, str) else None
    if (heartbeat is not True and heartbeat is not False) or (raw is not None and status is None):
        return None
    return NodeStatusUpdate(status=status, heartbeat=heartbeat)


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "([^/]+)", path) + "$")


class HeartbeatFastPath:
    """ASGI middleware serving one op directly; everything else passes through."""

    def __init__(
        self,
        app: ASGIApp,
        surface: Surface,
        op: Op,
        service: Any,
        auth: Authenticator,
        call: Call,
    ) -> None:
        self.app = app
        self.surface = surface
        self.op = op
        self.method = getattr(service, op.name)
        self.auth = auth
        self.call = call
        self.path = _pattern(op.path)
        self.body_type = next(p.annotation for p in op.params if p.source is Source.BODY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != self.op.method
            or scope.get("query_string")
        ):
            await self.app(scope, receive, send)
            return
        match = self.path.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        try:
            status, body = self.op.status, await self._handle(match.group(1), scope, receive)
        except K8sEdgeError as exc:
            status, payload = self.surface.dialect.error(exc)
            body = orjson.dumps(payload)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [_JSON, (b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, node_id: str, scope: Scope, receive: Receive) -> bytes:
        authorize_header(self.op, self.auth, authorization(scope), {"node_id": node_id}, scope)
        chunks = []
        size = 0
        more = True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                raise too_large(MAX_BODY)
            chunks.append(chunk)
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        try:
            data = orjson.loads(raw) if raw.strip() else None
        except orjson.JSONDecodeError as exc:
            raise BadRequestError(f"malformed JSON: {exc}", {"body": "malformed JSON"}) from None
        if not isinstance(data, dict):
            raise BadRequestError(
                "the request body must be a JSON object", {"body": "not an object"}
            )
        update = _quick_update(data) or self.surface.dialect.decode(data, self.body_type)
        node = await self.call(self.method, node_id, update)
        answer = self.op.render(node, {}) if self.op.render is not None else None
        if answer is None:
            answer = self.surface.dialect.encode_result(self.op, node)
        return orjson.dumps(answer)
