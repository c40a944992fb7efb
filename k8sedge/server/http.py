"""How the server calls a backend: on the event loop, or in a worker thread.

The event loop must answer every client (``/health`` in well under 100 ms) whatever one
request asks for, so only cheap calls run on it: ``inline_when_free`` runs a memory-backend
call on the loop when the cluster's lock is free at once, and in a worker thread otherwise
(the lock is held by a long operation in another thread, and waiting for it would stall
every client).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

__all__ = ["Call", "direct_call", "inline_when_free", "threadpool_call"]

T = TypeVar("T")
Call = Callable[..., Awaitable[Any]]


async def direct_call(fn: Callable[..., T], *args: Any) -> T:
    """Run on the event loop: no thread hop."""
    return fn(*args)


async def threadpool_call(fn: Callable[..., T], *args: Any) -> T:
    """Backends that do I/O, and long operations, run in a worker thread."""
    return await run_in_threadpool(fn, *args)


def inline_when_free(lock: Any) -> Call:
    """A call that runs on the event loop if ``lock`` (the re-entrant lock the backend takes:
    anything with ``acquire(blocking=False)`` and ``release()``) is free now, and in a worker
    thread if another thread holds it; ``direct_call`` when there is no lock."""
    if lock is None:
        return direct_call

    async def call(fn: Callable[..., T], *args: Any) -> T:
        if lock.acquire(blocking=False):
            try:
                return fn(*args)
            finally:
                lock.release()
        return await run_in_threadpool(fn, *args)

    return call
