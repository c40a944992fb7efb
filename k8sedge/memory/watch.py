"""Watching the memory cluster: the initial state, then every change, from the event log.

``watch_events`` blocks a thread while it waits (for in-process callers); servers use
``watch_events_async``, which waits on the event loop without holding a thread, so any number
of open watches costs no worker threads, a client that goes away is noticed at once (its
task is cancelled) and shutting down does not wait for watches.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import BadRequestError
from ..kube.kinds import SIMULATOR_KINDS
from ..kube.store import ADDED

if TYPE_CHECKING:
    from .core import Cluster

__all__ = ["watch_events", "watch_events_async"]

T = TypeVar("T")
_CHUNK = 16  # initial objects presented at a time (sent before the next are copied)
Item = tuple[str, str, dict[str, Any]]


def watch_events(
    core: Cluster,
    versions: dict[str, str | None] | None = None,
    *,
    timeout: float | None = None,
    kinds: set[str] | None = None,
    heartbeat: float | None = None,
) -> Iterator[tuple[str, str, dict[str, Any]] | None]:
    """``(plural, event type, object)``: for kinds without a version, every object as
    ``ADDED`` first; then changes as they happen, until ``timeout`` seconds pass quietly.
    With ``heartbeat``, ``None`` is yielded after that many idle seconds (so a server can
    notice a client that went away). A version older than the kept log is ``ExpiredError``."""
    wanted = set(kinds or SIMULATOR_KINDS)
    store = core.store
    initial, since, low, backlog = _start(core, versions, wanted)
    for plural, obj in initial:
        with core.lock:
            presented = core.present(plural, obj, True)
        yield plural, ADDED, presented
    del initial
    cursor = low
    while True:
        for version, plural, event, obj in backlog:
            cursor = version
            if version > since.get(plural, cursor):
                with core.lock:
                    presented = core.present(plural, obj, plural == "pods")
                yield plural, event, presented
        deadline = None if timeout is None else time.monotonic() + timeout
        backlog = []
        while not backlog:
            if core.closing:
                return
            with core.changed:
                while store.version <= cursor and not core.closing:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return
                    if heartbeat is not None:
                        remaining = heartbeat if remaining is None else min(remaining, heartbeat)
                    if not core.changed.wait(remaining) and heartbeat is not None:
                        break
                if store.version > cursor:
                    backlog = store.events_since(cursor, wanted)
                    if not backlog:
                        cursor = store.version  # changes to kinds not watched
                    continue
            if _due(core):  # controllers keep running while clients wait
                core.advance()
            yield None


def _due(core: Cluster) -> bool:
    """Whether a controller has work due at the clock's time (a Job's pods finishing, a
    CronJob's schedule, a progress deadline)."""
    due = core.kube.next_due()
    return due is not None and due <= core.clock.now()


def _start(
    core: Cluster, versions: dict[str, str | None] | None, wanted: set[str]
) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, int], int, list[Any]]:
    """The initial objects (for kinds without a version: the stored objects themselves,
    presented only as they are sent, so a watch of a large cluster costs no copy of it), the
    version each kind resumes from, the lowest of them, and the events logged since."""
    versions = dict(versions or {})
    store = core.store
    with core.lock:
        core.tick()
        start = store.version
        since: dict[str, int] = {}
        initial: list[tuple[str, dict[str, Any]]] = []
        for plural in wanted:
            raw = versions.get(plural)
            if raw:
                try:
                    since[plural] = int(raw)
                except ValueError:
                    raise BadRequestError(
                        f"invalid resource version {raw!r}", {plural: "not a resource version"}
                    ) from None
                if not -(2**63) <= since[plural] < 2**63:
                    raise BadRequestError(
                        f"invalid resource version {raw!r}", {plural: "not a resource version"}
                    )
                continue
            since[plural] = start
            initial += [(plural, o) for o in store.items(plural)]
        low = min(since.values()) if since else start
        backlog = store.events_since(low, wanted)
    return initial, since, low, backlog


def _present_all(core: Cluster, chunk: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [core.present(plural, obj, True) for plural, obj in chunk]


# per event loop: the worker threads watches may use at once
_LIMITERS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
WATCH_THREADS = 4


async def _locked(core: Cluster, fn: Callable[[], T]) -> T:
    """``fn()`` under the cluster's lock, in a worker thread: presenting objects (a pod's
    results can be large) is never done on the event loop, and the loop never waits for
    the lock. Watches share ``WATCH_THREADS`` threads, so however many there are, the
    server's other requests always find a free worker."""
    import anyio

    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = anyio.CapacityLimiter(WATCH_THREADS)

    def run() -> T:
        with core.lock:
            return fn()

    return await anyio.to_thread.run_sync(run, limiter=limiter)


async def watch_events_async(
    core: Cluster,
    versions: dict[str, str | None] | None = None,
    *,
    timeout: float | None = None,
    kinds: set[str] | None = None,
    heartbeat: float = 1.0,
) -> AsyncIterator[Item | None]:
    """``watch_events`` for servers: the same items (``None`` every ``heartbeat`` idle
    seconds), waiting on the event loop. The initial state is read when this is awaited, so a
    bad or expired version raises before anything is sent."""
    from starlette.concurrency import run_in_threadpool

    wanted = set(kinds or SIMULATOR_KINDS)
    started = await run_in_threadpool(_start, core, versions, wanted)
    return _follow(core, wanted, started, timeout, heartbeat)


async def _follow(
    core: Cluster,
    wanted: set[str],
    started: tuple[list[tuple[str, dict[str, Any]]], dict[str, int], int, list[Any]],
    timeout: float | None,
    heartbeat: float,
) -> AsyncIterator[Item | None]:
    store = core.store
    initial, since, cursor, backlog = started
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()

    def wake() -> None:
        loop.call_soon_threadsafe(changed.set)

    def present(events: list[Any]) -> list[tuple[int, Item]]:
        return [
            (version, (plural, event, core.present(plural, obj, plural == "pods")))
            for version, plural, event, obj in events
            if version > since.get(plural, version - 1)
        ]

    def read(after: int) -> tuple[int, list[tuple[int, Item]]]:
        return store.version, present(store.events_since(after, wanted))

    core.listen(wake)
    try:
        for first in range(0, len(initial), _CHUNK):
            chunk = initial[first : first + _CHUNK]
            presented = await _locked(core, functools.partial(_present_all, core, chunk))
            for (plural, _), obj in zip(chunk, presented, strict=True):
                yield plural, ADDED, obj
        del initial
        pending = await _locked(core, lambda: present(backlog))
        if backlog:
            cursor = max(cursor, backlog[-1][0])
        deadline = None if timeout is None else time.monotonic() + timeout
        while not core.closing:
            for version, item in pending:
                cursor = max(cursor, version)
                yield item
            pending = []
            if store.version <= cursor:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return
                wait = heartbeat if remaining is None else min(remaining, heartbeat)
                changed.clear()
                if store.version <= cursor:
                    try:
                        await asyncio.wait_for(changed.wait(), wait)
                    except TimeoutError:
                        if _due(core):  # controllers keep running while clients wait
                            await _locked(core, core.advance)
                        yield None
                        continue
                    if core.closing:
                        return
            if store.version > cursor:
                latest, pending = await _locked(core, functools.partial(read, cursor))
                if not pending:
                    cursor = latest  # changes to kinds not watched
                deadline = None if timeout is None else time.monotonic() + timeout
    finally:
        core.unlisten(wake)
