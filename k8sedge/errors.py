"""The one exception hierarchy of k8sedge.

Every backend raises the same exception for the same failure, and the server renders
each one as the documented error body ``{"error": true, "code", "message", "details"}``.

    K8sEdgeError
    ├── BadRequestError          BAD_REQUEST          400   (also a ValueError)
    │   └── PayloadTooLargeError PAYLOAD_TOO_LARGE    413
    ├── UnauthorizedError        UNAUTHORIZED         401
    ├── ForbiddenError           FORBIDDEN            403
    ├── NotFoundError            NOT_FOUND            404   (also a LookupError)
    ├── ConflictError            CONFLICT             409
    ├── ExpiredError             EXPIRED              410
    ├── RateLimitedError         RATE_LIMITED         429
    ├── InternalError            INTERNAL_ERROR       500
    ├── UnsupportedError         UNSUPPORTED          501   (also a NotImplementedError)
    ├── ServiceUnavailableError  SERVICE_UNAVAILABLE  503
    └── TransportError           TRANSPORT_ERROR      (no response: connection, timeout)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "BadRequestError",
    "ConflictError",
    "ExpiredError",
    "ForbiddenError",
    "InternalError",
    "K8sEdgeError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "ServiceUnavailableError",
    "TransportError",
    "UnauthorizedError",
    "UnsupportedError",
    "error_for_code",
]


class K8sEdgeError(Exception):
    """Base class: a documented error ``code``, an HTTP ``status`` and field-level ``details``."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def to_body(self) -> dict[str, Any]:
        """The documented error body."""
        return {"error": True, "code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, details={self.details!r})"


class BadRequestError(K8sEdgeError, ValueError):
    """Invalid request parameters; ``details`` names each offending field."""

    code = "BAD_REQUEST"
    status = 400


class PayloadTooLargeError(BadRequestError):
    """The request body is larger than the server accepts."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413


class UnauthorizedError(K8sEdgeError):
    """Authentication failed: missing, malformed, tampered, expired or revoked token."""

    code = "UNAUTHORIZED"
    status = 401


class ForbiddenError(K8sEdgeError):
    """The credentials are valid but do not allow the operation."""

    code = "FORBIDDEN"
    status = 403


class NotFoundError(K8sEdgeError, LookupError):
    """The requested resource does not exist."""

    code = "NOT_FOUND"
    status = 404


class ConflictError(K8sEdgeError):
    """The request conflicts with existing state (duplicate name, stale version)."""

    code = "CONFLICT"
    status = 409


class ExpiredError(K8sEdgeError):
    """A watch asked to resume from a resource version that is no longer kept."""

    code = "EXPIRED"
    status = 410


class RateLimitedError(K8sEdgeError):
    """Too many requests; ``retry_after`` says how many seconds to wait."""

    code = "RATE_LIMITED"
    status = 429

    def __init__(
        self,
        message: str,
        details: Mapping[str, Any] | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after


class InternalError(K8sEdgeError):
    """An unexpected server-side failure."""

    code = "INTERNAL_ERROR"
    status = 500


class UnsupportedError(K8sEdgeError, NotImplementedError):
    """The backend cannot perform this operation faithfully; the message names it."""

    code = "UNSUPPORTED"
    status = 501


class ServiceUnavailableError(K8sEdgeError):
    """The service is temporarily unavailable."""

    code = "SERVICE_UNAVAILABLE"
    status = 503


class TransportError(K8sEdgeError):
    """No usable response: the connection failed or timed out."""

    code = "TRANSPORT_ERROR"
    status = 0


_BY_CODE: dict[str, type[K8sEdgeError]] = {
    cls.code: cls
    for cls in (
        BadRequestError,
        PayloadTooLargeError,
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        ConflictError,
        ExpiredError,
        RateLimitedError,
        InternalError,
        UnsupportedError,
        ServiceUnavailableError,
        TransportError,
    )
}
_BY_STATUS: dict[int, type[K8sEdgeError]] = {
    cls.status: cls for cls in _BY_CODE.values() if cls.status
}


def error_for_code(code: str | None, status: int | None = None) -> type[K8sEdgeError]:
    """The exception class for a documented ``code`` (or, failing that, an HTTP status)."""
    if code is not None and code in _BY_CODE:
        return _BY_CODE[code]
    if status is not None:
        if status in _BY_STATUS:
            return _BY_STATUS[status]
        if 400 <= status < 500:
            return BadRequestError
    return InternalError
