"""The simulator surface over HTTP: the documented simulator routes, plus the object routes
of a k8sedge server (``/api/v1/simulator/resources``). The watch stream is read as NDJSON
(the real simulator) or Server-Sent Events, whichever the server answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from ..errors import InternalError
from ..models.simulator import KubeObject, ResourcesForLoad, WatchEvent
from .http import HttpEdge

__all__ = ["HttpSimulator"]

_PARAMETER = {
    "pods": "pods",
    "nodes": "nodes",
    "persistentvolumes": "pvs",
    "persistentvolumeclaims": "pvcs",
    "storageclasses": "scs",
    "priorityclasses": "pcs",
    "namespaces": "namespace",
}
_OBJECTS = "/api/v1/simulator/resources"


def _event(data: Any) -> WatchEvent:
    if not isinstance(data, dict) or not isinstance(data.get("Obj"), dict):
        raise InternalError("unexpected watch event", {"event": str(data)[:300]})
    return WatchEvent(
        kind=str(data.get("Kind", "")),
        event_type=str(data.get("EventType", "")),
        obj=KubeObject(data["Obj"]),
    )


class HttpSimulator:
    """Implements ``SimulatorBackend`` with the http edge backend's client and retries."""

    def __init__(self, edge: HttpEdge) -> None:
        self._edge = edge
        self._client: httpx.Client = edge._client

    def _json(
        self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        from .http_calls import Call

        return self._edge._run(Call(method, path, lambda data: data, params=params, body=body))

    def get_config(self) -> dict[str, Any]:
        config = self._json("GET", "/api/v1/schedulerconfiguration")
        return config if isinstance(config, dict) else {}

    def update_config(self, config: dict[str, Any]) -> None:
        self._json("POST", "/api/v1/schedulerconfiguration", body=config)

    def reset(self) -> None:
        self._json("PUT", "/api/v1/reset")

    def export(self) -> ResourcesForLoad:
        return ResourcesForLoad.from_dict(self._json("GET", "/api/v1/export"))

    def import_(self, resources: ResourcesForLoad) -> None:
        self._json("POST", "/api/v1/import", body=resources.to_dict())

    def watch(self, versions: dict[str, str | None], timeout: float | None) -> Iterator[WatchEvent]:
        params: dict[str, Any] = {
            f"{_PARAMETER[kind]}LastResourceVersion": version
            for kind, version in versions.items()
            if version and kind in _PARAMETER
        }
        if timeout is not None:
            params["timeoutSeconds"] = timeout
        read_timeout = None if timeout is None else timeout + 30.0
        with self._client.stream(
            "GET",
            "/api/v1/listwatchresources",
            params=params,
            timeout=httpx.Timeout(10.0, read=read_timeout),
        ) as response:
            if not response.is_success:
                response.read()
                from .http import _error_from_response

                raise _error_from_response(response)
            sse = response.headers.get("content-type", "").startswith("text/event-stream")
            for line in response.iter_lines():
                if sse:
                    if line.startswith("data:"):
                        yield _event(orjson.loads(line[5:].strip()))
                elif line.strip():
                    yield _event(orjson.loads(line))

    def _path(self, kind: str, name: str | None = None) -> str:
        path = f"{_OBJECTS}/{quote(kind, safe='')}"
        return path if name is None else f"{path}/{quote(name, safe='')}"

    def create(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", self._path(kind), body=obj)
        return result

    def apply(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._json("PUT", self._path(kind), body=obj)
        return result

    def get(self, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
        params = {"namespace": namespace} if namespace else None
        result: dict[str, Any] = self._json("GET", self._path(kind, name), params=params)
        return result

    def list(self, kind: str, namespace: str | None, results: bool) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"results": "true" if results else "false"}
        if namespace:
            params["namespace"] = namespace
        items: list[dict[str, Any]] = self._json("GET", self._path(kind), params=params)["items"]
        return items

    def delete(self, kind: str, name: str, namespace: str | None) -> dict[str, Any]:
        params = {"namespace": namespace} if namespace else None
        result: dict[str, Any] = self._json("DELETE", self._path(kind, name), params=params)
        return result
