"""Models of every surface, as attrs classes."""

from .edge import *  # noqa: F403
from .edge import __all__ as _edge_all

__all__ = list(_edge_all)
