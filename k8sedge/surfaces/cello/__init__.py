"""The Cello surface (``cello-api-v2.md``): a pool of blockchain clusters that users apply
for and release, on hosts that operators fill; under ``/v2`` and the dashboard's ``/api``.

Its wire is Cello's envelope, ``{"status": "OK"|"FAIL", "code", "error", "data"}``: HTTP 200
for every success (``code`` says 200 or 201), HTTP 400 for every failure with the real code
in the body (404 for an unknown id) — except that authentication (401, 403), rate limits
(429) and server errors keep their HTTP status. The client reads ``status`` and ``code``
from the body. Parameters come from the query, a form or a JSON body alike; query and form
values are text, read as the numbers and flags they spell.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ..._ops import Op
from ..._wire import Dialect, Surface
from ...errors import BadRequestError, K8sEdgeError, RateLimitedError, error_for_code
from ...serde import make_converter
from .api import CelloAPI
from .models import Cluster, Host
from .service import CelloService
from .validation import parse_selector

__all__ = ["SURFACE", "CelloAPI", "CelloDialect", "CelloService"]

_MODELS: tuple[type[Cluster] | type[Host], ...] = (Cluster, Host)
_TRUE, _FALSE = ("true", "on", "1", "yes"), ("false", "off", "0", "no", "")
_KEEP_STATUS = (401, 403, 429)
# the real server's message for a value it cannot read
_INVALID = {"size": "Invalid cluster_size"}


def _converter() -> Any:
    conv = make_converter()
    for model in _MODELS:
        conv.register_unstructure_hook(model, model.to_dict)
        conv.register_structure_hook(model, lambda data, cls: cls.from_dict(data))
    return conv


def _base(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return args[0] if len(args) == 1 else annotation
    return annotation


class CelloDialect(Dialect):
    """Cello's envelope, its parameters from query, form or JSON, and its actions."""

    converter = _converter()
    form_bodies = True
    prefixes = ("/v2", "/api/cluster", "/api/host")

    # -- requests ----------------------------------------------------------------------------

    def query_params(self, request: Any) -> Mapping[str, str]:
        """The query; the spec's ``?action=apply?user_id=x`` spelling reads as two params."""
        raw = request.scope.get("query_string", b"").decode("latin-1")
        if "?" not in raw:
            return super().query_params(request)
        return dict(parse_qsl(raw.replace("?", "&"), keep_blank_values=True))

    def pick(self, by_action: Mapping[str, Op], request: Any, body: Any) -> Op:
        """The action of the query (first, as the real ``request_get``), form or JSON."""
        action: Any = self.query_params(request).get("action")
        if not action and isinstance(body, dict):
            action = body.get("action")
        chosen = by_action.get(action) if isinstance(action, str) else None
        if chosen is not None:
            return chosen
        if any(o.path == "/api/host_op" for o in by_action.values()):
            raise BadRequestError(f"unknown host action={action}", {"action": str(action)})
        raise BadRequestError("Unknown action type", {"action": str(action)})

    def decode(self, data: Any, annotation: Any, what: str = "request body") -> Any:
        """Values as Cello reads them: text from a query or form is a number or a flag."""
        base = _base(annotation)
        origin = typing.get_origin(base)
        if origin is list and isinstance(data, list):
            (item,) = typing.get_args(base) or (Any,)
            if item in _MODELS:
                return [item.from_dict(x) for x in data]
        if origin is dict and isinstance(data, str):
            return parse_selector(data)
        if base in (int, bool) and (isinstance(data, str) or (base is int and _is_bool(data))):
            return self._scalar(data, base, what)
        return super().decode(data, annotation, what)

    def _scalar(self, data: Any, base: Any, what: str) -> Any:
        text = str(data).strip()
        if base is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
        else:
            try:
                if not _is_bool(data):
                    return int(text)
            except ValueError:
                pass
        kind = "a boolean" if base is bool else "an integer"
        message = _INVALID.get(what, f"{what} must be {kind}")
        raise BadRequestError(message, {what: f"must be {kind}"})

    # -- answers -----------------------------------------------------------------------------

    def success(self, op: Op, payload: Any) -> tuple[int, Any]:
        data = {} if payload is None else payload
        return 200, {"status": "OK", "code": op.status, "error": "", "data": data}

    def unwrap(self, op: Op, body: Any, headers: Mapping[str, str]) -> Any:
        if isinstance(body, dict) and body.get("status") == "OK" and "data" in body:
            return body["data"]
        return body

    def error(self, exc: K8sEdgeError) -> tuple[int, Any]:
        code = exc.status or 502
        http = code if code in _KEEP_STATUS or code >= 500 else 400
        return http, {"status": "FAIL", "code": code, "error": exc.message, "data": exc.details}

    def read_error(self, status: int, body: Any, text: str) -> K8sEdgeError | None:
        if not (isinstance(body, dict) and body.get("status") == "FAIL"):
            return super().read_error(status, body, text)
        code = body.get("code")
        cls = error_for_code(None, code if isinstance(code, int) and code >= 400 else 400)
        message = str(body.get("error") or f"HTTP {status}")
        details = body.get("data") if isinstance(body.get("data"), dict) else {}
        if cls is RateLimitedError:
            return RateLimitedError(message, details)
        return cls(message, details)

    def envelope_schema(self, op: Op, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        return _envelope("OK", schema or {})

    def error_schema(self) -> dict[str, Any]:
        return _envelope("FAIL", {"type": "object"})


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _envelope(status: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["status", "code", "error", "data"],
        "properties": {
            "status": {"type": "string", "const": status},
            "code": {"type": "integer"},
            "error": {"type": "string"},
            "data": data,
        },
    }


SURFACE = Surface(
    "cello",
    service=CelloService,
    api=CelloAPI,
    dialect=CelloDialect(),
    memory="k8sedge.surfaces.cello.memory:MemoryCello",
    kubernetes="k8sedge.surfaces.cello.kubernetes:KubernetesCello",
    summary="Cello: a pool of blockchain clusters users apply for and release; hosts",
)
