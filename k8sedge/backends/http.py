"""The http backend: the documented APIs over httpx (``k8sedge/transport/http.py``)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from ..surfaces import get_surface
from ..transport.asgi import SyncASGITransport
from ..transport.deadline import deadline_transport
from ..transport.http import AsyncRemote, Remote, RemoteService, RetryPolicy, client_options

__all__ = ["AsyncHttpBackend", "HttpBackend", "RetryPolicy", "SyncASGITransport", "base_url"]

# what `k8sedge serve` prints, and what users paste: the API root of a surface
_API_ROOT = re.compile(r"/api/v1/?$|/api/?$|/v2/?$")


def base_url(url: str) -> str:
    """The server's root: ``http://host:8443/api/v1`` (as ``k8sedge serve`` prints it) and
    ``http://host:8443`` are the same server."""
    return _API_ROOT.sub("", url.rstrip("/")) or url


class _Http:
    """What both http backends share: the base URL and one remote service per surface."""

    remote: Remote | AsyncRemote

    def __init__(self, url: str) -> None:
        self.url = base_url(url)
        self._services: dict[str, RemoteService] = {}

    def service(self, name: str) -> Any:
        """Surface ``name``'s operations, sent to the server."""
        service = self._services.get(name)
        if service is None:
            service = self._services[name] = RemoteService(self.remote, get_surface(name))
        return service


class HttpBackend(_Http):
    """``connect("http://host:port", token=..., verify=..., timeout=..., retry=...)``.

    ``transport`` (an ``httpx.BaseTransport``, e.g. ``SyncASGITransport(app)``) or a
    ready ``client`` may be given instead of a network connection.
    """

    blocking = True

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        verify: Any = True,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(url)
        self._owns_client = client is None
        options = client_options(self.url, token, verify, timeout)
        if transport is None and client is None:
            transport = deadline_transport(options["verify"])
        self.client = client or httpx.Client(transport=transport, **options)
        self.remote = Remote(self.client, retry or RetryPolicy(), timeout)

    def close(self) -> None:
        if self._owns_client:
            self.client.close()


class AsyncHttpBackend(_Http):
    """The http backend for asyncio code, on ``httpx.AsyncClient`` (same options)."""

    blocking = False
    native_async = True

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        verify: Any = True,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(url)
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            transport=transport, **client_options(self.url, token, verify, timeout)
        )
        self.remote = AsyncRemote(self.client, retry or RetryPolicy(), timeout)

    def close(self) -> None:
        """Use ``aclose`` (the async client's transport closes on the event loop)."""

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()
