"""How the server calls a backend: on the event loop, or in a worker thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

__all__ = ["Call", "direct_call", "threadpool_call"]

T = TypeVar("T")
Call = Callable[..., Awaitable[Any]]


async def direct_call(fn: Callable[..., T], *args: Any) -> T:
    """Backends without I/O (memory) run on the event loop: no thread hop."""
    return fn(*args)


async def threadpool_call(fn: Callable[..., T], *args: Any) -> T:
    """Backends that do I/O, and long operations, run in a worker thread."""
    return await run_in_threadpool(fn, *args)
