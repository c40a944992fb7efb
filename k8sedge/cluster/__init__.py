"""The memory cluster: the simulated cluster the memory backend and the server run on."""

from .state import Cluster

__all__ = ["Cluster"]
