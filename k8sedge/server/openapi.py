"""``GET /openapi.json``: an OpenAPI 3.1 document derived from the operations' declarations.

Every served operation is there with its path and query parameters, its request body (the
model's schema), every success status it answers and the surface's own error body.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Union

import attrs

from .._ops import Binary, Op, Scope, Source
from .._version import __version__
from .._wire import Surface
from ..quantity import Quantity

__all__ = ["build_openapi"]

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone: the resource version is no longer kept",
    413: "Request body too large",
    429: "Rate limited",
    500: "Internal error",
}


def schema_of(tp: Any, components: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of a type annotation; attrs classes become components."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = (
            schema_of(options[0], components)
            if len(options) == 1
            else {"anyOf": [schema_of(a, components) for a in options]}
        )
        return {"anyOf": [inner, {"type": "null"}]}
    if origin in (list, tuple, Sequence) or tp in (list, tuple):
        args = typing.get_args(tp)
        return {"type": "array", "items": schema_of(args[0], components) if args else {}}
    if origin is dict or tp is dict:
        args = typing.get_args(tp)
        value = schema_of(args[1], components) if args else {}
        return {"type": "object", "additionalProperties": value}
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if tp in simple:
        return {"type": simple[tp]}
    if tp is datetime:
        return {"type": "string", "format": "date-time"}
    if tp is Quantity:
        return {"type": "string", "description": "a Kubernetes quantity, e.g. 100m, 8Gi"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    if isinstance(tp, type) and attrs.has(tp):
        _component(tp, components)
        return {"$ref": f"#/components/schemas/{tp.__name__}"}
    return {}


def _component(cls: type, components: dict[str, Any]) -> None:
    if cls.__name__ in components:
        return
    components[cls.__name__] = {}  # placeholder against recursion
    wire_schema = getattr(cls, "json_schema", None)
    if callable(wire_schema):
        components[cls.__name__] = wire_schema()
        return
    hints = typing.get_type_hints(cls)
    properties = {}
    required = []
    for field in attrs.fields(cls):
        if field.name.startswith("_"):
            continue
        key = field.metadata.get("wire", field.name)
        properties[key] = schema_of(hints[field.name], components)
        if field.default is attrs.NOTHING:
            required.append(key)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    components[cls.__name__] = schema


def _result_schema(op: Op, components: dict[str, Any]) -> dict[str, Any] | None:
    if op.result in (None, type(None)):
        return None
    if op.list_key is not None:
        args = typing.get_args(op.result)
        if getattr(typing.get_origin(op.result), "__name__", "") == "Page":
            from ..surfaces.edge.models import Pagination

            return {
                "type": "object",
                "properties": {
                    op.list_key: {"type": "array", "items": schema_of(args[0], components)},
                    "pagination": schema_of(Pagination, components),
                },
            }
        return {"type": "object", "properties": {op.list_key: schema_of(op.result, components)}}
    return schema_of(op.result, components)


def _operation(
    surface: Surface, op: Op, components: dict[str, Any], method: str = ""
) -> dict[str, Any]:
    dialect = surface.dialect
    method = method or op.method
    operation: dict[str, Any] = {
        "operationId": f"{surface.name}.{op.name}",
        "tags": [surface.name],
        "summary": op.summary,
        "responses": {},
    }
    parameters: list[dict[str, Any]] = []
    body_properties: dict[str, Any] = {}
    body_required: list[str] = []
    body_schema: dict[str, Any] | None = None
    for param in op.params:
        if param.source is Source.BASE_URL:
            continue  # filled in by the server
        if param.source is Source.PATH:
            parameters.append(
                {"name": param.key, "in": "path", "required": True, "schema": {"type": "string"}}
            )
        elif param.source is Source.QUERY:
            if op.stream is not None:
                continue
            entry: dict[str, Any] = {
                "name": param.key,
                "in": "query",
                "schema": schema_of(param.annotation, components),
            }
            if param.required:
                entry["required"] = True
            parameters.append(entry)
        elif param.source is Source.PARAMS:
            mapping = {"type": "object", "additionalProperties": True}
            if method == "GET":
                parameters.append(
                    {
                        "name": param.key,
                        "in": "query",
                        "style": "form",
                        "explode": True,
                        "schema": mapping,
                    }
                )
            else:
                body_schema = mapping
        elif param.source is Source.BODY:
            if param.codec is not None:
                body_schema = schema_of_name(param.codec.schema(), components)
            else:
                body_schema = schema_of(param.annotation, components) or {"type": "object"}
        else:
            body_properties[param.key] = schema_of(param.annotation, components)
            if param.required:
                body_required.append(param.key)
            if param.source is Source.ANY and method == "GET":
                parameters.append(
                    {
                        "name": param.key,
                        "in": "query",
                        "schema": schema_of(param.annotation, components),
                    }
                )
    if op.stream is not None:
        parameters += [
            {"name": name, "in": "query", "schema": {"type": "string"}}
            for name in op.stream.query_names()
        ]
    if parameters:
        operation["parameters"] = parameters
    if body_properties and method != "GET":
        schema: dict[str, Any] = {"type": "object", "properties": body_properties}
        if body_required:
            schema["required"] = body_required
        body_schema = schema if body_schema is None else {"allOf": [body_schema, schema]}
    if body_schema is not None:
        content = {"application/json": {"schema": body_schema}}
        if dialect.form_bodies:
            content["application/x-www-form-urlencoded"] = {"schema": body_schema}
        operation["requestBody"] = {"required": True, "content": content}
    result = dialect.envelope_schema(op, _result_schema(op, components))
    success: dict[str, Any] = {"description": _REASONS.get(op.status, "success")}
    if op.stream is not None:
        success["content"] = {
            "text/event-stream": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "string"}},
        }
    elif op.result is Binary:
        success["content"] = {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
        }
    elif result is not None:
        success["content"] = {"application/json": {"schema": result}}
    operation["responses"][str(op.status)] = success
    error = {
        "description": "error",
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{_error_name(surface)}"}}
        },
    }
    statuses = {400, 404, 413, 429, 500, *op.statuses}
    if op.method != "GET":  # a write may conflict with what is stored (a duplicate name)
        statuses.add(409)
    if op.scope is not Scope.PUBLIC:
        statuses |= {401, 403}
    for status in sorted(statuses):
        operation["responses"][str(status)] = {
            **error,
            "description": _REASONS.get(status, "error"),
        }
    if op.scope is not Scope.PUBLIC:
        operation["security"] = [{"bearer": []}]
    return operation


def schema_of_name(name: str | type | dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A codec's body schema: a JSON schema, a type, or the name of an edge model (the edge
    metrics body is one ``MetricsSample``)."""
    if isinstance(name, dict):
        return name
    if not isinstance(name, str):
        return schema_of(name, components)
    from ..surfaces.edge import models

    return schema_of(getattr(models, name), components)


def _error_name(surface: Surface) -> str:
    return f"{surface.name.title()}Error"


def build_openapi(surfaces: Sequence[Surface], title: str = "k8sedge") -> dict[str, Any]:
    """The OpenAPI document of every served operation of ``surfaces``."""
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for surface in surfaces:
        components[_error_name(surface)] = surface.dialect.error_schema()
        for op in surface.ops:
            if op.local:
                continue
            for path in (op.path, *op.aliases):
                for method in (op.method, *op.other_methods):
                    if method.lower() in paths.get(path, {}):  # an action of a shared path
                        continue
                    paths.setdefault(path, {})[method.lower()] = _operation(
                        surface, op, components, method
                    )
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__},
        "tags": [{"name": s.name, "description": s.summary} for s in surfaces],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
