"""The server adapter: any backend served as the documented HTTP APIs (Starlette)."""

from .app import create_app
from .ratelimit import RateLimit, parse_rate_limit

__all__ = ["RateLimit", "create_app", "parse_rate_limit"]
