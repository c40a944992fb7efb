"""Bearer-token authentication and per-route scopes.

An *admin* may do everything: the server's admin token (an opaque string given with
``--admin-token``), or a JWT with ``scope: admin`` signed by the backend's key. A *node*
token (``POST /security/tokens``) may only read its own node and metrics, heartbeat it and
record its metrics.

The header is read strictly: one ``Authorization`` header, the ``Bearer`` scheme (any case),
one space-separated token of RFC 6750 ``b64token`` characters, at most 8 KiB. Each request is
authenticated once (``Identify``, an ASGI middleware), before rate limiting, so buckets are
keyed by the verified identity (``Principal.key``: the token's subject and ``jti``), never by
the raw header; the routes reuse the result.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import jwt
from attrs import frozen
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ForbiddenError, K8sEdgeError, UnauthorizedError
from ..surfaces.edge.models import TokenValidation

__all__ = [
    "MAX_TOKEN",
    "PRINCIPAL",
    "Authenticator",
    "Identify",
    "Principal",
    "client_key",
    "identify",
    "identify_now",
]

MAX_TOKEN = 8 * 1024
PRINCIPAL = "k8sedge.principal"  # the scope key holding a Principal or the error
_B64TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")

Validate = Callable[[str], tuple[TokenValidation, str | None]]
Call = Callable[..., Awaitable[Any]]


@frozen
class Principal:
    """Who is calling: ``admin``, or ``node`` with the node's id; ``key`` names the verified
    credential (for rate limiting)."""

    role: str
    node_id: str | None = None
    key: str = "admin"

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


def _malformed() -> UnauthorizedError:
    return UnauthorizedError(
        "malformed Authorization header: expected 'Bearer <token>'",
        {"authorization": "malformed"},
    )


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or ``UnauthorizedError``."""
    if not header:
        raise UnauthorizedError(
            "missing Authorization header: send 'Authorization: Bearer <token>'",
            {"authorization": "missing"},
        )
    if len(header) > MAX_TOKEN:
        raise UnauthorizedError(
            f"the Authorization header is longer than {MAX_TOKEN} bytes",
            {"authorization": "too long"},
        )
    scheme, _, token = header.strip(" ").partition(" ")
    token = token.strip(" ")
    if scheme.lower() != "bearer" or not _B64TOKEN.match(token):
        raise _malformed()
    return token


def _token_key(token: str, result: TokenValidation) -> str:
    """``jwt:<sub>:<jti>`` for a verified JWT (its claims, read again without the key)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        claims = {}
    subject = claims.get("sub", result.node_id or "")
    return f"jwt:{subject}:{claims.get('jti', '')}"


class Authenticator:
    """Turns an ``Authorization`` header into a ``Principal`` or raises ``UnauthorizedError``."""

    def __init__(self, admin_token: str | None, validate: Validate) -> None:
        self.admin_token = admin_token.encode() if admin_token else None
        self.validate = validate
        self._keys: dict[str, str] = {}  # rate-limit keys of verified tokens

    def _key(self, token: str, result: TokenValidation) -> str:
        key = self._keys.get(token)
        if key is None:
            if len(self._keys) >= 50_000:
                self._keys.clear()
            key = self._keys[token] = _token_key(token, result)
        return key

    def _opaque(self, token: str) -> Principal | None:
        if self.admin_token is not None and hmac.compare_digest(token.encode(), self.admin_token):
            return ADMIN
        return None

    def _principal(self, token: str, answer: tuple[TokenValidation, str | None]) -> Principal:
        result, scope = answer
        if not result.valid:
            raise UnauthorizedError(
                f"invalid token: {result.reason}", {"authorization": result.reason or "invalid"}
            )
        key = self._key(token, result)
        if scope == "admin":
            return Principal("admin", key=key)
        return Principal("node", result.node_id, key=key)

    def authenticate(self, header: str | None) -> Principal:
        token = bearer_token(header)
        return self._opaque(token) or self._principal(token, self.validate(token))

    async def authenticate_with(self, header: str | None, call: Call) -> Principal:
        """``authenticate``, with the backend's validation run by ``call`` (off the event
        loop when the backend may block)."""
        token = bearer_token(header)
        opaque = self._opaque(token)
        if opaque is not None:
            return opaque
        return self._principal(token, await call(self.validate, token))


def authorization(scope: Scope) -> str | None:
    """The request's ``Authorization`` header; two of them are a malformed request."""
    found: str | None = None
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            if found is not None:
                return "\x00duplicate"
            found = bytes(value).decode("latin-1")
    return found


def client_key(scope: Scope) -> str:
    """The key of an unauthenticated client: its address."""
    client = scope.get("client")
    return "ip:" + (str(client[0]) if client else "unknown")


def identify_now(scope: Scope, auth: Authenticator) -> str | None:
    """``identify`` on the calling thread (its caller already holds the backend); returns
    the ``Authorization`` header."""
    header = authorization(scope)
    if header is not None:
        try:
            scope[PRINCIPAL] = auth.authenticate(header)
        except K8sEdgeError as exc:
            scope[PRINCIPAL] = exc
    return header


async def identify(scope: Scope, auth: Authenticator, call: Call) -> None:
    """Authenticate the request once; keep the ``Principal`` (or the ``UnauthorizedError``)
    in ``scope[PRINCIPAL]`` for rate limiting and the routes."""
    header = authorization(scope)
    if header is not None:
        try:
            scope[PRINCIPAL] = await auth.authenticate_with(header, call)
        except K8sEdgeError as exc:
            scope[PRINCIPAL] = exc


class Identify:
    """ASGI middleware running ``identify`` (when no rate limiter does it)."""

    def __init__(self, app: ASGIApp, auth: Authenticator, call: Call) -> None:
        self.app = app
        self.auth = auth
        self.call = call

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await identify(scope, self.auth, self.call)
        await self.app(scope, receive, send)


def principal_of(scope: Mapping[str, Any], auth: Authenticator, header: str | None) -> Principal:
    """The request's principal: as ``Identify`` found it, else authenticated now."""
    found = scope.get(PRINCIPAL)
    if isinstance(found, Principal):
        return found
    if isinstance(found, K8sEdgeError):
        raise found
    return auth.authenticate(header)
