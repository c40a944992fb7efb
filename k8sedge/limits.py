"""What one request may ask of a server: the caps that keep any single request cheap.

The memory cluster enforces ``max_replicas`` and ``max_import_objects`` on every lens (edge
workloads, the Kubernetes facade's workload kinds, simulator imports); the servers enforce
``max_body``. Each is configurable (``create_app(...)``, ``k8sedge serve`` flags) and a
capped request is a clear 4xx in the surface's documented error body (413 for bodies).
"""

from __future__ import annotations

from attrs import define

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_MAX_KUBE_BODY", "Limits"]

DEFAULT_MAX_BODY = 8 * 1024 * 1024  # the documented APIs (a simulator import can be large)
DEFAULT_MAX_KUBE_BODY = 3 * 1024 * 1024  # the Kubernetes API server's own request limit
INT32_MAX = 2**31 - 1  # Kubernetes' replicas, parallelism and completions are int32


@define
class Limits:
    """Caps on what one request may create.

    Attributes:
        max_replicas: replicas of one workload, Deployment, ReplicaSet or StatefulSet, and
            parallelism or completions of one Job (each replica is a pod, created at once).
        max_import_objects: objects one simulator import may carry.
    """

    max_replicas: int = 1_000
    max_import_objects: int = 20_000

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.max_replicas <= INT32_MAX:
            raise ValueError(f"max_replicas must be between 1 and {INT32_MAX}")
        if self.max_import_objects < 1:
            raise ValueError("max_import_objects must be positive")
