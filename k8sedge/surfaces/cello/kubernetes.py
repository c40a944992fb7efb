"""The Cello surface on a Kubernetes cluster.

The same pool as on the memory cluster (``pool.py``), its objects read and written through
the API server: records in ConfigMaps of ``cello-system`` (so a restarted server, or another
replica, sees them), a blockchain cluster as the namespace ``cello-<id>`` with a Deployment
(and, where the API serves them, a Service) per component, a host as a node label selector.
The pods run under ``schedulerName: k8sedge-scheduler`` and are placed by the backend's
engine (the simulator surface's secondary scheduler). Records are replaced with their
``resourceVersion``, so replicas of a server never hand one cluster to two users. Node
readiness is the edge surface's (heartbeats through Leases) and the nodes' Ready condition.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from ...backends.kubernetes import SCHEDULER_NAME, kube_path
from ...errors import NotFoundError
from ...kube.kinds import KindInfo, kind_info
from .pool import CelloPool
from .state import NodeView

__all__ = ["KubernetesCello"]

_SERVICES = KindInfo("services", "Service", "v1", True, "services")
_UNREACHABLE = "node.kubernetes.io/unreachable"


def _info(plural: str) -> KindInfo:
    return _SERVICES if plural == "services" else kind_info(plural)


def _ready(node: dict[str, Any], offline: set[str]) -> bool:
    if node["metadata"]["name"] in offline:
        return False
    for taint in (node.get("spec") or {}).get("taints") or ():
        if taint.get("key") == _UNREACHABLE:
            return False
    for condition in (node.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready" and condition.get("status") in ("False", "Unknown"):
            return False
    return True


class _ApiObjects:
    """The pool's ``Objects`` through the API server (``KubeRest``)."""

    scheduler_name: str | None = SCHEDULER_NAME

    def __init__(self, context: Any) -> None:
        self.context = context
        self.rest = context.rest
        self.seed = int(context.seed)
        self.lock = threading.RLock()  # one operation at a time in this process
        self._served: dict[str, bool] = {}

    @contextmanager
    def transaction(self) -> Iterator[float]:
        with self.lock:
            yield self.context.clock.now()

    def get(self, plural: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        try:
            path = kube_path(_info(plural), namespace, name)
            found: dict[str, Any] = self.rest.request("GET", path)
        except NotFoundError:
            return None
        return found

    def select(
        self, plural: str, namespace: str | None, labels: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        selector = ",".join(f"{k}={v}" for k, v in labels.items())
        query = [("labelSelector", selector)] if selector else []
        try:
            items: list[dict[str, Any]] = self.rest.request(
                "GET", kube_path(_info(plural), namespace), query=query
            )["items"]
        except NotFoundError:  # a namespace that does not exist yet
            return []
        return items

    def create(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        info = _info(plural)
        namespace = obj["metadata"].get("namespace") if info.namespaced else None
        created: dict[str, Any] = self.rest.request("POST", kube_path(info, namespace), obj)
        return created

    def update(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        info = _info(plural)
        meta = obj["metadata"]
        namespace = meta.get("namespace") if info.namespaced else None
        updated: dict[str, Any] = self.rest.request(
            "PUT", kube_path(info, namespace, meta["name"]), obj
        )
        return updated

    def delete(self, plural: str, name: str, namespace: str | None) -> None:
        with suppress(NotFoundError):
            self.rest.request("DELETE", kube_path(_info(plural), namespace, name))

    def nodes(self, now: float) -> list[NodeView]:
        offline: set[str] = self.context.service("edge").offline_names()
        return [
            NodeView(
                n["metadata"]["name"],
                dict(n["metadata"].get("labels") or {}),
                _ready(n, offline),
            )
            for n in self.rest.request("GET", "/api/v1/nodes")["items"]
        ]

    def settle(self) -> bool:
        self.context.service("simulator")._schedule_pending()
        return True

    def serves(self, plural: str) -> bool:
        """Whether the API serves ``plural`` (read once from discovery)."""
        served = self._served.get(plural)
        if served is None:
            info = _info(plural)
            group = "/api/v1" if info.api_version == "v1" else f"/apis/{info.api_version}"
            try:
                resources = self.rest.request("GET", group).get("resources") or []
            except NotFoundError:
                resources = []
            served = self._served[plural] = any(r.get("name") == plural for r in resources)
        return served


class KubernetesCello(CelloPool):
    """Implements ``CelloService`` on a cluster through ``KubeRest``."""

    def __init__(self, context: Any) -> None:
        super().__init__(_ApiObjects(context))
        self.context = context
