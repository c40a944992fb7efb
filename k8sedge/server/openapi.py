"""``GET /openapi.json``: an OpenAPI 3.1 description generated from the routes and models."""

from __future__ import annotations

import enum
import types
import typing
from datetime import datetime
from typing import Any, Union

import attrs
from attrs import frozen

from .._version import __version__
from ..models import edge as edge_models
from ..quantity import Quantity

__all__ = ["RouteDoc", "build_openapi"]


@frozen
class RouteDoc:
    method: str
    path: str
    summary: str
    request: str | None = None
    response: str | None = None
    status: int = 200
    list_key: str | None = None
    paginated: bool = False
    query: tuple[str, ...] = ()
    public: bool = False


_ERROR = {
    "type": "object",
    "required": ["error", "code", "message", "details"],
    "properties": {
        "error": {"type": "boolean", "const": True},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "object"},
    },
}
_EXTRA = {
    "TokenBody": {
        "type": "object",
        "required": ["token"],
        "properties": {"token": {"type": "string"}},
    },
    "Error": _ERROR,
}


def _schema(tp: Any, components: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = (
            _schema(options[0], components)
            if len(options) == 1
            else {"anyOf": [_schema(a, components) for a in options]}
        )
        return {"anyOf": [inner, {"type": "null"}]}
    if origin is list:
        return {"type": "array", "items": _schema(typing.get_args(tp)[0], components)}
    if origin is dict:
        return {
            "type": "object",
            "additionalProperties": _schema(typing.get_args(tp)[1], components),
        }
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is datetime:
        return {"type": "string", "format": "date-time"}
    if tp is Quantity:
        return {"type": "string", "description": "a Kubernetes quantity, e.g. 100m, 8Gi"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    if attrs.has(tp):
        _component(tp, components)
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    return {}


def _component(cls: type, components: dict[str, Any]) -> None:
    if cls.__name__ in components:
        return
    components[cls.__name__] = {}  # placeholder against recursion
    hints = typing.get_type_hints(cls)
    properties = {}
    required = []
    for field in attrs.fields(cls):
        properties[field.name] = _schema(hints[field.name], components)
        if field.default is attrs.NOTHING:
            required.append(field.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    components[cls.__name__] = schema


def _ref(name: str, components: dict[str, Any]) -> dict[str, Any]:
    if name in _EXTRA:
        components[name] = _EXTRA[name]
    else:
        _component(getattr(edge_models, name), components)
    return {"$ref": f"#/components/schemas/{name}"}


def build_openapi(docs: list[RouteDoc], title: str = "k8sedge") -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    error = {
        "description": "error",
        "content": {"application/json": {"schema": _ref("Error", components)}},
    }
    for doc in docs:
        operation: dict[str, Any] = {"summary": doc.summary, "responses": {}}
        params = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in _path_params(doc.path)
        ]
        if doc.paginated:
            params += [
                {
                    "name": "page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "default": 1},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                },
            ]
        params += [{"name": q, "in": "query", "schema": {"type": "string"}} for q in doc.query]
        if params:
            operation["parameters"] = params
        if doc.request:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(doc.request, components)}},
            }
        if doc.response:
            schema = _ref(doc.response, components)
            if doc.list_key:
                schema = {
                    "type": "object",
                    "properties": {
                        doc.list_key: {"type": "array", "items": schema},
                        "pagination": _ref("Pagination", components),
                    },
                }
            operation["responses"][str(doc.status)] = {
                "description": "success",
                "content": {"application/json": {"schema": schema}},
            }
        for status in ("400", "404", "429", "500") + (() if doc.public else ("401", "403")):
            operation["responses"][status] = error
        if not doc.public:
            operation["security"] = [{"bearer": []}]
        paths.setdefault(doc.path, {})[doc.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
