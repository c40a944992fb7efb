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

import hmac
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..errors import BadRequestError, K8sEdgeError
from ..limits import DEFAULT_MAX_KUBE_BODY
from ..memory import Cluster
from ..server.auth import bearer_token
from ..server.limits import BodyLimit
from . import health, openapi
from .discovery import (
    GROUPS,
    REVIEWS,
    api_group,
    api_group_list,
    api_versions,
    resource_list,
    version,
)
from .eviction import evict
from .media import APPLY_PATCH, collect_warnings, media_type, read_body, respond
from .objects import dry_run
from .paths import REFUSED, Target, parse_target
from .protobuf import PROTOBUF
from .refusals import refuse
from .reviews import review
from .status import error_response, json_response, not_allowed, status_body
from .verbs import Objects

__all__ = ["KubeAPI", "create_kube_app"]

_NOT_FOUND = "the server could not find the requested resource"
log = logging.getLogger("k8sedge.kubeapi")


def _watching(request: Request) -> bool:
    return request.query_params.get("watch") in ("1", "true")


def _manager(request: Request) -> str:
    """The field manager of a write: ``fieldManager``, else the user agent's first word (as
    kube-apiserver derives it)."""
    given = request.query_params.get("fieldManager")
    if given:
        return given[:128]
    agent = request.headers.get("user-agent") or "unknown"
    return agent.split("/")[0][:128]


def _protobuf_watch(request: Request) -> bool:
    """Whether a watch prefers protobuf frames (``Accept``'s first type)."""
    first = (request.headers.get("accept") or "").split(",")[0]
    return media_type(first) == PROTOBUF


class KubeAPI:
    """The facade's endpoints over one cluster."""

    def __init__(self, cluster: Cluster, token: str | None = None) -> None:
        self.objects = Objects(cluster)
        self.cluster = cluster
        self.token = token.encode() if token else None

    def _authorized(self, request: Request) -> bool:
        if self.token is None:
            return True
        headers = request.headers.getlist("authorization")
        if len(headers) != 1:
            return False
        try:
            token = bearer_token(headers[0])
        except K8sEdgeError:
            return False
        return hmac.compare_digest(token.encode(), self.token)

    async def version(self, request: Request) -> Response:
        return json_response(version())

    async def health(self, request: Request) -> Response:
        """``/healthz``, ``/livez``, ``/readyz`` and their checks (``?verbose``)."""
        return health.answer(request.url.path, request.query_params, self.cluster)

    async def openapi(self, request: Request) -> Response:
        """``/openapi/v2`` and ``/openapi/v3[/<group-version>]``."""
        if not self._authorized(request):
            return json_response(status_body(401, "Unauthorized"), 401)
        return await run_in_threadpool(openapi.answer, request.url.path, request.headers)

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
            reviewed = await self._review(request, group_version, parts)
            if reviewed is not None:
                return reviewed
            return await self._dispatch(request, parse_target(group_version, parts))
        except K8sEdgeError as exc:
            return error_response(exc)

    async def _body(self, request: Request, *, patch: bool = False) -> Any:
        raw = await request.body()
        if not patch and request.method == "DELETE" and not raw.strip():
            return None
        return read_body(raw, request.headers.get("content-type"), patch=patch)

    async def _review(
        self, request: Request, group_version: str, parts: list[str]
    ) -> Response | None:
        """The create-only review resources and the top-level ``bindings``."""
        served = {plural for plural, _, _ in REVIEWS.get(group_version, [])}
        namespace = None
        if len(parts) == 3 and parts[0] == "namespaces":
            namespace, parts = parts[1], parts[2:]
        if len(parts) != 1 or parts[0] not in served:
            return None
        if request.method != "POST":
            return not_allowed(request.method, ["POST"])
        body = await self._body(request)
        if parts[0] == "bindings":
            if namespace is None:
                raise BadRequestError("bindings are created in a namespace", {"namespace": ""})
            name = ((body if isinstance(body, dict) else {}).get("metadata") or {}).get("name")
            if not isinstance(name, str) or not name:
                raise BadRequestError("a Binding names its pod", {"metadata.name": "required"})
            pod = parse_target("v1", ["namespaces", namespace, "pods", name, "binding"])
            bound = await run_in_threadpool(self.objects.bind, pod, body)
            return respond(request, bound, 201)
        return respond(request, review(group_version, parts[0], body), 201)

    async def _dispatch(self, request: Request, target: Target) -> Response:
        collect_warnings()
        method, objects, params = request.method, self.objects, request.query_params
        dry = dry_run(params) if method != "GET" else False
        table = objects.table_request(request.headers.get("accept"), params)
        protobuf = _protobuf_watch(request)
        if target.name is None:
            if method == "GET" and _watching(request):
                return self._stream(await objects.watch(target, params, table, protobuf))
            if method == "GET":
                listed = await run_in_threadpool(objects.list, target, params, table)
                return respond(request, listed)
            if method == "POST" and (target.namespace or not target.info.namespaced):
                body = await self._body(request)
                created = await run_in_threadpool(
                    objects.create, target, body, dry, params, _manager(request)
                )
                return respond(request, created, 201)
            if method == "DELETE":
                body = await self._body(request)
                deleted = await run_in_threadpool(
                    objects.delete_collection, target, params, body, dry
                )
                return respond(request, deleted)
            allow = ["GET", "POST"] if target.namespace or not target.info.namespaced else ["GET"]
            return not_allowed(method, [*allow, "DELETE"])
        if target.subresource in REFUSED:
            return await run_in_threadpool(refuse, objects, target)
        if target.subresource == "eviction":
            if method != "POST":
                return not_allowed(method, ["POST"])
            return await evict(self.objects.cluster, target, await self._body(request), dry)
        if target.subresource == "binding":
            if method != "POST":
                return not_allowed(method, ["POST"])
            bound = await run_in_threadpool(objects.bind, target, await self._body(request))
            return respond(request, bound, 201)
        if target.subresource == "scale":
            if method == "GET":
                return respond(request, await run_in_threadpool(objects.scale, target))
            if method in ("PUT", "PATCH"):
                content_type = request.headers.get("content-type")
                body = await self._body(request, patch=method == "PATCH")
                scaled = await run_in_threadpool(
                    objects.rescale, target, method, body, media_type(content_type), dry
                )
                return respond(request, scaled)
            return not_allowed(method, ["GET", "PATCH", "PUT"])
        if method == "GET" and _watching(request) and target.subresource is None:
            return self._stream(await objects.watch(target, params, table, protobuf))
        if method == "GET":
            got = await run_in_threadpool(objects.get, target, table, params)
            return respond(request, got)
        if method == "DELETE" and target.subresource is None:
            body = await self._body(request)
            deleted = await run_in_threadpool(objects.delete, target, body, dry, params)
            return respond(request, deleted)
        if method in ("PUT", "PATCH"):
            content_type = media_type(request.headers.get("content-type"))
            body = await self._body(request, patch=method == "PATCH")
            if method == "PATCH" and content_type == APPLY_PATCH:
                applied, new = await run_in_threadpool(objects.apply, target, body, params, dry)
                return respond(request, applied, 201 if new else 200)
            updated = await run_in_threadpool(
                objects.update, target, method, body, content_type, dry, params, _manager(request)
            )
            return respond(request, updated)
        if target.subresource is None:
            return not_allowed(method, ["DELETE", "GET", "PATCH", "PUT"])
        return not_allowed(method, ["GET", "PATCH", "PUT"])

    @staticmethod
    def _stream(stream: tuple[AsyncIterator[bytes], str]) -> Response:
        """A watch: waits on the event loop (no thread), ends when the client goes."""
        frames, content_type = stream
        return StreamingResponse(frames, media_type=content_type)


