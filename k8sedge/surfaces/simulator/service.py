"""The scheduler simulator's operations (``scheduler-simulator-api.md``), declared once.

The documented routes are ``/api/v1/schedulerconfiguration``, ``reset``, ``export``,
``import`` and ``listwatchresources``; objects are read and written through the Kubernetes
API in the real simulator, and through ``/api/v1/simulator/resources/{kind}`` (a k8sedge
extension) or the Kubernetes API facade here. Objects are Kubernetes JSON documents; kinds
are plurals (``pods``, ``nodes``, ``persistentvolumes``, …).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from ..._ops import op
from .models import ImportResult, ResourcesForLoad, WatchEvent
from .watch import LIST_WATCH

__all__ = ["SimulatorService"]

V1 = "/api/v1"
OBJECTS = f"{V1}/simulator/resources/{{kind}}"


class SimulatorService(Protocol):
    """The scheduler simulator: configuration, reset, export/import, watch, objects."""

    @op("GET", f"{V1}/schedulerconfiguration", summary="Get scheduler configuration")
    def get_config(self) -> dict[str, Any]: ...

    @op(
        "POST",
        f"{V1}/schedulerconfiguration",
        status=202,
        summary="Update scheduler configuration (profiles and extenders)",
        sources={"config": "body"},
        blocking=True,
    )
    def update_config(self, config: dict[str, Any]) -> None: ...

    @op(
        "PUT",
        f"{V1}/reset",
        status=202,
        summary="Reset all resources and scheduler configuration",
        blocking=True,
    )
    def reset(self) -> None: ...

    @op(
        "GET",
        f"{V1}/export",
        summary="Export resources (pods with their result annotations) and the scheduler "
        "configuration",
        blocking=True,
    )
    def export(self) -> ResourcesForLoad: ...

    @op(
        "POST",
        f"{V1}/import",
        summary="Import resources and scheduler configuration (an older exported "
        "configuration is read leniently; the answer lists what was dropped)",
        blocking=True,
    )
    def import_(self, resources: ResourcesForLoad) -> ImportResult: ...

    @op(
        "GET",
        f"{V1}/listwatchresources",
        summary="Watch resources (SSE with Accept: text/event-stream, else NDJSON)",
        stream=LIST_WATCH,
        statuses=(410,),
    )
    def watch(
        self, versions: dict[str, str | None], timeout: float | None = None
    ) -> Iterator[WatchEvent]: ...

    # -- objects (the real simulator leaves these to its Kubernetes API) -----------------------

    @op(
        "POST",
        OBJECTS,
        status=201,
        summary="Create an object (pods are scheduled at once)",
        sources={"obj": "body"},
        statuses=(409,),
        blocking=True,
    )
    def create(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]: ...

    @op(
        "PUT",
        OBJECTS,
        summary="Create or replace an object",
        sources={"obj": "body"},
        blocking=True,
    )
    def apply(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]: ...

    @op("GET", f"{OBJECTS}/{{name}}", summary="Get an object (pods with result annotations)")
    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]: ...

    @op("GET", OBJECTS, summary="List objects of a kind", list_key="items", blocking=True)
    def list(
        self, kind: str, namespace: str | None = None, results: bool = False
    ) -> list[dict[str, Any]]: ...

    @op("DELETE", f"{OBJECTS}/{{name}}", summary="Delete an object", blocking=True)
    def delete(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]: ...
