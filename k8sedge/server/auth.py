"""Bearer-token authentication and per-route scopes.

An *admin* may do everything: the server's admin token (an opaque string given with
``--admin-token``), or a JWT with ``scope: admin`` signed by the backend's key. A *node*
token (``POST /security/tokens``) may only read its own node and metrics, heartbeat it and
record its metrics. Validated JWTs are cached by token string; expiry and revocation are
still checked on every request.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from attrs import frozen

from ..errors import ForbiddenError, UnauthorizedError
from ..surfaces.edge.models import TokenValidation

__all__ = ["Authenticator", "Principal"]


@frozen
class Principal:
    """Who is calling: ``admin``, or ``node`` with the node's id."""

    role: str
    node_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require_admin(self) -> None:
        if not self.is_admin:
            raise ForbiddenError("this operation needs an admin token", {"scope": "node"})

    def require_node(self, node_id: str) -> None:
        """Admins, or the node itself."""
        if not self.is_admin and self.node_id != node_id:
            raise ForbiddenError("a node token may only act on its own node", {"node_id": node_id})


ADMIN = Principal("admin")


class Authenticator:
    """Turns an ``Authorization`` header into a ``Principal`` or raises ``UnauthorizedError``."""

    def __init__(
        self,
        admin_token: str | None,
        validate: Callable[[str], tuple[TokenValidation, str | None]],
    ) -> None:
        self.admin_token = admin_token.encode() if admin_token else None
        self.validate = validate

    def authenticate(self, header: str | None) -> Principal:
        if not header:
            raise UnauthorizedError(
                "missing Authorization header: send 'Authorization: Bearer <token>'",
                {"authorization": "missing"},
            )
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedError(
                "malformed Authorization header: expected 'Bearer <token>'",
                {"authorization": "malformed"},
            )
        if self.admin_token is not None and hmac.compare_digest(token.encode(), self.admin_token):
            return ADMIN
        result, scope = self.validate(token)
        if not result.valid:
            raise UnauthorizedError(
                f"invalid token: {result.reason}", {"authorization": result.reason or "invalid"}
            )
        if scope == "admin":
            return ADMIN
        return Principal("node", result.node_id)
