"""``Client`` and ``connect``: one typed client over any backend."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from .backends import Backend, open_backend
from .edge import EdgeAPI

__all__ = ["Client", "connect"]


class Client:
    """The k8sedge client: one attribute per surface, the same API on every backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.edge = EdgeAPI(backend.edge)

    def close(self) -> None:
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


def connect(url: str | None = None, **options: Any) -> Client:
    """Connect to a backend: ``None`` or ``"memory://"`` embeds a simulated cluster.

    Memory options: ``clock``, ``grace_period`` (s, default 40), ``rollout_interval``
    (s, default 1), ``token_secret``, ``scheduler_config``, ``seed``.
    """
    return Client(open_backend(url, **options))
