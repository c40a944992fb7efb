"""Backends, selected by URL scheme: ``memory://``, ``http(s)://``, ``kubernetes://``."""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import UnsupportedError
from .base import Backend

__all__ = ["Backend", "open_backend"]

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
    """Create the backend for ``url`` (``None`` is the memory backend)."""
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
