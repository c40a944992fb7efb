"""The simulator lens on the memory cluster: its objects, scheduler configuration and watch."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from ...memory import Cluster
from ...memory.watch import watch_events_async
from .models import ImportResult, KubeObject, ResourcesForLoad, WatchEvent

__all__ = ["MemorySimulator"]


class MemorySimulator:
    """The simulator surface over the memory cluster's ``Cluster``."""

    def __init__(self, service: Cluster) -> None:
        self.service = service

    def get_config(self) -> dict[str, Any]:
        with self.service.lock:
            return self.service.config()

    def update_config(self, config: dict[str, Any]) -> None:
        self.service.update_config(config)

    def reset(self) -> None:
        self.service.reset()

    def export(self) -> ResourcesForLoad:
        return self.service.export()

    def import_(self, resources: ResourcesForLoad) -> ImportResult:
        return ImportResult(warnings=list(self.service.import_(resources)))

    def watch(self, versions: dict[str, str | None], timeout: float | None) -> Iterator[WatchEvent]:
        for item in self.service.watch(versions, timeout=timeout):
            if item is not None:
                plural, event, obj = item
                yield WatchEvent(kind=plural, event_type=event, obj=KubeObject(obj))

    def watch_raw(
        self, versions: dict[str, str | None], timeout: float | None, heartbeat: float | None
    ) -> Iterator[tuple[str, str, dict[str, Any]] | None]:
        """Events as ``(kind, type, object)``, and ``None`` after ``heartbeat`` idle seconds."""
        return self.service.watch(versions, timeout=timeout, heartbeat=heartbeat)

    async def watch_async(
        self, versions: dict[str, str | None], timeout: float | None, heartbeat: float
    ) -> AsyncIterator[tuple[str, str, dict[str, Any]] | None]:
        """``watch_raw`` for servers: waits on the event loop, holding no thread."""
        return await watch_events_async(
            self.service, versions, timeout=timeout, heartbeat=heartbeat
        )

    def create(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.service.create(kind, obj)

    def apply(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.service.apply(kind, obj)

    def get(self, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
        return self.service.get(kind, name, namespace)

    def list(self, kind: str, namespace: str | None, results: bool) -> list[dict[str, Any]]:
        return self.service.list(kind, namespace, results=results)

    def delete(self, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
        return self.service.delete(kind, name, namespace)
