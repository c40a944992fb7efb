"""The seam between the facades users call and the backends that do the work.

A facade (``client.edge``, ``client.simulator``, …) is written once: it checks and shapes
arguments, then hands the operation to a ``Runner``. ``Client`` gives it a synchronous runner
(a direct call, or the http client); ``AsyncClient`` gives the *same* facade an asynchronous
one, so every facade method returns an awaitable there, page iterators become async
iterators and waiters await. Blocking backends (kubernetes) run in a worker thread under the
async client, never on the event loop. ``k8sedge/_async_api.pyi`` (generated from the
facades, checked by the tests) gives the async client its types.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import attrs

from ._progress import bar, report
from .pagination import check_page

__all__ = ["AsyncRunner", "Facade", "Runner", "SyncRunner", "Task"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class Runner(Protocol):
    """Runs a service operation, now or as an awaitable."""

    def call(
        self,
        name: str,
        args: tuple[Any, ...],
        then: Callable[[Any], Any] | None,
        heavy: bool = False,
        task: Task | None = None,
    ) -> Any: ...

    def local(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any: ...

    def pages(self, name: str, args: tuple[Any, ...], limit: int) -> Any: ...

    def stream(self, name: str, args: tuple[Any, ...]) -> Any: ...

    def poll(
        self,
        fetch: Callable[[], Any],
        done: Callable[[Any], bool],
        timeout: float,
        interval: float,
        what: str,
    ) -> Any: ...


@attrs.frozen
class Task:
    """Long work to show a progress bar for: what, how many steps, and whether to show it
    (``None``: when someone is watching; see ``_progress.enabled``)."""

    description: str
    total: int | None = None
    progress: bool | None = None
    unit: str = "it"


@contextlib.contextmanager
def _tracking(task: Task | None) -> Iterator[Callable[[], None]]:
    """A bar for ``task`` (nothing without one); calling what it yields completes it."""
    if task is None:
        yield lambda: None
        return
    with bar(task.description, task.total, progress=task.progress, unit=task.unit) as shown:

        def done() -> None:
            left = (task.total or 0) - getattr(shown, "n", 0)
            if left > 0:
                shown.update(left)

        yield done


def _timed_out(what: str, timeout: float) -> Exception:
    from .errors import ServiceUnavailableError

    return ServiceUnavailableError(
        f"timed out after {timeout:g} s waiting for {what}", {"timeout": timeout}
    )


def _to_thread(fn: Callable[..., T], *args: Any) -> Awaitable[T]:
    import asyncio  # only async code needs it (and it is slow to import)

    return asyncio.to_thread(fn, *args)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


class SyncRunner:
    """Calls the service directly (the memory and kubernetes backends, the http client)."""

    def __init__(self, service: Any) -> None:
        self.service = service

    def call(
        self,
        name: str,
        args: tuple[Any, ...],
        then: Callable[[Any], Any] | None,
        heavy: bool = False,
        task: Task | None = None,
    ) -> Any:
        with _tracking(task) as done:
            result = getattr(self.service, name)(*args)
            done()
        return result if then is None else then(result)

    def local(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        return fn(*args)

    def stream(self, name: str, args: tuple[Any, ...]) -> Iterator[Any]:
        stream: Iterator[Any] = getattr(self.service, name)(*args)
        return stream

    def pages(self, name: str, args: tuple[Any, ...], limit: int) -> Iterator[Any]:
        check_page(1, limit)
        fetch = getattr(self.service, name)
        page = 1
        while True:
            result = fetch(page, limit, *args)
            yield from result.items
            if page >= result.pagination.pages:
                return
            page += 1

    def poll(
        self,
        fetch: Callable[[], Any],
        done: Callable[[Any], bool],
        timeout: float,
        interval: float,
        what: str,
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            current = fetch()
            report()
            if done(current):
                return current
            if time.monotonic() >= deadline:
                raise _timed_out(what, timeout)
            time.sleep(interval)


class AsyncRunner:
    """Awaits the service: natively (the async http client), in a worker thread (blocking
    backends), or inline (the memory backend, which does no I/O)."""

    def __init__(self, service: Any, mode: str, surface: Any = None) -> None:
        self.service = service
        self.mode = mode  # "native" | "thread" | "inline"
        self.surface = surface

    async def _invoke(self, name: str, args: tuple[Any, ...]) -> Any:
        method = getattr(self.service, name)
        if self.mode == "native":
            return await method(*args)
        if self.mode == "thread" or self._long(name):
            return await _to_thread(method, *args)
        return method(*args)

    def _long(self, name: str) -> bool:
        op = None if self.surface is None else self.surface.by_name.get(name)
        return bool(op is not None and op.blocking)

    def call(
        self,
        name: str,
        args: tuple[Any, ...],
        then: Callable[[Any], Any] | None,
        heavy: bool = False,
        task: Task | None = None,
    ) -> Awaitable[Any]:
        async def run() -> Any:
            with _tracking(task) as done:
                result = await self._invoke(name, args)
                done()
            if then is None:
                return result
            return await _to_thread(then, result) if heavy else then(result)

        return run()

    def local(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Awaitable[Any]:
        return _to_thread(fn, *args)

    async def stream(self, name: str, args: tuple[Any, ...]) -> AsyncIterator[Any]:
        if self.mode == "native":
            async for item in getattr(self.service, name)(*args):
                yield item
            return
        # a blocking iterator (it waits for events): each step in a worker thread
        iterator = iter(await _to_thread(getattr(self.service, name), *args))
        done = object()
        while (item := await _to_thread(next, iterator, done)) is not done:
            yield item

    async def pages(self, name: str, args: tuple[Any, ...], limit: int) -> AsyncIterator[Any]:
        check_page(1, limit)
        page = 1
        while True:
            result = await self._invoke(name, (page, limit, *args))
            for item in result.items:
                yield item
            if page >= result.pagination.pages:
                return
            page += 1

    async def poll(
        self,
        fetch: Callable[[], Any],
        done: Callable[[Any], bool],
        timeout: float,
        interval: float,
        what: str,
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            current = await fetch()
            report()
            if done(current):
                return current
            if time.monotonic() >= deadline:
                raise _timed_out(what, timeout)
            await _sleep(interval)


class Facade:
    """Base of every facade: ``_call`` runs an operation of the surface's service protocol,
    typed by the protocol method it names."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner

    def _call(
        self, method: Callable[Concatenate[Any, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        result: R = self._runner.call(method.__name__, args, None)
        return result

    def _then(
        self,
        convert: Callable[[Any], T],
        method: Callable[..., Any],
        *args: Any,
        heavy: bool = False,
    ) -> T:
        """Run ``method`` and convert its result (after the await, on the async client; in a
        worker thread if ``heavy``)."""
        result: T = self._runner.call(method.__name__, args, convert, heavy)
        return result

    def _tracked(self, task: Task, method: Callable[..., T], *args: Any) -> T:
        """Run ``method`` under a progress bar (advanced by the memory cluster as it works,
        completed when the answer comes)."""
        result: T = self._runner.call(method.__name__, args, None, False, task)
        return result

    def _local(self, fn: Callable[..., T], *args: Any) -> T:
        """Work done in this process, not by the backend (in a worker thread on the async
        client)."""
        result: T = self._runner.local(fn, args)
        return result

    def _stream(self, method: Callable[..., Iterator[T]], *args: Any) -> Iterator[T]:
        """A streamed operation's items (an async iterator on the async client)."""
        items: Iterator[T] = self._runner.stream(method.__name__, args)
        return items

    def _pages(self, method: Callable[..., Any], limit: int, *args: Any) -> Iterator[Any]:
        """Every item of a paginated operation (``method(page, limit, *args)``)."""
        items: Iterator[Any] = self._runner.pages(method.__name__, args, limit)
        return items

    def _poll(
        self,
        fetch: Callable[[], T],
        done: Callable[[T], bool],
        *,
        timeout: float,
        interval: float,
        what: str,
    ) -> T:
        """Call ``fetch`` until ``done`` holds or ``timeout`` seconds pass."""
        result: T = self._runner.poll(fetch, done, timeout, interval, what)
        return result
