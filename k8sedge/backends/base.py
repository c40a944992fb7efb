"""What a backend is: the service of each surface, and a way to release resources.

Each surface's service protocol (``k8sedge/surfaces/<name>/service.py``) lists its
operations with models in and models out; a backend implements them and raises the errors
of ``k8sedge.errors``. The facades and the server only ever call ``service(name)``, so a new
backend plugs in without touching them.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Backend"]


class Backend(Protocol):
    """A backend: one service object per surface."""

    #: whether its calls do I/O (the server and the async client then run them in threads)
    blocking: bool

    def service(self, name: str) -> Any:
        """The implementation of surface ``name``'s service protocol."""

    def close(self) -> None: ...
