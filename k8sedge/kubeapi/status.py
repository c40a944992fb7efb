"""``Status`` bodies: how the Kubernetes API answers errors."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from ..errors import K8sEdgeError
from ..kube.validation import InvalidError

__all__ = ["InvalidObjectError", "error_response", "json_response", "not_allowed", "status_body"]

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
}


class InvalidObjectError(K8sEdgeError):
    """An object the API server refuses to store (422 Invalid)."""

    code = "BAD_REQUEST"
    status = 422


def status_body(
    code: int, message: str, reason: str | None = None, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A failure ``Status`` object."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason or REASONS.get(code, "Unknown"),
        "details": details or {},
        "code": code,
    }


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def error_response(exc: K8sEdgeError) -> Response:
    """A k8sedge error as the API server's ``Status``."""
    code = exc.status or 500
    reason = exc.details.get("reason") if isinstance(exc.details.get("reason"), str) else None
    if isinstance(exc, InvalidError):  # an object the API server refuses to store
        code, reason = 422, "Invalid"
    details = {k: v for k, v in exc.details.items() if k in ("name", "kind", "causes")}
    return json_response(status_body(code, exc.message, reason, details), code)


def not_allowed(method: str, allow: list[str]) -> Response:
    """405 ``MethodNotAllowed``, with the ``Allow`` header listing what is."""
    message = f"the server does not allow this method on the requested resource ({method})"
    response = json_response(status_body(405, message, "MethodNotAllowed"), 405)
    response.headers["Allow"] = ", ".join(sorted(allow))
    return response
