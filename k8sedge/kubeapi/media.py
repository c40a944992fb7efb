"""Media types: what a request body is written in, and what an answer is written in.

Bodies may be JSON, YAML or Kubernetes protobuf; patches are JSON patch, merge patch,
strategic merge patch or apply patch (YAML); anything else is 415 ``UnsupportedMediaType``.
An answer is protobuf when the client prefers it (``Accept``) and the object has a protobuf
form, YAML when asked for only YAML, and JSON otherwise; a client that accepts none of these
gets 406 ``NotAcceptable``. Errors are always JSON ``Status`` bodies (every client decodes
them by their ``Content-Type``).
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..errors import BadRequestError, K8sEdgeError
from .protobuf import PROTOBUF, ProtobufError, decode, encode

__all__ = [
    "APPLY_PATCH",
    "PATCH_TYPES",
    "NotAcceptableError",
    "UnsupportedMediaTypeError",
    "collect_warnings",
    "media_type",
    "read_body",
    "respond",
    "warn",
]

MAX_WARNINGS = 50
_warnings: ContextVar[list[str] | None] = ContextVar("k8sedge_kube_warnings", default=None)


def collect_warnings() -> None:
    """Start collecting this request's warnings (its task's context; worker threads the
    request runs in share the list), answered as ``Warning`` headers by ``respond``."""
    _warnings.set([])


def warn(message: str) -> None:
    """A warning for the client (``Warning: 299 - "<message>"``, as kube-apiserver sends
    them and kubectl prints them); ignored outside a request."""
    collected = _warnings.get()
    if collected is not None and len(collected) < MAX_WARNINGS and message not in collected:
        collected.append(message)


JSON = "application/json"
YAML = "application/yaml"
APPLY_PATCH = "application/apply-patch+yaml"
BODY_TYPES = (JSON, YAML, PROTOBUF)
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    APPLY_PATCH,
    "application/strategic-merge-patch+json",
)


class UnsupportedMediaTypeError(K8sEdgeError):
    """415: a body in a media type the server does not read."""

    code = "BAD_REQUEST"
    status = 415


class NotAcceptableError(K8sEdgeError):
    """406: the client accepts no media type the server writes."""

    code = "BAD_REQUEST"
    status = 406


def media_type(header: str | None) -> str:
    """The bare media type of a ``Content-Type`` (no parameters, lower case)."""
    return (header or "").split(";")[0].strip().lower()


def _unsupported(given: str, accepted: tuple[str, ...]) -> UnsupportedMediaTypeError:
    return UnsupportedMediaTypeError(
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}",
        {"reason": "UnsupportedMediaType", "content-type": given[:100]},
    )


def yaml_load(raw: bytes) -> Any:
    """A YAML (or JSON) document; malformed is 400."""
    import yaml

    try:
        return yaml.safe_load(raw) if raw.strip() else {}
    except yaml.YAMLError as exc:
        raise BadRequestError(f"malformed YAML: {exc}", {"body": "malformed"}) from None


def read_body(raw: bytes, content_type: str | None, *, patch: bool = False) -> Any:
    """A request body as a JSON value, read in its media type (415 if unknown)."""
    kind = media_type(content_type)
    if patch:
        if kind not in PATCH_TYPES:
            raise _unsupported(kind, PATCH_TYPES)
        if kind == APPLY_PATCH:
            return yaml_load(raw)
        kind = JSON
    elif kind in ("", "*/*"):
        kind = JSON
    if kind == JSON:
        try:
            return orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError as exc:
            raise BadRequestError(f"malformed JSON: {exc}", {"body": "malformed"}) from None
    if kind in (YAML, "application/x-yaml", "text/yaml"):
        return yaml_load(raw)
    if kind == PROTOBUF:
        return decode(raw)
    raise _unsupported(kind, BODY_TYPES)


def _accepted(header: str) -> list[str]:
    """Media types of an ``Accept`` header in preference order (q-values respected)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if pieces[0] and q > 0:
            ranked.append((-q, i, pieces[0].lower()))
    return [kind for _, _, kind in sorted(ranked)]


def _choose(header: str | None) -> str:
    if not header or not header.strip():
        return JSON
    for kind in _accepted(header):
        if kind in (JSON, "application/*", "*/*", "application/json-seq"):
            return JSON
        if kind in (PROTOBUF, YAML):
            return kind
    raise NotAcceptableError(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf",
        {"reason": "NotAcceptable"},
    )


def respond(request: Request, data: Any, status: int = 200) -> Response:
    """``data`` in the media type the client prefers, with the request's warnings."""
    response = _respond(request, data, status)
    for message in _warnings.get() or ():
        response.headers.append("Warning", f"299 - {json.dumps(message)}")
    return response


def _respond(request: Request, data: Any, status: int) -> Response:
    kind = _choose(request.headers.get("accept"))
    if kind == PROTOBUF and isinstance(data, dict) and data.get("kind") != "Table":
        try:
            return Response(encode(data), status_code=status, media_type=PROTOBUF)
        except ProtobufError:
            pass  # no protobuf form (e.g. a kind this version does not know): JSON
    if kind == YAML:
        import yaml

        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        return Response(text, status_code=status, media_type=YAML)
    return Response(orjson.dumps(data), status_code=status, media_type=JSON)
