"""``GET /api/v1/listwatchresources`` on the wire: the stream hooks of the ``watch`` op.

The server streams Server-Sent Events when the client accepts ``text/event-stream`` (as the
spec says) and otherwise newline-delimited JSON ``{"Kind", "EventType", "Obj"}``, as the real
simulator does; both spellings of the resume parameters are accepted
(``podsLastResourceVersion`` and ``podslastResourceVersion``, …). The http client reads
either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson

from ...errors import BadRequestError, InternalError
from .models import KubeObject, WatchEvent

__all__ = ["LIST_WATCH", "WATCH_PARAMETERS"]

# query prefix -> plural; the simulator's parameters are <prefix>LastResourceVersion
WATCH_PARAMETERS = {
    "pods": "pods",
    "nodes": "nodes",
    "pvs": "persistentvolumes",
    "pvcs": "persistentvolumeclaims",
    "scs": "storageclasses",
    "pcs": "priorityclasses",
    "namespace": "namespaces",
    "namespaces": "namespaces",
}
_PREFIX = {plural: prefix for prefix, plural in reversed(WATCH_PARAMETERS.items())}
HEARTBEAT_SECONDS = 15.0


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InternalError(
            "the watch stream sent a line that is not JSON", {"line": text[:300]}
        ) from None


def _event(data: Any) -> WatchEvent:
    if not isinstance(data, dict) or not isinstance(data.get("Obj"), dict):
        raise InternalError("unexpected watch event", {"event": str(data)[:300]})
    return WatchEvent(
        kind=str(data.get("Kind", "")),
        event_type=str(data.get("EventType", "")),
        obj=KubeObject(data["Obj"]),
    )


class ListWatch:
    """Stream hooks: what the server sends, and how the http client reads it."""

    @staticmethod
    def query_names() -> tuple[str, ...]:
        return (*(f"{p}LastResourceVersion" for p in WATCH_PARAMETERS), "timeoutSeconds")

    # -- client ------------------------------------------------------------------------------

    @staticmethod
    def request(versions: dict[str, str | None], timeout: float | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            f"{_PREFIX[kind]}LastResourceVersion": version
            for kind, version in versions.items()
            if version and kind in _PREFIX
        }
        if timeout is not None:
            params["timeoutSeconds"] = timeout
        return params

    @staticmethod
    def parse(lines: Iterator[str], sse: bool) -> Iterator[WatchEvent]:
        for line in lines:
            if sse:
                if line.startswith("data:"):
                    yield _event(_loads(line[5:].strip()))
            elif line.strip():
                yield _event(_loads(line))

    @staticmethod
    async def aparse(lines: AsyncIterator[str], sse: bool) -> AsyncIterator[WatchEvent]:
        async for line in lines:
            if sse:
                if line.startswith("data:"):
                    yield _event(_loads(line[5:].strip()))
            elif line.strip():
                yield _event(_loads(line))

    # -- server ------------------------------------------------------------------------------

    @staticmethod
    def versions(query: Any) -> dict[str, str | None]:
        versions: dict[str, str | None] = {}
        for prefix, plural in WATCH_PARAMETERS.items():
            for spelling in (f"{prefix}LastResourceVersion", f"{prefix}lastResourceVersion"):
                value = query.get(spelling)
                if value:
                    versions[plural] = value
        return versions

    @staticmethod
    def timeout(query: Any) -> float | None:
        raw = query.get("timeoutSeconds")
        try:
            return float(raw) if raw else None
        except ValueError:
            raise BadRequestError(
                "timeoutSeconds must be a number", {"timeoutSeconds": raw}
            ) from None

    async def serve(self, request: Any, service: Any) -> Any:
        """The streamed answer (Starlette), produced in a worker thread as it may wait."""
        from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
        from starlette.responses import StreamingResponse

        versions = self.versions(request.query_params)
        timeout = self.timeout(request.query_params)
        sse = "text/event-stream" in request.headers.get("accept", "")

        def frame(item: Any) -> bytes:
            if item is None:
                return b": keep-alive\n\n" if sse else b"\n"
            plural, event, obj = item
            data: bytes = orjson.dumps({"Kind": plural, "EventType": event, "Obj": obj})
            if sse:
                return b"event: " + str(event).encode() + b"\ndata: " + data + b"\n\n"
            return data + b"\n"

        media = "text/event-stream" if sse else "application/json"
        headers = {"Cache-Control": "no-cache"}
        if hasattr(service, "watch_async"):  # waits on the event loop: no thread per watch
            # started before answering: a bad or expired version is an error response
            events = await service.watch_async(versions, timeout, HEARTBEAT_SECONDS)

            async def frames() -> AsyncIterator[bytes]:
                async for item in events:
                    yield frame(item)

            return StreamingResponse(frames(), media_type=media, headers=headers)
        if hasattr(service, "watch_raw"):
            raw = service.watch_raw(versions, timeout, HEARTBEAT_SECONDS)
        else:
            raw = ((e.kind, e.event_type, e.obj.raw) for e in service.watch(versions, timeout))
        # the first item is produced before answering, so a bad resource version is an error
        # response (410 Expired) rather than a broken stream
        iterator: Iterator[Any] = iter(raw)
        first = await run_in_threadpool(next, iterator, StopIteration)

        def blocking_frames() -> Iterator[bytes]:
            items = iterator if first is StopIteration else _chain(first, iterator)
            for item in items:
                yield frame(item)

        async def stream() -> AsyncIterator[bytes]:
            async for chunk in iterate_in_threadpool(blocking_frames()):
                yield chunk

        return StreamingResponse(stream(), media_type=media, headers=headers)


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


LIST_WATCH = ListWatch()
