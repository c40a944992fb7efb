"""``/openapi/v2`` and ``/openapi/v3`` (with ``/openapi/v3/<group-version>``) for every kind the
kind registry has, so ``kubectl`` validates (``apply``, ``create``, ``replace``, ``edit``)
and ``kubectl explain`` works.

Definitions are upstream's (``schema.py``); paths are written from the registry exactly as
the facade serves them: list, create, ``deletecollection``, get, replace, patch, delete,
``watch``, the ``status`` and ``scale`` subresources and the review resources. Every write
operation takes ``dryRun``, ``fieldManager`` and ``fieldValidation`` (the server validates
strictly, so kubectl sends ``fieldValidation=Strict`` instead of validating itself), patches
also ``force``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from ..kube.kinds import KINDS, KindInfo
from .discovery import GROUPS, REVIEWS, WITH_SCALE, WITH_STATUS
from .schema import KUBE_VERSION, definitions, kind_definition, reachable
from .status import json_response, status_body

__all__ = ["answer", "document_v2", "document_v3", "v3_index"]

_PATCH_TYPES = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
]
_WRITE_PARAMS = [
    ("dryRun", "When present, indicates that modifications should not be persisted."),
    (
        "fieldManager",
        "fieldManager is a name associated with the actor or entity making these changes.",
    ),
    (
        "fieldValidation",
        "fieldValidation instructs the server on how to handle objects in "
        "the request containing unknown or duplicate fields: Ignore, Warn or Strict.",
    ),
]
_LIST_PARAMS = [
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "timeoutSeconds",
    "watch",
]


def _prefix(group_version: str) -> str:
    return f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"


def _gvk(api_version: str, kind: str) -> dict[str, str]:
    group, _, version = api_version.rpartition("/")
    return {"group": group, "version": version, "kind": kind}


class _Writer:
    """Paths and components of one OpenAPI version (2 or 3)."""

    def __init__(self, v3: bool) -> None:
        self.v3 = v3
        self.refs: list[str] = []

    def ref(self, name: str) -> dict[str, Any]:
        self.refs.append(name)
        return {"$ref": ("#/components/schemas/" if self.v3 else "#/definitions/") + name}

    def param(self, name: str, where: str = "query", description: str = "") -> dict[str, Any]:
        param: dict[str, Any] = {"name": name, "in": where, "description": description or name}
        kind = "boolean" if name in ("watch", "allowWatchBookmarks", "force") else "string"
        if name in ("limit", "timeoutSeconds"):
            kind = "integer"
        if where == "path":
            param["required"] = True
        if self.v3:
            param["schema"] = {"type": kind, "uniqueItems": True}
        else:
            param["type"] = kind
            param["uniqueItems"] = True
        return param

    def body(self, schema: dict[str, Any], types: list[str]) -> dict[str, Any]:
        if self.v3:
            return {
                "requestBody": {
                    "content": {t: {"schema": schema} for t in types},
                    "required": True,
                }
            }
        return {
            "consumes": types,
            "parameters": [{"name": "body", "in": "body", "required": True, "schema": schema}],
        }

    def responses(self, schema: dict[str, Any], *codes: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for code in codes:
            if self.v3:
                media = [
                    "application/json",
                    "application/yaml",
                    "application/vnd.kubernetes.protobuf",
                ]
                out[code] = {
                    "description": "OK" if code == "200" else "Created",
                    "content": {m: {"schema": schema} for m in media},
                }
            else:
                out[code] = {"description": "OK", "schema": schema}
        out["401"] = {"description": "Unauthorized"}
        return out

    def operation(
        self,
        action: str,
        op_id: str,
        gvk: dict[str, str],
        schema: dict[str, Any],
        *,
        params: list[dict[str, Any]] | None = None,
        body: list[str] | None = None,
        codes: tuple[str, ...] = ("200",),
    ) -> dict[str, Any]:
        op: dict[str, Any] = {
            "operationId": op_id,
            "description": f"{action} {gvk['kind']}",
            "responses": self.responses(schema, *codes),
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
            "parameters": list(params or []),
        }
        if body is not None:
            extra = self.body(schema, body)
            op["parameters"] += extra.pop("parameters", [])
            op.update(extra)
        if not self.v3:
            op["produces"] = [
                "application/json",
                "application/yaml",
                "application/vnd.kubernetes.protobuf",
            ]
            op["schemes"] = ["https"]
        return op

    def write_params(self, patch: bool = False) -> list[dict[str, Any]]:
        params = [self.param(n, description=d) for n, d in _WRITE_PARAMS]
        if patch:
            params.append(
                self.param("force", description='Force is going to "force" Apply requests.')
            )
        return params

    def kind_paths(self, info: KindInfo) -> dict[str, Any]:
        name = kind_definition(info.api_version, info.kind)
        list_name = kind_definition(info.api_version, f"{info.kind}List")
        if name is None:
            return {}
        gvk = _gvk(info.api_version, info.kind)
        obj = self.ref(name)
        listed = self.ref(list_name) if list_name else obj
        status = self.ref("io.k8s.apimachinery.pkg.apis.meta.v1.Status")
        base = _prefix(info.api_version)
        scoped = (
            f"{base}/namespaces/{{namespace}}/{info.plural}"
            if info.namespaced
            else (f"{base}/{info.plural}")
        )
        shared = [self.param("namespace", "path")] if info.namespaced else []
        item_params = [self.param("name", "path"), *shared]
        op = f"{info.kind}"
        listing = [self.param(n) for n in _LIST_PARAMS]
        paths: dict[str, Any] = {
            scoped: {
                "parameters": shared,
                "get": self.operation("list", f"list{op}", gvk, listed, params=listing),
                "post": self.operation(
                    "post",
                    f"create{op}",
                    gvk,
                    obj,
                    params=self.write_params(),
                    body=[
                        "application/json",
                        "application/yaml",
                        "application/vnd.kubernetes.protobuf",
                    ],
                    codes=("200", "201"),
                ),
                "delete": self.operation(
                    "deletecollection",
                    f"deletecollection{op}",
                    gvk,
                    status,
                    params=[*listing[:6], self.param("dryRun")],
                ),
            },
            f"{scoped}/{{name}}": {
                "parameters": item_params,
                "get": self.operation("get", f"read{op}", gvk, obj),
                "put": self.operation(
                    "put",
                    f"replace{op}",
                    gvk,
                    obj,
                    params=self.write_params(),
                    body=[
                        "application/json",
                        "application/yaml",
                        "application/vnd.kubernetes.protobuf",
                    ],
                    codes=("200", "201"),
                ),
                "patch": self.operation(
                    "patch",
                    f"patch{op}",
                    gvk,
                    obj,
                    params=self.write_params(patch=True),
                    body=_PATCH_TYPES,
                    codes=("200", "201"),
                ),
                "delete": self.operation(
                    "delete", f"delete{op}", gvk, status, params=[self.param("dryRun")]
                ),
            },
        }
        if info.namespaced:
            paths[f"{base}/{info.plural}"] = {
                "get": self.operation(
                    "list", f"list{op}ForAllNamespaces", gvk, listed, params=listing
                )
            }
        subs: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        if info.plural in WITH_STATUS:
            subs.append(("status", gvk, obj))
        scale = kind_definition("autoscaling/v1", "Scale")
        if info.plural in WITH_SCALE and scale:
            subs.append(("scale", _gvk("autoscaling/v1", "Scale"), self.ref(scale)))
        for sub, sub_gvk, schema in subs:
            suffix = sub.capitalize()
            paths[f"{scoped}/{{name}}/{sub}"] = {
                "parameters": item_params,
                "get": self.operation("get", f"read{op}{suffix}", sub_gvk, schema),
                "put": self.operation(
                    "put",
                    f"replace{op}{suffix}",
                    sub_gvk,
                    schema,
                    params=self.write_params(),
                    body=["application/json"],
                ),
                "patch": self.operation(
                    "patch",
                    f"patch{op}{suffix}",
                    sub_gvk,
                    schema,
                    params=self.write_params(patch=True),
                    body=_PATCH_TYPES,
                ),
            }
        return paths

    def review_paths(self, group_version: str) -> dict[str, Any]:
        paths: dict[str, Any] = {}
        for plural, kind, namespaced in REVIEWS.get(group_version, []):
            name = kind_definition(group_version, kind)
            if name is None:
                continue
            where = _prefix(group_version) + (
                f"/namespaces/{{namespace}}/{plural}" if namespaced else f"/{plural}"
            )
            params = [self.param("namespace", "path")] if namespaced else []
            paths[where] = {
                "parameters": params,
                "post": self.operation(
                    "post",
                    f"create{kind}",
                    _gvk(group_version, kind),
                    self.ref(name),
                    params=self.write_params(),
                    body=["application/json"],
                    codes=("201",),
                ),
            }
        return paths

    def schemas(self) -> dict[str, Any]:
        defs = definitions()
        return {name: self._form(defs[name]) for name in reachable(self.refs)}

    def _form(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._form(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = self.ref(node["$ref"])
            rest = {k: self._form(v) for k, v in node.items() if k != "$ref"}
            if rest and self.v3:
                return {"allOf": [ref], **rest}  # as upstream: a ref with siblings
            return {**ref, **rest}
        return {k: self._form(v) for k, v in node.items()}


def _group_versions() -> list[str]:
    return sorted({f"{g}/{v}" if g else v for g, versions in GROUPS.items() for v in versions})


def _kinds(group_version: str) -> list[KindInfo]:
    return [i for i in KINDS.values() if i.api_version == group_version]


def _info(title_version: str) -> dict[str, str]:
    return {"title": "Kubernetes", "version": f"v{KUBE_VERSION}.0-k8sedge"}


@functools.cache
def document_v3(group_version: str) -> bytes:
    """The OpenAPI v3 document of one group version (``apps/v1``, ``v1``)."""
    writer = _Writer(v3=True)
    paths: dict[str, Any] = {}
    for info in _kinds(group_version):
        paths.update(writer.kind_paths(info))
    paths.update(writer.review_paths(group_version))
    doc = {
        "openapi": "3.0.0",
        "info": _info(group_version),
        "paths": paths,
        "components": {"schemas": writer.schemas()},
    }
    return orjson.dumps(doc)


def _url(group_version: str) -> str:
    return "api/v1" if group_version == "v1" else f"apis/{group_version}"


@functools.cache
def v3_index() -> bytes:
    """``/openapi/v3``: each group version's document and its hash."""
    paths = {}
    for group_version in _group_versions():
        digest = hashlib.sha512(document_v3(group_version)).hexdigest().upper()
        url = _url(group_version)
        paths[url] = {"serverRelativeURL": f"/openapi/v3/{url}?hash={digest}"}
    return orjson.dumps({"paths": paths})


