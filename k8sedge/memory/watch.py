"""Watching the memory cluster: the initial state, then every change, from the event log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import BadRequestError
from ..kube.kinds import SIMULATOR_KINDS
from ..kube.store import ADDED

if TYPE_CHECKING:
    from .core import Cluster

__all__ = ["watch_events"]


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
    versions = dict(versions or {})
    store = core.store
    with core.lock:
        core.tick()
        start = store.version
        since: dict[str, int] = {}
        initial: list[tuple[str, str, dict[str, Any]]] = []
        for plural in wanted:
            raw = versions.get(plural)
            if raw:
                try:
                    since[plural] = int(raw)
                except ValueError:
                    raise BadRequestError(
                        f"invalid resource version {raw!r}", {plural: "not a resource version"}
                    ) from None
                continue
            since[plural] = start
            initial += [(plural, ADDED, core.present(plural, o, True)) for o in store.items(plural)]
        low = min(since.values()) if since else start
        backlog = store.events_since(low, wanted)
    yield from initial
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
            with core.changed:
                while store.version <= cursor:
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
            yield None
