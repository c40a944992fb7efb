"""``Client`` and ``AsyncClient``: one attribute per registered surface, on any backend.

Both build the same facades (``k8sedge/surfaces/<name>/api.py``); they differ only in the
runner they give them (``_facade.py``): the sync client calls the backend, the async client
awaits it — natively over HTTP, in a worker thread for blocking backends and for long
operations of the memory backend, inline otherwise.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._facade import AsyncRunner, SyncRunner
from .backends import open_backend
from .surfaces import REGISTRY, get_surface

if TYPE_CHECKING:
    from ._surface_types import AsyncSurfaces, SyncSurfaces
else:
    SyncSurfaces = AsyncSurfaces = object

__all__ = ["AsyncClient", "Client", "connect", "connect_async"]


class _Host:
    """Builds each surface's facade on first use."""

    backend: Any

    def _runner(self, name: str) -> Any:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in REGISTRY:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        facade = get_surface(name).api(self._runner(name))
        setattr(self, name, facade)
        return facade

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *REGISTRY})


class Client(_Host, SyncSurfaces):
    """The k8sedge client: one attribute per surface (``edge``, ``simulator``, …), the same
    API on every backend."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def _runner(self, name: str) -> SyncRunner:
        return SyncRunner(self.backend.service(name))

    def close(self) -> None:
        """Release the backend's connections."""
        self.backend.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_Host, AsyncSurfaces):
    """The asyncio client: ``async with k8sedge.connect_async(...) as client``; every
    facade method is awaited, iterators are async."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def _runner(self, name: str) -> AsyncRunner:
        backend = self.backend
        if getattr(backend, "native_async", False):
            mode = "native"
        elif getattr(backend, "blocking", True):
            mode = "thread"
        else:
            mode = "inline"
        return AsyncRunner(backend.service(name), mode, get_surface(name))

    async def aclose(self) -> None:
        """Release the backend's connections."""
        closer = getattr(self.backend, "aclose", None)
        if closer is not None:
            await closer()
        else:
            self.backend.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def connect(url: str | None = None, **options: Any) -> Client:
    """Connect to a backend: ``None`` or ``"memory://"`` embeds a simulated cluster;
    ``"http(s)://host:port"`` talks to a server; ``"kubernetes://context"`` to a cluster.

    Memory options: ``clock``, ``grace_period`` (s, default 40), ``rollout_interval``
    (s, default 1), ``token_secret``, ``scheduler_config``, ``seed``. Http options: ``token``,
    ``verify``, ``timeout``, ``retry``, ``transport``. Kubernetes options: ``kubeconfig``,
    ``clock``, ``allow_reset``.
    """
    return Client(open_backend(url, **options))


def connect_async(url: str | None = None, **options: Any) -> AsyncClient:
    """Like ``connect``, for asyncio: http(s) URLs use ``httpx.AsyncClient``."""
    scheme = urlsplit(url or "memory://").scheme.lower()
    if scheme in ("http", "https"):
        from .backends.http import AsyncHttpBackend

        return AsyncClient(AsyncHttpBackend(str(url), **options))
    return AsyncClient(open_backend(url, **options))
