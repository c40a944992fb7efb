"""The heartbeat fast path: ``PUT /api/v1/nodes/{node_id}/status`` as a plain ASGI handler.

Heartbeats are the one request every node sends every few seconds (10k/s for 100k nodes
at a 10 s interval), so this route skips Starlette's per-request objects (Request,
Headers, Response, routing over every route). It uses the same authenticator, the same
request structuring and the same backend call as the routed handler, and answers the
documented body ``{"id", "name", "status", "last_heartbeat"}``. Requests it does not
recognise — another route, a query string such as ``?view=full`` — go to the app.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from ..backends.base import EdgeBackend
from ..errors import BadRequestError, K8sEdgeError
from ..models.edge import NodeStatus, NodeStatusUpdate
from ..serde import structure
from ..timeutil import format_timestamp
from .auth import Authenticator
from .http import Call

__all__ = ["HeartbeatFastPath"]

_PATH = re.compile(r"^/api/v1/nodes/([^/]+)/status$")
_JSON = (b"content-type", b"application/json")
_STATUSES = {s.value: s for s in NodeStatus}


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


class HeartbeatFastPath:
    """ASGI middleware serving node heartbeats directly; everything else passes through."""

    def __init__(self, app: ASGIApp, backend: EdgeBackend, auth: Authenticator, call: Call) -> None:
        self.app = app
        self.backend = backend
        self.auth = auth
        self.call = call

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "PUT" or scope.get("query_string"):
            await self.app(scope, receive, send)
            return
        match = _PATH.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        try:
            status, body = 200, await self._handle(match.group(1), scope, receive)
        except K8sEdgeError as exc:
            status, body = exc.status or 502, orjson.dumps(exc.to_body())
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [_JSON, (b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, node_id: str, scope: Scope, receive: Receive) -> bytes:
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = bytes(value).decode("latin-1")
                break
        self.auth.authenticate(header).require_node(node_id)
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
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
        update = _quick_update(data) or structure(data, NodeStatusUpdate)
        node = await self.call(self.backend.update_node_status, node_id, update)
        beat = node.last_heartbeat
        return orjson.dumps(
            {
                "id": node.id,
                "name": node.name,
                "status": node.status.value,
                "last_heartbeat": None if beat is None else format_timestamp(beat),
            }
        )