def create_kube_app(
    cluster: Cluster, *, token: str | None = None, max_body: int = DEFAULT_MAX_KUBE_BODY
) -> Starlette:
    """Serve ``cluster`` as the Kubernetes API (bearer ``token`` required if given); request
    bodies over ``max_body`` bytes are 413 ``RequestEntityTooLarge``."""
    api = KubeAPI(cluster, token)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            allow = ["GET"] if request.url.path == "/version" else methods
            return not_allowed(request.method, allow)
        return json_response(status_body(exc.status_code, _NOT_FOUND), exc.status_code)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return json_response(status_body(500, "an internal error occurred"), 500)

    def too_large(scope: Any) -> Response:
        message = f"the request body is larger than {max_body} bytes"
        return json_response(status_body(413, message), 413)

    return Starlette(
        routes=[
            Route("/version", api.version, methods=["GET"]),
            *[
                Route(path, api.health, methods=["GET"])
                for base in ("/healthz", "/livez", "/readyz")
                for path in (base, base + "/{check:path}")
            ],
            Route("/openapi/v2", api.openapi, methods=["GET"]),
            Route("/openapi/v3", api.openapi, methods=["GET"]),
            Route("/openapi/v3/{path:path}", api.openapi, methods=["GET"]),
            Route("/api", api.core, methods=methods),
            Route("/api/{path:path}", api.core, methods=methods),
            Route("/apis", api.named, methods=methods),
            Route("/apis/{path:path}", api.named, methods=methods),
        ],
        middleware=[Middleware(BodyLimit, max_body=max_body, respond=too_large)],
        exception_handlers={HTTPException: on_http_error, Exception: on_unexpected},
    )
