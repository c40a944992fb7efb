"""The heartbeat fast path: the edge ``update_node_status`` op as a plain ASGI handler.

Heartbeats are the one request every node sends every few seconds (10k/s for 100k nodes
at a 10 s interval), so this route skips Starlette's per-request objects (Request,
Headers, Response, routing over every route). Its path, scope, body structuring and answer
all come from the op's declaration, and it calls the same service method as the routed
handler. Requests it does not recognise — another route, a query string such as
``?view=full`` — go to the app. It runs in front of the app's middleware (``ServedApp``),
so it authenticates, rate-limits and answers errors itself, with the same code.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from .._ops import Op, Source
from .._wire import Surface
from ..errors import BadRequestError, InternalError, K8sEdgeError
from ..surfaces.edge.models import NodeStatus, NodeStatusUpdate
from .auth import Authenticator, identify_now
from .limits import too_large
from .ratelimit import RateLimiter
from .routes import Call, authorize_header

__all__ = ["HeartbeatFastPath"]

_JSON = (b"content-type", b"application/json")
_STATUSES = {s.value: s for s in NodeStatus}
MAX_BODY = 64 * 1024
log = logging.getLogger("k8sedge.server")


_UPDATES = {
    (status, heartbeat): NodeStatusUpdate(status=status, heartbeat=heartbeat)
    for status in (None, *NodeStatus)
    for heartbeat in (True, False)
}


def _quick_update(data: dict[str, Any]) -> NodeStatusUpdate | None:
    """The common heartbeat body without the general structuring; None if unusual."""
    if len(data) > 2 or data.keys() - {"status", "heartbeat"}:
        return None
    heartbeat = data.get("heartbeat", False)
    raw = data.get("status")
    status = _STATUSES.get(raw) if isinstance(raw, str) else None
    if (heartbeat is not True and heartbeat is not False) or (raw is not None and status is None):
        return None
    return _UPDATES[(status, heartbeat)]  # frozen, shared


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "([^/]+)", path) + "$")


class HeartbeatFastPath:
    """Serves one op directly, in front of the app's middleware: it authenticates, applies
    the rate limit and answers errors in the surface's dialect itself."""

    def __init__(
        self,
        surface: Surface,
        op: Op,
        service: Any,
        auth: Authenticator,
        call: Call,
        limiter: RateLimiter | None,
    ) -> None:
        self.surface = surface
        self.op = op
        self.method = getattr(service, op.name)
        self.auth = auth
        self.call = call
        self.limiter = limiter
        self.path = _pattern(op.path)
        self.body_type = next(p.annotation for p in op.params if p.source is Source.BODY)

    def node_of(self, scope: Scope) -> str | None:
        """The node id if this request is the op's (no query string), else None."""
        if (
            scope["type"] != "http"
            or scope["method"] != self.op.method
            or scope.get("query_string")
        ):
            return None
        match = self.path.match(scope["path"])
        return None if match is None else match.group(1)

    async def serve(self, node_id: str, scope: Scope, receive: Receive, send: Send) -> None:
        raw = await _read(receive)
        # one step, under the cluster's lock once (in a worker thread if it is busy)
        status, headers, body = await self.call(self._answer, node_id, scope, raw)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _answer(
        self, node_id: str, scope: Scope, raw: bytes | None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Authenticate, rate-limit, check the scope, update: status, headers and body."""
        header = identify_now(scope, self.auth)
        headers = [_JSON]
        if self.limiter is not None:
            limited, retry_after = self.limiter.admit(scope)
            if retry_after is not None:
                return self.limiter.refusal(limited, retry_after)
            headers += limited
        try:
            status, body = self.op.status, self._handle(node_id, header, scope, raw)
        except K8sEdgeError as exc:
            status, payload = self.surface.dialect.error(exc)
            body = orjson.dumps(payload)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            status, payload = self.surface.dialect.error(InternalError("internal server error", {}))
            body = orjson.dumps(payload)
        headers.append((b"content-length", b"%d" % len(body)))
        return status, headers, body

    def _handle(self, node_id: str, header: str | None, scope: Scope, raw: bytes | None) -> bytes:
        authorize_header(self.op, self.auth, header, {"node_id": node_id}, scope)
        if raw is None:
            raise too_large(MAX_BODY)
        try:
            data = orjson.loads(raw) if raw.strip() else None
        except orjson.JSONDecodeError as exc:
            raise BadRequestError(f"malformed JSON: {exc}", {"body": "malformed JSON"}) from None
        if not isinstance(data, dict):
            raise BadRequestError(
                "the request body must be a JSON object", {"body": "not an object"}
            )
        update = _quick_update(data) or self.surface.dialect.decode(data, self.body_type)
        node = self.method(node_id, update)
        answer = self.op.render(node, {}) if self.op.render is not None else None
        if answer is None:
            answer = self.surface.dialect.encode_result(self.op, node)
        return orjson.dumps(answer)


async def _read(receive: Receive) -> bytes | None:
    """The request body, or None as soon as it is larger than ``MAX_BODY``."""
    chunks = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None  # not read further: the server drops the rest
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)
