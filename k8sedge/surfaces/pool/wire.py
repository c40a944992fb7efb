"""The resource pool's wire: its converter and its dialect.

Bodies are the Go server's JSON: camelCase where the RAML says so (``usedPercent``,
``hostNetworking``, ``startTime``), the Go tags elsewhere (``iowait``, ``initprocesses``).
Errors are ``{"error": "<message>"}``. Answers without a body (204, 201 and 202) carry what
they mean in the status and the ``Location`` header. Read leniently, as the real servers
answered: ``null`` for an empty list, ``environment`` for ``env``, ``name`` for a
container's ``id``, one ``MemInfo`` object instead of the spec's one-element array, and a
job id from the ``Location`` of a started process.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ..._ops import Op
from ..._wire import Dialect
from ...errors import InternalError, K8sEdgeError
from ...serde import make_converter

__all__ = ["PoolDialect", "pool_converter"]


def _wire_name(attribute: Any) -> str:
    return str(attribute.metadata.get("wire", attribute.name))


def make_pool_converter() -> cattrs.Converter:
    """Strict structuring (``k8sedge.serde``), with the pool's field names and aliases."""
    conv = make_converter()

    def structure_factory(cls: Any) -> Any:
        fields = attrs.fields(cls)
        overrides: dict[str, Any] = {a.name: override(rename=_wire_name(a)) for a in fields}
        inner = make_dict_structure_fn(cls, conv, **overrides)
        aliases = [(_wire_name(a), a.metadata.get("aliases", ())) for a in fields]
        optional = {_wire_name(a) for a in fields if a.default is not attrs.NOTHING}

        def hook(value: Any, _: Any) -> Any:
            if not isinstance(value, dict):
                raise ValueError(f"expected an object for {cls.__name__}")
            data = dict(value)
            for wire, names in aliases:
                if wire not in data:
                    for name in names:
                        if name in data:
                            data[wire] = data.pop(name)
                            break
            for key in optional:  # Go's nil slices and absent pointers
                if key in data and data[key] is None:
                    del data[key]
            return inner(data, cls)

        return hook

    def unstructure_factory(cls: Any) -> Any:
        overrides: dict[str, Any] = {
            a.name: override(rename=_wire_name(a), omit_if_default=a.default is None)
            for a in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **overrides)

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return conv


pool_converter = make_pool_converter()


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list or annotation is list


class PoolDialect(Dialect):
    """``{"error": "<message>"}`` bodies, bare JSON answers, ``/nodes…`` paths."""

    converter = pool_converter
    prefixes = ("/nodes",)

    def error(self, exc: K8sEdgeError) -> tuple[int, Any]:
        return exc.status or 502, {"error": exc.message}

    def error_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}},
        }

    def success(self, op: Op, payload: Any) -> tuple[int, Any]:
        if op.status in (201, 202, 204):  # the answer is the status (and the Location)
            return op.status, None
        return op.status, payload

    def envelope_schema(self, op: Op, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if op.status in (201, 202, 204) else schema

    def unwrap(self, op: Op, body: Any, headers: Mapping[str, str]) -> Any:
        if op.location is not None and op.result is str:  # the id is the Location's tail
            if isinstance(body, str) and body:
                return body
            if isinstance(body, dict) and isinstance(body.get("id"), str):
                return body["id"]
            location = headers.get("location", "")
            if not location:
                raise InternalError(
                    f"{op.name}: the server answered without a Location", {"operation": op.name}
                )
            return location.rstrip("/").rsplit("/", 1)[-1]
        if body is None and _is_list(op.result):
            return []
        if isinstance(body, dict) and _is_list(op.result):  # MemInfo, not [MemInfo]
            return [body]
        return body
