"""JWT tokens for nodes and administrators (PyJWT, HS256 pinned).

Claims: ``sub`` (the node id, or ``admin``), ``scope`` (``node`` or ``admin``), ``iat``,
``exp``, ``jti``, ``iss``. Expiry is checked against the injected clock with a 30 s
leeway. Revocation is by ``jti`` and lasts until the token would have expired anyway,
so the deny list stays bounded.
"""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import jwt

from ..clock import Clock
from ..errors import BadRequestError
from ..timeutil import parse_duration

__all__ = ["ADMIN_SUBJECT", "Claims", "TokenService"]

ALGORITHM = "HS256"
ISSUER = "k8sedge"
ADMIN_SUBJECT = "admin"
MAX_EXPIRATION = 366 * 86400
LEEWAY = 30.0
MAX_CACHED = 50_000

Claims = dict[str, Any]


def _seconds(value: Any) -> float | None:
    """A NumericDate (RFC 7519): a JSON number, finite and within the Unix era's range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not -(2**53) < value < 2**53:  # beyond what a float holds exactly (and absurd)
        return None
    seconds = float(value)
    return seconds if math.isfinite(seconds) else None


class TokenService:
    """Issues, validates and revokes tokens with one signing key."""

    def __init__(self, clock: Clock, secret: bytes | str | None = None) -> None:
        self.clock = clock
        if isinstance(secret, str):
            secret = secret.encode()
        if secret is not None and len(secret) < 32:
            raise ValueError("the token secret must be at least 32 bytes (RFC 7518 §3.2)")
        self.secret = secret or secrets.token_bytes(32)
        self._revoked: dict[str, float] = {}
        self.on_revoke: Callable[[str, float], None] | None = None  # a data directory's hook
        # signature-checked tokens with well-formed claims, by token string: (claims, exp, iat)
        self._verified: dict[str, tuple[Claims, float, float]] = {}

    def issue(self, subject: str, expiration: str, scope: str = "node") -> tuple[str, float]:
        seconds = parse_duration(expiration, field="expiration")
        if seconds > MAX_EXPIRATION:
            raise BadRequestError(
                "expiration must be at most 366d", {"expiration": "must be at most 366d"}
            )
        now = self.clock.now()
        expires = int(now + seconds)
        claims = {
            "sub": subject,
            "scope": scope,
            "iat": int(now),
            "exp": expires,
            "jti": uuid.uuid4().hex,
            "iss": ISSUER,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM), float(expires)

    def decode(self, token: str) -> tuple[Claims | None, str | None]:
        """The claims of a valid token, or ``(None, reason)``; never raises."""
        if not isinstance(token, str) or not token:
            return None, "malformed token"
        cached = self._verified.get(token)
        if cached is not None:
            return self._check_time(*cached)
        try:
            claims: Claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={
                    "require": ["exp", "iat", "jti", "sub"],
                    "verify_exp": False,  # checked below against the injected clock
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            return None, _reason(exc)
        exp, iat = _seconds(claims.get("exp")), _seconds(claims.get("iat"))
        if exp is None or iat is None:
            return None, "exp and iat must be numbers of seconds"
        if exp < iat or exp - iat > MAX_EXPIRATION + LEEWAY:
            return None, "exp is out of range"
        if not isinstance(claims.get("jti"), str) or not isinstance(claims.get("sub"), str):
            return None, "jti and sub must be strings"
        if len(self._verified) >= MAX_CACHED:
            self._verified.clear()
        self._verified[token] = (claims, exp, iat)
        return self._check_time(claims, exp, iat)

    def _check_time(
        self, claims: Claims, exp: float, iat: float
    ) -> tuple[Claims | None, str | None]:
        """Expiry, issue time and revocation: checked on every use, cached or not."""
        now = self.clock.now()
        if now > exp + LEEWAY:
            return None, "token expired"
        if iat > now + LEEWAY:
            return None, "token issued in the future"
        if claims["jti"] in self._revoked:
            return None, "token revoked"
        return claims, None

    def revoke(self, token: str) -> Claims:
        """Deny a valid token until its expiry; raises ``BadRequestError`` if invalid."""
        claims, reason = self.decode(token)
        if claims is None:
            raise BadRequestError(f"cannot revoke: {reason}", {"token": str(reason)})
        self._prune()
        jti, until = str(claims["jti"]), float(claims["exp"]) + LEEWAY
        self._revoked[jti] = until
        if self.on_revoke is not None:
            self.on_revoke(jti, until)
        return claims

    def restore_revocations(self, revoked: dict[str, float]) -> None:
        """Revocations kept by a data directory (the expired ones are dropped)."""
        self._revoked.update(revoked)
        self._prune()

    def _prune(self) -> None:
        now = self.clock.now()
        for jti in [j for j, until in self._revoked.items() if until < now]:
            del self._revoked[jti]

    @property
    def revoked_count(self) -> int:
        self._prune()
        return len(self._revoked)


def _reason(exc: Exception) -> str:
    """What is wrong with a token, in words (not PyJWT's exception text)."""
    if isinstance(exc, jwt.InvalidSignatureError):
        return "invalid signature: the token was not signed by this server"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return f"token not signed with {ALGORITHM}"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"token lacks the {exc.claim!r} claim"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "token issued by another issuer"
    return "malformed token: not a JWT"
