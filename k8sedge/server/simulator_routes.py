"""The scheduler simulator's routes (``/api/v1/schedulerconfiguration``, ``reset``, ``export``,
``import``, ``listwatchresources``) and object routes under ``/api/v1/simulator/resources``.

``listwatchresources`` streams Server-Sent Events when the client accepts
``text/event-stream`` (as the spec says) and otherwise newline-delimited JSON
``{"Kind", "EventType", "Obj"}`` as the real simulator does; both spellings of the resume
parameters are accepted (``podsLastResourceVersion`` and ``podslastResourceVersion``, …).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..errors import BadRequestError
from ..kube.kinds import kind_info
from ..models.simulator import ResourcesForLoad
from .auth import Authenticator
from .http import Call, json_body
from .openapi import RouteDoc

__all__ = ["WATCH_PARAMETERS", "simulator_routes"]

# query prefix -> plural; the simulator's parameters are <prefix>LastResourceVersion
WATCH_PARAMETERS = {
    "pods": "pods",
    "nodes": "nodes",
    "pvs": "persistentvolumes",
    "pvcs": "persistentvolumeclaims",
    "scs": "storageclasses",
    "pcs": "priorityclasses",
    "namespace": "namespaces",
    "namespaces": "namespaces",
}
HEARTBEAT_SECONDS = 15.0


def _bytes(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _versions(request: Request) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    params = request.query_params
    for prefix, plural in WATCH_PARAMETERS.items():
        for spelling in (f"{prefix}LastResourceVersion", f"{prefix}lastResourceVersion"):
            value = params.get(spelling)
            if value:
                versions[plural] = value
    return versions


def simulator_routes(
    service: Any, auth: Authenticator, call: Call
) -> tuple[list[Route], list[RouteDoc]]:
    """``service`` is a memory ``SimulatorService`` or any ``SimulatorBackend``-like object."""
    routes: list[Route] = []
    docs: list[RouteDoc] = []
    backend = service

    def add(method: str, path: str, handler: Any, summary: str, **doc: Any) -> None:
        async def endpoint(request: Request) -> Response:
            auth.authenticate(request.headers.get("authorization")).require_admin()
            result: Response = await handler(request)
            return result

        routes.append(Route(path, endpoint, methods=[method]))
        docs.append(RouteDoc(method, path, summary, **doc))

    async def get_config(request: Request) -> Response:
        return _bytes(await call(backend.get_config))

    async def post_config(request: Request) -> Response:
        await call(backend.update_config, await json_body(request))
        return Response(status_code=202)

    async def reset(request: Request) -> Response:
        await call(backend.reset)
        return Response(status_code=202)

    async def export(request: Request) -> Response:
        resources: ResourcesForLoad = await call(backend.export)
        return _bytes(resources.to_dict())

    async def import_(request: Request) -> Response:
        resources = ResourcesForLoad.from_dict(await json_body(request))
        await call(backend.import_, resources)
        return Response(status_code=200)

    async def listwatch(request: Request) -> Response:
        versions = _versions(request)
        raw_timeout = request.query_params.get("timeoutSeconds")
        try:
            timeout = float(raw_timeout) if raw_timeout else None
        except ValueError:
            raise BadRequestError(
                "timeoutSeconds must be a number", {"timeoutSeconds": raw_timeout}
            ) from None
        sse = "text/event-stream" in request.headers.get("accept", "")
        if hasattr(backend, "watch_raw"):
            events = backend.watch_raw(versions, timeout, HEARTBEAT_SECONDS)
        else:
            events = ((e.kind, e.event_type, e.obj.raw) for e in backend.watch(versions, timeout))
        # the first item is produced before answering, so a bad resource version is an error
        # response (410 Expired) rather than a broken stream; in a thread, as it may wait
        iterator: Iterator[Any] = iter(events)
        first = await run_in_threadpool(next, iterator, StopIteration)

        async def stream() -> AsyncIterator[bytes]:
            def frames() -> Iterator[bytes]:
                items = iterator if first is StopIteration else _chain(first, iterator)
                for item in items:
                    if item is None:
                        yield b": keep-alive\n\n" if sse else b"\n"
                        continue
                    plural, event, obj = item
                    data = orjson.dumps({"Kind": plural, "EventType": event, "Obj": obj})
                    yield (
                        b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"
                        if sse
                        else data + b"\n"
                    )

            async for chunk in iterate_in_threadpool(frames()):
                yield chunk

        media = "text/event-stream" if sse else "application/json"
        return StreamingResponse(stream(), media_type=media, headers={"Cache-Control": "no-cache"})

    add("GET", "/api/v1/schedulerconfiguration", get_config, "Get scheduler configuration")
    add(
        "POST",
        "/api/v1/schedulerconfiguration",
        post_config,
        "Update scheduler configuration (profiles and extenders)",
        status=202,
    )
    add(
        "PUT", "/api/v1/reset", reset, "Reset all resources and scheduler configuration", status=202
    )
    add("GET", "/api/v1/export", export, "Export resources and scheduler configuration")
    add("POST", "/api/v1/import", import_, "Import resources and scheduler configuration")
    add(
        "GET",
        "/api/v1/listwatchresources",
        listwatch,
        "Watch resources (SSE with Accept: text/event-stream, else NDJSON)",
        query=(*(f"{p}LastResourceVersion" for p in WATCH_PARAMETERS), "timeoutSeconds"),
    )

    # -- objects (an extension: the real simulator leaves these to its Kubernetes API) ---------

    base = "/api/v1/simulator/resources/{kind}"

    def namespace_of(request: Request) -> str | None:
        return request.query_params.get("namespace") or None

    async def list_objects(request: Request) -> Response:
        kind = kind_info(request.path_params["kind"]).plural
        results = request.query_params.get("results") in ("1", "true")
        items = await call(backend.list, kind, namespace_of(request), results)
        return _bytes({"items": items})

    async def create_object(request: Request) -> Response:
        kind = kind_info(request.path_params["kind"]).plural
        return _bytes(await call(backend.create, kind, await json_body(request)), status=201)

    async def apply_object(request: Request) -> Response:
        kind = kind_info(request.path_params["kind"]).plural
        return _bytes(await call(backend.apply, kind, await json_body(request)))

    async def get_object(request: Request) -> Response:
        kind = kind_info(request.path_params["kind"]).plural
        name = request.path_params["name"]
        return _bytes(await call(backend.get, kind, name, namespace_of(request)))

    async def delete_object(request: Request) -> Response:
        kind = kind_info(request.path_params["kind"]).plural
        name = request.path_params["name"]
        return _bytes(await call(backend.delete, kind, name, namespace_of(request)))

    add("GET", base, list_objects, "List objects of a kind", query=("namespace", "results"))
    add("POST", base, create_object, "Create an object", status=201)
    add("PUT", base, apply_object, "Create or replace an object")
    add(
        "GET",
        base + "/{name}",
        get_object,
        "Get an object (pods with result annotations)",
        query=("namespace",),
    )
    add("DELETE", base + "/{name}", delete_object, "Delete an object", query=("namespace",))
    return routes, docs


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest
