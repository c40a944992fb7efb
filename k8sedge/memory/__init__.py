"""The memory cluster: the one simulated cluster the memory backend and the server run on."""

from .core import Cluster

__all__ = ["Cluster"]
