"""``Client`` and ``AsyncClient``: one attribute per registered surface, on any backend.

Both build the same facades (``k8sedge/surfaces/<name>/api.py``); they differ only in the
runner they give them (``_facade.py``): the sync client calls the backend, the async client
awaits it — natively over HTTP, in a worker thread for blocking backends and for long
operations of the memory backend, inline otherwise.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Unpack
from urllib.parse import urlsplit

from ._facade import AsyncRunner, SyncRunner
from .backends import ConnectOptions, check_options, open_backend
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

    def __repr__(self) -> str:
        where = getattr(self.backend, "url", None) or type(self.backend).__name__
        return f"{type(self).__name__}({where})"


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


def connect(url: str | None = None, **options: Unpack[ConnectOptions]) -> Client:
    """Connect to a backend, chosen by the URL's scheme:

    - ``None`` or ``"memory://"``: a simulated cluster in this process (``MemoryOptions``:
      ``clock``, ``grace_period``, ``rollout_interval``, ``token_secret``,
      ``scheduler_config``, ``seed``, ``metrics_retention``; also as a query:
      ``memory://?grace_period=10&seed=1``);
    - ``"http://host:port"`` or ``"https://…"``: a server, such as the one ``k8sedge serve``
      prints (with or without ``/api/v1``) (``HttpOptions``: ``token``, ``verify``,
      ``timeout``, ``retry``, ``transport``; needs ``k8sedge[http]``);
    - ``"kubernetes://[context]"``: a Kubernetes cluster (``KubernetesOptions``:
      ``kubeconfig``, ``allow_reset``, ``seed``, ``clock``, ``grace_period``; needs
      ``k8sedge[kubernetes]``).

    An option the scheme does not take is a ``BadRequestError``; a URL without a scheme
    gets a "did you mean 'http://…'" hint.
    """
    return Client(open_backend(url, **options))


def connect_async(url: str | None = None, **options: Unpack[ConnectOptions]) -> AsyncClient:
    """Like ``connect``, for asyncio (``async with k8sedge.connect_async(url) as client``):
    http(s) URLs use ``httpx.AsyncClient``, other backends run in worker threads where they
    block."""
    scheme = urlsplit(url or "memory://").scheme.lower()
    if scheme in ("http", "https"):
        from .backends.http import AsyncHttpBackend

        http_options: dict[str, Any] = dict(options)
        check_options(scheme, http_options)
        return AsyncClient(AsyncHttpBackend(str(url), **http_options))
    return AsyncClient(open_backend(url, **options))
