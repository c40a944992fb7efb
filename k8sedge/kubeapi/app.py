"""The Kubernetes API facade: the memory cluster served through the Kubernetes REST protocol,
so that ``kubectl`` and any Kubernetes client can drive it.

Discovery (``/version``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/<group>/<version>``),
get/list/create/update/patch/delete, ``status`` and ``binding`` subresources, label and field
selectors, ``limit``/``continue``, ``Status`` error bodies, watch (resume from
``resourceVersion``, bookmarks, ``timeoutSeconds``, 410 Expired as an ``ERROR`` event) and
``Table`` answers for ``kubectl get``. Writes go through the simulator service, so pods
created here are scheduled by the engine and carry the simulator's result annotations.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .._version import __version__
from ..errors import BadRequestError, ConflictError, ExpiredError, K8sEdgeError, NotFoundError
from ..kube.kinds import KINDS, KindInfo
from ..kube.patch import apply_patch
from ..kube.selectors import parse_field_selector, parse_label_selector
from ..kube.snapshot import strip_results
from ..kube.store import copy_object
from ..kube.translate import bound_status
from ..memory import Cluster
from .tables import table_for

__all__ = ["create_kube_app"]

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    500: "InternalError",
}


def _status(
    code: int, message: str, reason: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason or _REASONS.get(code, "Unknown"),
        "details": details or {},
        "code": code,
    }


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _error(exc: K8sEdgeError) -> Response:
    code = exc.status or 500
    reason = exc.details.get("reason") if isinstance(exc.details.get("reason"), str) else None
    details = {k: v for k, v in exc.details.items() if k in ("name", "kind")}
    return _json(_status(code, exc.message, reason, details), code)


def _groups() -> dict[str, dict[str, list[KindInfo]]]:
    groups: dict[str, dict[str, list[KindInfo]]] = {}
    for info in KINDS.values():
        group, _, version = info.api_version.rpartition("/")
        groups.setdefault(group, {}).setdefault(version, []).append(info)
    return groups


_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def _resource_list(group_version: str, infos: list[KindInfo]) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for info in infos:
        resources.append(
            {
                "name": info.plural,
                "singularName": info.kind.lower(),
                "namespaced": info.namespaced,
                "kind": info.kind,
                "verbs": _VERBS,
            }
        )
        if info.plural in (
            "pods",
            "nodes",
            "deployments",
            "replicasets",
            "statefulsets",
            "jobs",
            "persistentvolumes",
            "persistentvolumeclaims",
            "namespaces",
        ):
            resources.append(
                {
                    "name": f"{info.plural}/status",
                    "singularName": "",
                    "namespaced": info.namespaced,
                    "kind": info.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
        if info.plural == "pods":
            resources.append(
                {
                    "name": "pods/binding",
                    "singularName": "",
                    "namespaced": True,
                    "kind": "Binding",
                    "verbs": ["create"],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


class _Target:
    """What a request path names."""

    __slots__ = ("info", "name", "namespace", "subresource")

    def __init__(
        self, info: KindInfo, namespace: str | None, name: str | None, subresource: str | None
    ) -> None:
        self.info, self.namespace, self.name, self.subresource = info, namespace, name, subresource


def _parse(group_version: str, parts: list[str]) -> _Target:
    by_plural = {i.plural: i for i in KINDS.values() if i.api_version == group_version}

    def info_of(plural: str) -> KindInfo:
        info = by_plural.get(plural)
        if info is None:
            raise NotFoundError(
                f"the server could not find the requested resource ({plural})", {"kind": plural}
            )
        return info

    if len(parts) >= 3 and parts[0] == "namespaces" and parts[2] in by_plural:
        namespace, plural, rest = parts[1], parts[2], parts[3:]
        return _Target(
            info_of(plural),
            namespace,
            rest[0] if rest else None,
            rest[1] if len(rest) > 1 else None,
        )
    if not parts:
        raise NotFoundError("the server could not find the requested resource", {})
    plural, rest = parts[0], parts[1:]
    return _Target(
        info_of(plural), None, rest[0] if rest else None, rest[1] if len(rest) > 1 else None
    )


def create_kube_app(service: Cluster, *, token: str | None = None) -> Starlette:
    """Serve ``service``'s cluster as the Kubernetes API (bearer ``token`` required if given)."""
    groups = _groups()

    def write(operation: Any, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        """A create or update; an invalid object is 422 Invalid, as the API server says."""
        try:
            result: dict[str, Any] = operation(plural, obj)
        except BadRequestError as exc:
            raise InvalidObjectError(exc.message, exc.details) from None
        return result

    def stored(plural: str, name: str, namespace: str | None) -> dict[str, Any]:
        """The object as stored (no rendered result annotations)."""
        with service.lock:
            return copy_object(service.store.get(plural, name, namespace))

    def rendered(plural: str, target: _Target) -> bool:
        return plural == "pods" and f"{target.namespace or 'default'}/{target.name}" in (
            service.queue.results
        )

    def authorized(request: Request) -> bool:
        if token is None:
            return True
        return request.headers.get("authorization", "") == f"Bearer {token}"

    async def version(request: Request) -> Response:
        return _json(
            {
                "major": "1",
                "minor": "32",
                "gitVersion": "v1.32.0-k8sedge",
                "gitCommit": __version__,
                "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z",
                "goVersion": "go1.23",
                "compiler": "gc",
                "platform": "linux/amd64",
            }
        )

    async def api_root(request: Request) -> Response:
        return _json(
            {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}
                ],
            }
        )

    async def apis_root(request: Request) -> Response:
        listed = []
        for group, versions in sorted(groups.items()):
            if not group:
                continue
            entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
            listed.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
        return _json({"kind": "APIGroupList", "apiVersion": "v1", "groups": listed})

    def items_for(target: _Target, request: Request) -> list[dict[str, Any]]:
        labels = parse_label_selector(request.query_params.get("labelSelector"))
        fields = parse_field_selector(request.query_params.get("fieldSelector"))
        with service.lock:
            return [
                copy_object(o)
                for o in service.store.items(target.info.plural, target.namespace)
                if labels(o) and fields(o)
            ]

    def list_response(target: _Target, request: Request) -> Response:
        items = items_for(target, request)
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        version = str(service.store.version)
        params = request.query_params
        start = 0
        if params.get("continue"):
            try:
                start = int(base64.urlsafe_b64decode(params["continue"].encode()).decode())
            except (ValueError, UnicodeDecodeError):
                raise BadRequestError("invalid continue token", {"continue": "invalid"}) from None
        meta: dict[str, Any] = {"resourceVersion": version}
        limit = params.get("limit")
        if limit:
            try:
                count = int(limit)
            except ValueError:
                raise BadRequestError("limit must be an integer", {"limit": limit}) from None
            if count > 0 and start + count < len(items):
                meta["continue"] = base64.urlsafe_b64encode(str(start + count).encode()).decode()
                meta["remainingItemCount"] = len(items) - start - count
                items = items[start : start + count]
            else:
                items = items[start:]
        else:
            items = items[start:]
        if "as=Table" in request.headers.get("accept", ""):
            return _json(table_for(target.info.plural, items, version))
        return _json(
            {
                "kind": f"{target.info.kind}List",
                "apiVersion": target.info.api_version,
                "metadata": meta,
                "items": items,
            }
        )

    def watch_response(target: _Target, request: Request) -> Response:
        params = request.query_params
        labels = parse_label_selector(params.get("labelSelector"))
        fields = parse_field_selector(params.get("fieldSelector"))
        rv = params.get("resourceVersion") or None
        if rv == "0":
            rv = None
        timeout = float(params["timeoutSeconds"]) if params.get("timeoutSeconds") else None
        bookmarks = params.get("allowWatchBookmarks") in ("true", "1")
        plural, info = target.info.plural, target.info
        deadline = None if timeout is None else time.monotonic() + timeout

        def frames() -> Iterator[bytes]:
            try:
                events = service.watch({plural: rv}, kinds={plural}, heartbeat=1.0, timeout=timeout)
                for item in events:
                    if deadline is not None and time.monotonic() > deadline:
                        return
                    if item is None:
                        if bookmarks:
                            yield (
                                orjson.dumps(
                                    {
                                        "type": "BOOKMARK",
                                        "object": {
                                            "kind": info.kind,
                                            "apiVersion": info.api_version,
                                            "metadata": {
                                                "resourceVersion": str(service.store.version)
                                            },
                                        },
                                    }
                                )
                                + b"\n"
                            )
                        continue
                    _, event, obj = item
                    namespace = obj["metadata"].get("namespace")
                    if target.namespace and namespace != target.namespace:
                        continue
                    if target.name and obj["metadata"]["name"] != target.name:
                        continue
                    if labels(obj) and fields(obj):
                        yield orjson.dumps({"type": event, "object": obj}) + b"\n"
            except ExpiredError as exc:
                yield (
                    orjson.dumps({"type": "ERROR", "object": _status(410, exc.message, "Expired")})
                    + b"\n"
                )

        async def stream() -> AsyncIterator[bytes]:
            async for chunk in iterate_in_threadpool(frames()):
                yield chunk

        return StreamingResponse(stream(), media_type="application/json")

    def body_object(raw: bytes, target: _Target) -> dict[str, Any]:
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequestError(f"malformed JSON: {exc}", {"body": "malformed"}) from None
        if not isinstance(obj, dict):
            raise BadRequestError("the body must be an object", {"body": "not an object"})
        metadata = obj.setdefault("metadata", {})
        if target.info.namespaced and target.namespace:
            given = metadata.get("namespace")
            if given and given != target.namespace:
                raise BadRequestError(
                    "the namespace of the object does not match the request",
                    {"metadata.namespace": given},
                )
            metadata["namespace"] = target.namespace
        return obj

    async def handle(request: Request, group_version: str, parts: list[str]) -> Response:
        if not authorized(request):
            return _json(_status(401, "Unauthorized"), 401)
        try:
            target = _parse(group_version, parts)
            return await dispatch(request, target)
        except K8sEdgeError as exc:
            return _error(exc)

    async def dispatch(request: Request, target: _Target) -> Response:
        method = request.method
        plural = target.info.plural
        if target.name is None:
            if method == "GET":
                if request.query_params.get("watch") in ("1", "true"):
                    return watch_response(target, request)
                return await run_in_threadpool(list_response, target, request)
            if method == "POST":
                obj = body_object(await request.body(), target)
                if plural == "pods":
                    obj.pop("status", None)
                created = await run_in_threadpool(write, service.create, plural, obj)
                return _json(created, 201)
            return _not_allowed(method)
        if target.subresource == "binding" and plural == "pods" and method == "POST":
            return await bind(request, target)
        if method == "GET":
            if request.query_params.get("watch") in ("1", "true"):
                return watch_response(target, request)
            obj = await run_in_threadpool(service.get, plural, target.name, target.namespace)
            if "as=Table" in request.headers.get("accept", ""):
                return _json(table_for(plural, [obj], str(service.store.version)))
            return _json(obj)
        if method == "DELETE":
            deleted = await run_in_threadpool(service.delete, plural, target.name, target.namespace)
            return _json(deleted)
        if method in ("PUT", "PATCH"):
            current = await run_in_threadpool(stored, plural, target.name, target.namespace)
            if method == "PUT":
                obj = body_object(await request.body(), target)
                if rendered(plural, target):
                    strip_results(obj)  # what the facade rendered on read is not state
            else:
                patch = orjson.loads(await request.body() or b"{}")
                obj = apply_patch(request.headers.get("content-type", ""), current, patch)
            if obj["metadata"].get("name") not in (None, target.name):
                raise BadRequestError(
                    "the name of the object does not match the request",
                    {"metadata.name": obj["metadata"].get("name")},
                )
            obj["metadata"]["name"] = target.name
            if target.subresource == "status":
                merged = copy_object(current)
                merged["status"] = obj.get("status", {})
                merged["metadata"]["resourceVersion"] = obj["metadata"].get(
                    "resourceVersion", current["metadata"]["resourceVersion"]
                )
                obj = merged
            elif target.subresource is None and "status" in current:
                obj["status"] = current["status"]  # the main resource ignores status
            if method == "PATCH":
                obj["metadata"].pop("resourceVersion", None)
            updated = await run_in_threadpool(write, service.update, plural, obj)
            return _json(updated)
        return _not_allowed(method)

    async def bind(request: Request, target: _Target) -> Response:
        assert target.name is not None
        binding = orjson.loads(await request.body() or b"{}")
        node = ((binding or {}).get("target") or {}).get("name")
        if not node:
            raise BadRequestError("binding.target.name is required", {"target.name": "required"})
        current = await run_in_threadpool(stored, "pods", target.name, target.namespace)
        if (current.get("spec") or {}).get("nodeName"):
            raise ConflictError(
                f'pod {target.name} is already assigned to node "{current["spec"]["nodeName"]}"',
                {"name": target.name, "kind": "pods", "reason": "Conflict"},
            )
        current["spec"]["nodeName"] = node
        # the simulated kubelet (KWOK in the real simulator) reports the pod running at once
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(service.clock.now()))
        current["status"] = bound_status(current.get("status") or {}, now)
        await run_in_threadpool(service.update, "pods", current)
        return _json(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "code": 201,
            },
            201,
        )

    async def core(request: Request) -> Response:
        path = str(request.path_params.get("path", "")).strip("/")
        parts = [p for p in path.split("/") if p]
        if not parts:
            return await api_root(request)
        if parts[0] != "v1":
            return _json(_status(404, "the server could not find the requested resource"), 404)
        if len(parts) == 1:
            return _json(_resource_list("v1", groups[""]["v1"]))
        return await handle(request, "v1", parts[1:])

    async def named(request: Request) -> Response:
        parts = [p for p in str(request.path_params.get("path", "")).strip("/").split("/") if p]
        if not parts:
            return await apis_root(request)
        group = parts[0]
        if group not in groups or len(parts) < 2 or parts[1] not in groups[group]:
            if len(parts) == 1 and group in groups:
                versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in groups[group]]
                return _json(
                    {
                        "kind": "APIGroup",
                        "apiVersion": "v1",
                        "name": group,
                        "versions": versions,
                        "preferredVersion": versions[0],
                    }
                )
            return _json(_status(404, "the server could not find the requested resource"), 404)
        group_version = f"{group}/{parts[1]}"
        if len(parts) == 2:
            return _json(_resource_list(group_version, groups[group][parts[1]]))
        return await handle(request, group_version, parts[2:])

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(
        routes=[
            Route("/version", version, methods=["GET"]),
            Route("/api", core, methods=methods),
            Route("/api/{path:path}", core, methods=methods),
            Route("/apis", named, methods=methods),
            Route("/apis/{path:path}", named, methods=methods),
        ]
    )


class InvalidObjectError(K8sEdgeError):
    """An object the API server refuses to store (422 Invalid)."""

    code = "BAD_REQUEST"
    status = 422


def _not_allowed(method: str) -> Response:
    message = f"the server does not allow this method on the requested resource ({method})"
    return _json(_status(405, message, "MethodNotAllowed"), 405)
