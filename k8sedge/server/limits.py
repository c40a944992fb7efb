"""The request body cap, as a plain ASGI middleware: a body larger than ``max_body`` is
answered 413 before the app reads it (from ``Content-Length``, or while a chunked body
arrives), in the error body of the surface the path belongs to."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import PayloadTooLargeError

__all__ = ["BodyLimit", "too_large"]


def too_large(max_body: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"the request body is larger than {max_body} bytes", {"body": f"over {max_body} bytes"}
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Refuse bodies over ``max_body`` bytes with ``respond(scope)`` (a 413 response)."""

    def __init__(self, app: ASGIApp, max_body: int, respond: Callable[[Scope], Response]) -> None:
        self.app = app
        self.max_body = max_body
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None:
            # the server frames the body by Content-Length: it cannot be longer
            if length > self.max_body:
                await self.respond(scope)(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self.respond(scope)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: Message | None = {"type": "http.request", "body": b"".join(chunks)}

        async def replay() -> Message:
            nonlocal body
            if body is not None:
                message, body = body, None
                return message
            return await receive()

        await self.app(scope, replay, send)
