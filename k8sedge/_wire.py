"""Surfaces and their wire dialects.

A ``Surface`` ties together what one documented system is in k8sedge: its service protocol
(the operations, ``_ops.py``), the facade users call (``client.<name>``), its ``Dialect`` and
where its memory view and kubernetes mapping live. A ``Dialect`` is everything about the
wire that differs between systems: how values are encoded (its cattrs converter), the error
body, a success envelope, the list shape, trailing slashes, form bodies — both for the
server (rendering) and for the http client (reading the same bodies back, including the real
servers' variants).
"""

from __future__ import annotations

import importlib
import math
import types
import typing
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import attrs
import cattrs

from ._ops import Op, operations
from .errors import BadRequestError, InternalError, K8sEdgeError, RateLimitedError, error_for_code
from .serde import converter as snake_converter, structure

__all__ = ["Dialect", "Surface", "load"]


class Dialect:
    """The documented wire of one surface (this default: the edge API's conventions)."""

    converter: cattrs.Converter = snake_converter
    trailing_slash = False  # serve ``/path`` and ``/path/`` alike
    form_bodies = False  # read ``application/x-www-form-urlencoded`` bodies too
    prefixes: tuple[str, ...] = ()  # paths whose unknown routes answer in this dialect

    # -- errors ------------------------------------------------------------------------------

    def error(self, exc: K8sEdgeError) -> tuple[int, Any]:
        """The status and body the server answers for ``exc``."""
        return exc.status or 502, exc.to_body()

    def error_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["error", "code", "message", "details"],
            "properties": {
                "error": {"type": "boolean", "const": True},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }

    def read_error(self, status: int, body: Any, text: str) -> K8sEdgeError | None:
        """The exception an answer means (None for a success). Reads the documented body and
        the common variants (``{"message": …}``, DRF's ``{"detail": …}``, ``{"error": "…"}``)."""
        if status < 400:
            return None
        code: str | None = None
        details: dict[str, Any] = {}
        message = text[:500] or f"HTTP {status}"
        if isinstance(body, dict):
            raw_code = body.get("code")
            code = raw_code if isinstance(raw_code, str) else None
            for key in ("message", "detail", "error"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    message = value
                    break
            if isinstance(body.get("details"), dict):
                details = body["details"]
        cls = error_for_code(code, status)
        if cls is RateLimitedError:
            return RateLimitedError(message, details)
        return cls(message, details)

    def query_params(self, request: Any) -> Mapping[str, str]:
        """A request's query parameters (a dialect may read the real clients' misspellings)."""
        params: Mapping[str, str] = request.query_params
        return params

    def pick(self, by_action: Mapping[str, Op], request: Any, body: Any) -> Op:
        """The operation an ``action`` names (in the body, or the query)."""
        action = body.get("action") if isinstance(body, dict) else None
        action = action or self.query_params(request).get("action")
        chosen = by_action.get(action) if isinstance(action, str) else None
        if chosen is None:
            raise BadRequestError("Unknown action type", {"action": str(action)})
        return chosen

    # -- success -----------------------------------------------------------------------------

    def success(self, op: Op, payload: Any) -> tuple[int, Any]:
        """The status and body for a result already encoded as JSON-shaped ``payload``."""
        return op.status, payload

    def unwrap(self, op: Op, body: Any, headers: Mapping[str, str]) -> Any:
        """The result's JSON from a success answer (undoes ``success``; ``headers`` carry
        what some systems answer there, such as a ``Location``)."""
        return body

    def envelope_schema(self, op: Op, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        return schema

    # -- values ------------------------------------------------------------------------------

    def encode(self, value: Any, annotation: Any = Any) -> Any:
        """A value as JSON-shaped data."""
        if value is None:
            return None
        to_wire = getattr(value, "to_dict", None)
        if callable(to_wire):
            return to_wire()
        return self.converter.unstructure(value)

    def decode(self, data: Any, annotation: Any, what: str = "request body") -> Any:
        """JSON-shaped data as ``annotation``; bad data is ``BadRequestError`` naming the field."""
        if annotation is Any or annotation is None or annotation is type(None):
            return data
        from_wire = getattr(annotation, "from_dict", None)
        if callable(from_wire):
            return from_wire(data)
        if isinstance(annotation, type) and attrs.has(annotation):
            return structure(data, annotation, what=what, converter=self.converter)
        origin = typing.get_origin(annotation)
        if origin in (dict, list) or annotation in (dict, list):
            container = origin or annotation
            if not isinstance(data, container):
                kind = "an object" if container is dict else "an array"
                raise BadRequestError(f"{what} must be {kind}", {"body": f"expected {kind}"})
            if typing.get_args(annotation) and typing.get_args(annotation)[-1] is not Any:
                return self.converter.structure(data, annotation)
            return data
        try:
            return self.converter.structure(data, annotation)
        except Exception as exc:
            raise BadRequestError(f"invalid {what}: {exc}", {"body": str(exc)}) from None

    def decode_answer(self, op: Op, data: Any) -> Any:
        """The result of ``op`` from an answer's JSON (a bad answer is ``InternalError``)."""
        try:
            if op.list_key is not None:
                return self._page(op, data)
            return self.decode(data, op.result, what=f"answer of {op.name}")
        except BadRequestError as exc:
            raise InternalError(
                f"unexpected answer to {op.name}: {exc.message}", {"response": str(data)[:500]}
            ) from None

    def encode_result(self, op: Op, result: Any) -> Any:
        if op.list_key is not None and _is_page(op.result):
            return {
                op.list_key: self.encode(result.items),
                "pagination": self.encode(result.pagination),
            }
        if op.list_key is not None:
            return {op.list_key: self.encode(result, op.result)}
        return self.encode(result, op.result)

    def _page(self, op: Op, data: Any) -> Any:
        from .surfaces.edge.models import Page, Pagination

        if not isinstance(data, dict):
            raise BadRequestError("expected a JSON object listing", {"body": "not an object"})
        raw_items = data.get(op.list_key, data.get("items"))
        if not isinstance(raw_items, list):
            raise BadRequestError(f"expected a {op.list_key!r} array", {"body": "no items"})
        if not _is_page(op.result):
            return self.decode(raw_items, op.result, what="items")
        (item_type,) = typing.get_args(op.result) or (Any,)
        items = [self.decode(x, item_type, what="item") for x in raw_items]
        raw_meta = data.get("pagination")
        if isinstance(raw_meta, dict):
            meta = self.decode(raw_meta, Pagination, what="pagination")
        else:  # servers that do not paginate (the spec's own example) answer everything
            limit = max(1, len(items))
            meta = Pagination(total=len(items), page=1, limit=limit, pages=1)
        return Page(items, meta)

    def decode_query(self, raw: str, annotation: Any, name: str) -> Any:
        """A query parameter (text) as ``annotation`` (``int``, ``float``, ``bool``, ``str``,
        enums and their optionals)."""
        base = _optional_base(annotation)
        try:
            if base is bool:
                if raw.lower() in ("1", "true", "yes"):
                    return True
                if raw.lower() in ("0", "false", "no", ""):
                    return False
                raise ValueError(raw)
            if base is int:
                value = int(raw)
                if abs(value) > 2**63 - 1:
                    raise ValueError(raw)
                return value
            if base is float:
                number = float(raw)
                if not math.isfinite(number):
                    raise ValueError(raw)
                return number
            if isinstance(base, type) and issubclass(base, str) and base is not str:
                return base(raw)
        except ValueError:
            kind = {bool: "a boolean", int: "an integer", float: "a number"}.get(base, "valid")
            raise BadRequestError(f"{name} must be {kind}", {name: f"must be {kind}"}) from None
        return raw


def _is_page(annotation: Any) -> bool:
    origin = typing.get_origin(annotation) or annotation
    return getattr(origin, "__name__", "") == "Page"


def _optional_base(annotation: Any) -> Any:
    """``int`` for ``int | None``; ``str`` for other unions."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else str
    return annotation


class Surface:
    """One documented system: its name on the client, service protocol, facade and dialect,
    and where its memory view and kubernetes mapping live (``"module:Class"``, loaded lazily)."""

    def __init__(
        self,
        name: str,
        *,
        service: type,
        api: type,
        dialect: Dialect,
        memory: str,
        kubernetes: str,
        summary: str = "",
    ) -> None:
        self.name = name
        self.service = service
        self.api = api
        self.dialect = dialect
        self.memory = memory
        self.kubernetes = kubernetes
        self.summary = summary

    def __repr__(self) -> str:
        return f"Surface({self.name!r})"

    @cached_property
    def ops(self) -> tuple[Op, ...]:
        return operations(self.service)

    @cached_property
    def by_name(self) -> Mapping[str, Op]:
        return {o.name: o for o in self.ops}


def load(reference: str) -> Any:
    """``"package.module:Name"`` → the object."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)
