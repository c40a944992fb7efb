"""The Kubernetes API facade: the memory cluster served through the Kubernetes REST protocol,
so that ``kubectl`` and any Kubernetes client can drive it.

Discovery (``discovery.py``), the object verbs (``objects.py``: get/list/create/update/
patch/delete, ``status`` and ``binding`` subresources, label and field selectors,
``limit``/``continue``, watch with resume, bookmarks, ``timeoutSeconds`` and 410 Expired),
``Status`` error bodies (``status.py``) and ``Table`` answers for ``kubectl get``
(``tables.py``). Writes go through the cluster, so pods created here are scheduled by the
engine and carry the simulator's result annotations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..errors import K8sEdgeError
from ..memory import Cluster
from .discovery import GROUPS, api_group, api_group_list, api_versions, resource_list, version
from .objects import Objects
from .paths import Target, parse_target
from .status import error_response, json_response, not_allowed, status_body

__all__ = ["KubeAPI", "create_kube_app"]

_NOT_FOUND = "the server could not find the requested resource"


def _wants_table(request: Request) -> bool:
    return "as=Table" in request.headers.get("accept", "")


def _watching(request: Request) -> bool:
    return request.query_params.get("watch") in ("1", "true")


class KubeAPI:
    """The facade's endpoints over one cluster."""

    def __init__(self, cluster: Cluster, token: str | None = None) -> None:
        self.objects = Objects(cluster)
        self.token = token

    def _authorized(self, request: Request) -> bool:
        if self.token is None:
            return True
        return request.headers.get("authorization", "") == f"Bearer {self.token}"

    async def version(self, request: Request) -> Response:
        return json_response(version())

    async def core(self, request: Request) -> Response:
        """``/api`` and ``/api/v1/...``."""
        parts = [p for p in str(request.path_params.get("path", "")).split("/") if p]
        if not parts:
            return json_response(api_versions())
        if parts[0] != "v1":
            return json_response(status_body(404, _NOT_FOUND), 404)
        if len(parts) == 1:
            return json_response(resource_list("v1", GROUPS[""]["v1"]))
        return await self._handle(request, "v1", parts[1:])

    async def named(self, request: Request) -> Response:
        """``/apis`` and ``/apis/<group>/<version>/...``."""
        parts = [p for p in str(request.path_params.get("path", "")).split("/") if p]
        if not parts:
            return json_response(api_group_list())
        group = parts[0]
        if group not in GROUPS or not group:
            return json_response(status_body(404, _NOT_FOUND), 404)
        if len(parts) == 1:
            return json_response(api_group(group))
        if parts[1] not in GROUPS[group]:
            return json_response(status_body(404, _NOT_FOUND), 404)
        group_version = f"{group}/{parts[1]}"
        if len(parts) == 2:
            return json_response(resource_list(group_version, GROUPS[group][parts[1]]))
        return await self._handle(request, group_version, parts[2:])

    async def _handle(self, request: Request, group_version: str, parts: list[str]) -> Response:
        if not self._authorized(request):
            return json_response(status_body(401, "Unauthorized"), 401)
        try:
            return await self._dispatch(request, parse_target(group_version, parts))
        except K8sEdgeError as exc:
            return error_response(exc)

    async def _dispatch(self, request: Request, target: Target) -> Response:
        method, objects = request.method, self.objects
        if target.name is None:
            if method == "GET" and _watching(request):
                return self._stream(objects.watch(target, request.query_params))
            if method == "GET":
                listed = await run_in_threadpool(
                    objects.list, target, request.query_params, _wants_table(request)
                )
                return json_response(listed)
            if method == "POST":
                created = await run_in_threadpool(objects.create, target, await request.body())
                return json_response(created, 201)
            return not_allowed(method)
        if target.subresource == "binding" and target.info.plural == "pods" and method == "POST":
            bound = await run_in_threadpool(objects.bind, target, await request.body())
            return json_response(bound, 201)
        if method == "GET" and _watching(request):
            return self._stream(objects.watch(target, request.query_params))
        if method == "GET":
            return json_response(
                await run_in_threadpool(objects.get, target, _wants_table(request))
            )
        if method == "DELETE":
            return json_response(await run_in_threadpool(objects.delete, target))
        if method in ("PUT", "PATCH"):
            body = await request.body()
            content_type = request.headers.get("content-type", "")
            updated = await run_in_threadpool(objects.update, target, method, body, content_type)
            return json_response(updated)
        return not_allowed(method)

    @staticmethod
    def _stream(frames: Any) -> Response:
        async def stream() -> AsyncIterator[bytes]:
            async for chunk in iterate_in_threadpool(frames):
                yield chunk

        return StreamingResponse(stream(), media_type="application/json")


def create_kube_app(cluster: Cluster, *, token: str | None = None) -> Starlette:
    """Serve ``cluster`` as the Kubernetes API (bearer ``token`` required if given)."""
    api = KubeAPI(cluster, token)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(
        routes=[
            Route("/version", api.version, methods=["GET"]),
            Route("/api", api.core, methods=methods),
            Route("/api/{path:path}", api.core, methods=methods),
            Route("/apis", api.named, methods=methods),
            Route("/apis/{path:path}", api.named, methods=methods),
        ]
    )
