"""Token-bucket rate limiting per client, as a plain ASGI middleware.

Buckets are keyed by the verified identity (``auth.Identify`` runs first) or, for requests
without a valid token, by the client's address; at most ``max_keys`` buckets are kept, the
least recently used forgotten first, at O(1) per request.

Every response carries ``X-RateLimit-Limit`` (the bucket size), ``X-RateLimit-Remaining``
(whole tokens left) and ``X-RateLimit-Reset`` (epoch seconds at which the bucket is full
again, as in the spec's example). A refused request gets 429, the documented error body
and ``Retry-After`` (seconds until one token is available).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import PRINCIPAL, Principal, client_key

__all__ = ["RateLimit", "RateLimitMiddleware", "RateLimiter", "parse_rate_limit"]

DEFAULT_RATE_LIMIT = "600/minute"
_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)\s*$")


class RateLimit:
    """``capacity`` tokens, refilled continuously over ``period`` seconds."""

    def __init__(self, capacity: int, period: float) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("a rate limit needs a positive count and period")
        self.capacity = capacity
        self.period = period
        self.rate = capacity / period

    def __repr__(self) -> str:
        return f"RateLimit({self.capacity}/{self.period:g}s)"


def parse_rate_limit(text: str | None) -> RateLimit | None:
    """``"600/minute"``, ``"50/second"``, ``"1000/hour"``; ``"off"`` (or None) disables it."""
    if text is None or text.strip().lower() == "off":
        return None
    match = _SPEC.match(text)
    if match is None:
        raise ValueError(
            f"invalid rate limit {text!r}: use e.g. '600/minute', '50/second' or 'off'"
        )
    return RateLimit(int(match.group(1)), _PERIODS[match.group(2)])


class _Buckets:
    """Token buckets by key, the least recently used forgotten beyond ``max_keys`` (O(1))."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float], max_keys: int = 100_000):
        self.limit = limit
        self.clock = clock
        self.max_keys = max_keys
        self.state: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> tuple[bool, float, float]:
        """(allowed, tokens left, now); safe from the event loop and worker threads."""
        with self._lock:
            return self._take(key)

    def _take(self, key: str) -> tuple[bool, float, float]:
        now = self.clock()
        limit = self.limit
        state = self.state
        tokens, at = state.pop(key, (float(limit.capacity), now))
        tokens = min(float(limit.capacity), tokens + max(0.0, now - at) * limit.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        state[key] = (tokens, now)
        if len(state) > self.max_keys:
            state.popitem(last=False)
        return allowed, tokens, now


def _client_key(scope: Scope) -> str:
    """The verified identity ``Identify`` found (a token's subject and jti), else the
    client's address: never the raw header, so spellings of one token share a bucket."""
    principal = scope.get(PRINCIPAL)
    if isinstance(principal, Principal):
        return principal.key
    return client_key(scope)


class RateLimiter:
    """The buckets and the answers: ``admit`` a request (its headers, or the seconds to wait),
    ``refuse`` it with 429. The middleware and the heartbeat fast path share it."""

    def __init__(
        self, limit: RateLimit, clock: Callable[[], float] = time.time, max_keys: int = 100_000
    ) -> None:
        self.limit = limit
        self.buckets = _Buckets(limit, clock, max_keys)
        self._limit_header = (b"x-ratelimit-limit", b"%d" % limit.capacity)

    def admit(self, scope: Scope) -> tuple[list[tuple[bytes, bytes]], int | None]:
        """The ``X-RateLimit-*`` headers for the request, and None if it may go on (else the
        ``Retry-After`` seconds)."""
        limit = self.limit
        allowed, tokens, now = self.buckets.take(_client_key(scope))
        reset = math.ceil(now + (limit.capacity - tokens) / limit.rate)
        headers = [
            self._limit_header,
            (b"x-ratelimit-remaining", b"%d" % tokens),
            (b"x-ratelimit-reset", b"%d" % reset),
        ]
        if allowed:
            return headers, None
        return headers, max(1, math.ceil((1.0 - tokens) / limit.rate))

    async def refuse(
        self, send: Send, headers: list[tuple[bytes, bytes]], retry_after: int
    ) -> None:
        """Answer 429 with the documented error body and ``Retry-After``."""
        status, headers, body = self.refusal(headers, retry_after)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def refusal(
        self, headers: list[tuple[bytes, bytes]], retry_after: int
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The 429 answer: status, headers and the documented error body."""
        limit = self.limit
        body = json.dumps(
            {
                "error": True,
                "code": "RATE_LIMITED",
                "message": f"rate limit of {limit.capacity} requests per "
                f"{limit.period:g} s exceeded; retry in {retry_after} s",
                "details": {"retry_after": retry_after},
            }
        ).encode()
        return (
            429,
            [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
                *headers,
            ],
            body,
        )


class RateLimitMiddleware:
    """Applies one token bucket per verified identity (or per client address without one)."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        exempt: frozenset[str] = frozenset(),
        identify: Callable[[Scope], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.identify = identify  # authenticates first (one middleware layer, not two)
        self.limiter = limiter
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        if self.identify is not None:
            await self.identify(scope)
        headers, retry_after = self.limiter.admit(scope)
        if retry_after is not None:
            await self.limiter.refuse(send, headers, retry_after)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", ())) + headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
