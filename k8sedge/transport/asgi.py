"""``SyncASGITransport``: an ASGI app in-process behind a *sync* ``httpx.Client``."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["SyncASGITransport"]


class SyncASGITransport(httpx.BaseTransport):
    """Drive an ASGI app in-process from a *sync* ``httpx.Client``, through
    ``httpx.ASGITransport`` on an event loop in a helper (daemon) thread."""

    def __init__(self, app: Any) -> None:
        import asyncio
        import threading

        self._async = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="k8sedge-asgi"
        )
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import asyncio

        content = request.read()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            proxy = httpx.Request(
                request.method, request.url, headers=request.headers, content=content
            )
            response = await self._async.handle_async_request(proxy)
            body = b"".join([chunk async for chunk in response.aiter_raw()])
            return response.status_code, response.headers.raw, body

        status, headers, body = asyncio.run_coroutine_threadsafe(send(), self._loop).result()
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_closed():
            self._loop.close()
