"""Backends, selected by URL scheme: ``memory://``, ``http(s)://``, ``kubernetes://``.

``connect()``'s options are typed per scheme (``MemoryOptions``, ``HttpOptions``,
``KubernetesOptions``); an option that the URL's scheme does not take is a
``BadRequestError`` naming the scheme's options.
"""

from __future__ import annotations

import importlib
import os
import ssl
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import parse_qsl, urlsplit

from ..errors import BadRequestError, UnsupportedError
from .base import Backend

if TYPE_CHECKING:
    import httpx

    from ..clock import Clock
    from ..surfaces.simulator.config import SchedulerConfiguration
    from .http import RetryPolicy

__all__ = [
    "Backend",
    "ConnectOptions",
    "HttpOptions",
    "KubernetesOptions",
    "MemoryOptions",
    "open_backend",
]


class MemoryOptions(TypedDict, total=False):
    """``memory://`` (the default): a simulated cluster in this process."""

    clock: Clock
    """The cluster's clock (a ``ManualClock`` makes everything deterministic)."""
    grace_period: float
    """Seconds without a heartbeat before a node is offline (default 40)."""
    rollout_interval: float
    """Seconds between rollout batches (default 1)."""
    token_secret: bytes | str
    """The tokens' HS256 key (at least 32 bytes; default: random)."""
    scheduler_config: SchedulerConfiguration
    """The initial ``KubeSchedulerConfiguration`` (default: kube-scheduler's)."""
    seed: int
    """Seeds the scheduler's tie-breaking and Cello's random draws (default 0)."""
    metrics_retention: float
    """Seconds metrics are kept (default 7 days)."""
    data_dir: str | os.PathLike[str]
    """Keep the cluster's state in SQLite in this directory, so that it survives a restart
    (also ``memory:///path/to/dir``); without it the cluster lives in memory only."""


class HttpOptions(TypedDict, total=False):
    """``http://`` and ``https://``: a server (``k8sedge serve`` or the documented one)."""

    token: str | None
    """The bearer token (``k8sedge serve`` prints an admin token)."""
    verify: bool | str | os.PathLike[str] | ssl.SSLContext
    """TLS verification: ``True``, ``False``, a CA bundle path or an ``SSLContext``."""
    timeout: float
    """Seconds per request (default 10)."""
    retry: RetryPolicy | None
    """How failed requests are retried (default: ``RetryPolicy()``)."""
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None
    """An httpx transport instead of the network (``SyncASGITransport(app)`` for tests)."""
    client: httpx.Client | httpx.AsyncClient | None
    """A ready httpx client to send with (its base URL and headers are the caller's)."""


class KubernetesOptions(TypedDict, total=False):
    """``kubernetes://[context]``: a Kubernetes cluster, through the official client."""

    kubeconfig: str | None
    """The kubeconfig file (default: ``$KUBECONFIG`` or ``~/.kube/config``; in a pod, the
    in-cluster configuration)."""
    allow_reset: bool
    """Let ``simulator.reset()`` delete the cluster's objects (default False)."""
    seed: int
    """Seeds the engine's tie-breaking (default 0)."""
    clock: Clock
    """The clock for liveness and token expiry (default: the wall clock)."""
    grace_period: float
    """Seconds without a lease renewal before a node is offline (default 40)."""


class ConnectOptions(TypedDict, total=False):
    """Every option ``connect()`` takes; which apply depends on the URL's scheme
    (``MemoryOptions``, ``HttpOptions``, ``KubernetesOptions``)."""

    clock: Clock
    grace_period: float
    rollout_interval: float
    token_secret: bytes | str
    scheduler_config: SchedulerConfiguration
    seed: int
    metrics_retention: float
    token: str | None
    verify: bool | str | os.PathLike[str] | ssl.SSLContext
    timeout: float
    retry: RetryPolicy | None
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None
    client: httpx.Client | httpx.AsyncClient | None
    kubeconfig: str | None
    allow_reset: bool


_OPTIONS: dict[str, type] = {
    "memory": MemoryOptions,
    "http": HttpOptions,
    "https": HttpOptions,
    "kubernetes": KubernetesOptions,
}


def check_options(scheme: str, options: dict[str, Any]) -> None:
    """Refuse an option the scheme does not take, naming the ones it does."""
    allowed = _OPTIONS[scheme].__annotations__
    wrong = sorted(set(options) - set(allowed))
    if wrong:
        others = [s for s, t in _OPTIONS.items() if wrong[0] in t.__annotations__]
        where = f" (it is an option of {others[0]}://)" if others else ""
        raise BadRequestError(
            f"{scheme}:// does not take {', '.join(map(repr, wrong))}{where}; "
            f"its options: {', '.join(allowed)}",
            {name: f"not a {scheme}:// option" for name in wrong},
        )


# scheme -> (module, factory, extra that installs its dependencies)
_SCHEMES: dict[str, tuple[str, str, str]] = {
    "memory": ("k8sedge.backends.memory", "MemoryBackend", ""),
    "http": ("k8sedge.backends.http", "HttpBackend", "http"),
    "https": ("k8sedge.backends.http", "HttpBackend", "http"),
    "kubernetes": ("k8sedge.backends.kubernetes", "KubernetesBackend", "kubernetes"),
}

_FLOAT_OPTIONS = {"grace_period", "rollout_interval", "metrics_retention"}
_INT_OPTIONS = {"seed"}


def _memory_options(query: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, value in parse_qsl(query):
        if key in _FLOAT_OPTIONS:
            options[key] = float(value)
        elif key in _INT_OPTIONS:
            options[key] = int(value)
        else:
            raise UnsupportedError(f"unknown memory:// option {key!r}", {"url": key})
    return options


def open_backend(url: str | None, **options: Any) -> Backend:
    """Create the backend for ``url`` (``None`` is the memory backend) with ``options``
    (``ConnectOptions``)."""
    if url is None:
        url = "memory://"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        supported = ", ".join(f"{s}://" for s in _SCHEMES)
        hint = ""
        if "://" not in url:
            hint = f"; did you mean 'http://{url}'?"
        raise UnsupportedError(
            f"no backend for {url!r}{hint} (supported: {supported})", {"url": "unknown scheme"}
        )
    check_options(scheme, options)
    module_name, factory_name, extra = _SCHEMES[scheme]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnsupportedError(
            f"the {scheme}:// backend needs extra dependencies: pip install 'k8sedge[{extra}]' "
            f"({exc})"
        ) from exc
    factory = getattr(module, factory_name)
    if scheme == "memory":
        options = {**_memory_options(parts.query), **options}
        path = (parts.netloc + parts.path) if parts.netloc or parts.path else ""
        if path and "data_dir" not in options:  # memory:///path/to/dir keeps its state there
            options["data_dir"] = path
        backend: Backend = factory(**options)
    else:
        backend = factory(url, **options)
    return backend