@functools.cache
def document_v2() -> bytes:
    """The OpenAPI v2 (Swagger) document of everything served."""
    writer = _Writer(v3=False)
    paths: dict[str, Any] = {}
    for group_version in _group_versions():
        for info in _kinds(group_version):
            paths.update(writer.kind_paths(info))
        paths.update(writer.review_paths(group_version))
    doc = {
        "swagger": "2.0",
        "info": _info("v2"),
        "paths": paths,
        "definitions": writer.schemas(),
        "security": [{"BearerToken": []}],
        "securityDefinitions": {
            "BearerToken": {
                "description": "Bearer Token authentication",
                "in": "header",
                "name": "authorization",
                "type": "apiKey",
            }
        },
    }
    return orjson.dumps(doc)


_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2"


def answer(path: str, headers: Mapping[str, str]) -> Response:
    """The document a path names (404 for a group version not served)."""
    cache = {"Cache-Control": "public, immutable, max-age=31536000"}
    if path == "/openapi/v2":
        if _V2_PROTOBUF in (headers.get("accept") or "") and "json" not in (
            headers.get("accept") or ""
        ):
            message = "the OpenAPI v2 document is served as JSON only (application/json)"
            return json_response(status_body(406, message, "NotAcceptable"), 406)
        return Response(document_v2(), media_type="application/json")
    if path.rstrip("/") == "/openapi/v3":
        return Response(v3_index(), media_type="application/json")
    wanted = path[len("/openapi/v3/") :].strip("/")
    for group_version in _group_versions():
        if _url(group_version) == wanted:
            return Response(
                document_v3(group_version), media_type="application/json", headers=cache
            )
    message = "the server could not find the requested resource"
    return json_response(status_body(404, message), 404)
