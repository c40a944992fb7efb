"""The edge surface on a Kubernetes cluster.

Edge nodes are Nodes labelled ``k8sedge.io/edge=true`` and ``k8sedge.io/id=<id>``, their
registration details in ``k8sedge.io/`` annotations and their resources as capacity and
allocatable; heartbeats renew a Lease in ``kube-node-lease`` (as kubelets do); the token
signing key and the revocations live in Secrets in ``kube-system``; metrics are kept by the
backend in its own process (a ``MetricsStore``); workloads are Deployments and StatefulSets
(``kubernetes_workloads.py``).
"""

from __future__ import annotations

import base64
import contextlib
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from ..._version import __version__
from ...clock import Clock
from ...errors import BadRequestError, ConflictError, NotFoundError
from ...memory.metrics import MetricsStore
from ...memory.tokens import TokenService
from ...pagination import check_page, page_of
from ...timeutil import to_datetime
from .kubernetes_workloads import KubernetesWorkloads
from .models import (
    AggregatedMetrics,
    Deployment,
    DeployRequest,
    DeployResult,
    Health,
    IssuedToken,
    MetricsSample,
    Node,
    NodeMetrics,
    NodeRegistration,
    NodeStatus,
    NodeStatusUpdate,
    OperationResult,
    Page,
    RecordResult,
    TokenRequest,
    TokenValidation,
    Workload,
    WorkloadSpec,
    WorkloadUpdate,
)
from .nodemap import (
    EDGE_LABEL,
    ID_LABEL,
    SEQUENCE,
    STATUS,
    USAGE,
    edge_fields,
    micro_time,
    node_document,
)
from .views import (
    aggregate_view,
    node_metrics_view,
    record_samples,
    token_validation,
    window,
)

__all__ = ["KubernetesEdge"]

EDGE, ID = EDGE_LABEL, ID_LABEL
LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
SECRETS = "/api/v1/namespaces/kube-system/secrets"
KEY_SECRET, REVOKED_SECRET = "k8sedge-token-key", "k8sedge-token-revocations"
_WORKLOADS = (
    "workloads are not mapped onto Deployments on the kubernetes backend yet "
    "(docs/backends/kubernetes.md)"
)


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class KubernetesEdge:
    """Implements ``EdgeBackend`` on a cluster through ``KubeRest``."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.rest = context.rest
        self.clock: Clock = context.clock
        self.grace_period: float = context.grace_period
        self.metrics = MetricsStore()
        self._tokens: TokenService | None = None
        self._workloads: KubernetesWorkloads | None = None

    @property
    def workloads(self) -> KubernetesWorkloads:
        """Workloads as Deployments and StatefulSets (``kubernetes_workloads.py``)."""
        if self._workloads is None:
            self._workloads = KubernetesWorkloads(self, self.context.service("simulator"))
        return self._workloads

    def schedule(self) -> None:
        """Run the secondary scheduler (room for pending replicas, or nodes that changed)."""
        self.context.service("simulator")._schedule_pending()

    # -- what workloads and scheduling need to know about nodes ------------------------------

    def ids_by_name(self) -> dict[str, str]:
        return {n["metadata"]["name"]: n["metadata"]["labels"][ID] for n in self._edge_nodes()}

    def name_of(self, node_id: str) -> str:
        return str(self._node(node_id)["metadata"]["name"])

    def offline_names(self) -> set[str]:
        return {name for name, status in self.statuses().items() if status is NodeStatus.OFFLINE}

    def statuses(self) -> dict[str, NodeStatus]:
        renewals = self._renewals()
        return {
            n["metadata"]["name"]: self._view(n, renewals.get(n["metadata"]["name"])).status
            for n in self._edge_nodes()
        }

    # -- nodes -------------------------------------------------------------------------------

    def _edge_nodes(self, selector: str = f"{EDGE}=true") -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = self.rest.request(
            "GET", "/api/v1/nodes", query=[("labelSelector", selector)]
        )["items"]
        return nodes

    def _node(self, node_id: str) -> dict[str, Any]:
        found = (
            self._edge_nodes(f"{EDGE}=true,{ID}={node_id}")
            if node_id.replace("-", "").isalnum()
            else []
        )
        if not found:
            raise NotFoundError(f"node {node_id!r} not found", {"node_id": node_id})
        return found[0]

    def _renewals(self) -> dict[str, float]:
        renewals: dict[str, float] = {}
        for lease in self.rest.request("GET", LEASES)["items"]:
            renewed = _epoch((lease.get("spec") or {}).get("renewTime"))
            if renewed is not None:
                renewals[lease["metadata"]["name"]] = renewed
        return renewals

    def _view(self, node: dict[str, Any], renewed: float | None) -> Node:
        fields = edge_fields(node)
        registered = fields.registered_at or 0.0
        reported = NodeStatus(fields.status or "registered")
        status = reported
        if reported is not NodeStatus.MAINTENANCE:
            last_seen = renewed if renewed is not None else registered
            if reported is NodeStatus.OFFLINE or self.clock.now() - last_seen > self.grace_period:
                status = NodeStatus.OFFLINE
        return Node(
            id=fields.node_id,
            name=fields.name,
            address=fields.address,
            status=status,
            capabilities=fields.capabilities,
            resources=fields.resources,
            labels=fields.labels,
            usage=fields.usage,
            registered_at=to_datetime(registered),
            last_heartbeat=None if renewed is None else to_datetime(renewed),
        )

    def health(self) -> Health:
        self.rest.request("GET", "/version")
        return Health(
            status="healthy", version=__version__, timestamp=to_datetime(self.clock.now())
        )

    def register_node(self, request: NodeRegistration) -> Node:
        from ...memory.nodes import _validate_name

        _validate_name(request.name)
        for key, quantity in request.resources.items():
            if quantity.value < 0:
                raise BadRequestError(
                    f"resources.{key} must not be negative", {f"resources.{key}": "negative"}
                )
        now = self.clock.now()
        body = node_document(
            node_id=str(uuid.uuid4()),
            name=request.name,
            address=request.address,
            capabilities=list(request.capabilities),
            resources=request.resources,
            labels=request.labels,
            registered_at=now,
            status=NodeStatus.REGISTERED.value,
        )
        body["metadata"]["annotations"][SEQUENCE] = str(time.time_ns())
        try:
            created = self.rest.request("POST", "/api/v1/nodes", body)
        except ConflictError:
            raise ConflictError(
                f"a node named {request.name!r} is already registered", {"name": "already exists"}
            ) from None
        self.schedule()  # room for pending replicas
        return self._view(created, None)

    def list_nodes(self, page: int, limit: int) -> Page[Node]:
        check_page(page, limit)
        nodes = self._edge_nodes()
        nodes.sort(key=lambda n: int((n["metadata"].get("annotations") or {}).get(SEQUENCE, "0")))
        chunk = page_of(nodes, page, limit)
        renewals = self._renewals() if chunk.items else {}
        return Page(
            [self._view(n, renewals.get(n["metadata"]["name"])) for n in chunk.items],
            chunk.pagination,
        )

    def get_node(self, node_id: str) -> Node:
        node = self._node(node_id)
        return self._view(node, self._renewals().get(node["metadata"]["name"]))

    def update_node_status(self, node_id: str, update: NodeStatusUpdate) -> Node:
        node = self._node(node_id)
        name = node["metadata"]["name"]
        for key, quantity in update.resources.items():
            if quantity.value < 0:
                raise BadRequestError(
                    f"resources.{key} must not be negative", {f"resources.{key}": "negative"}
                )
        if update.status is NodeStatus.REGISTERED:
            raise BadRequestError(
                "status cannot be set back to 'registered'",
                {"status": "must be one of 'active', 'maintenance', 'offline'"},
            )
        annotations = node["metadata"].get("annotations") or {}
        reported = NodeStatus(annotations.get(STATUS, "registered"))
        renewed = self._renewals().get(name)
        if update.heartbeat:
            renewed = self.clock.now()
            lease = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": name, "namespace": "kube-node-lease"},
                "spec": {
                    "holderIdentity": name,
                    "leaseDurationSeconds": int(self.grace_period),
                    "renewTime": micro_time(renewed),
                },
            }
            try:
                self.rest.request("PUT", f"{LEASES}/{name}", lease)
            except NotFoundError:
                self.rest.request("POST", LEASES, lease)
            if reported in (NodeStatus.REGISTERED, NodeStatus.OFFLINE):
                reported = NodeStatus.ACTIVE
        if update.status is not None:
            reported = update.status
            if reported is NodeStatus.OFFLINE:
                renewed = None
                self._forget_lease(name)
        usage = orjson.loads(annotations.get(USAGE, "{}"))
        usage.update({k: str(v) for k, v in update.resources.items()})
        patch = {
            "metadata": {
                "annotations": {
                    STATUS: reported.value,
                    USAGE: orjson.dumps(usage).decode(),
                }
            },
            "spec": {"unschedulable": reported is NodeStatus.MAINTENANCE},
        }
        patched = self.rest.request(
            "PATCH", f"/api/v1/nodes/{name}", patch, content_type="application/merge-patch+json"
        )
        if annotations.get(STATUS) != reported.value:
            self.schedule()  # a node that came back, or went into maintenance
        return self._view(patched, renewed)

    def _forget_lease(self, name: str) -> None:
        with contextlib.suppress(NotFoundError):
            self.rest.request("DELETE", f"{LEASES}/{name}")

    def delete_node(self, node_id: str) -> OperationResult:
        node = self._node(node_id)
        name = node["metadata"]["name"]
        self.rest.request("DELETE", f"/api/v1/nodes/{name}")
        self._forget_lease(name)
        self.metrics.forget(node_id)
        # what the pod garbage collector does: pods bound to the gone node are deleted, and
        # their controllers replace them
        for pod in self.rest.request(
            "GET", "/api/v1/pods", query=[("fieldSelector", f"spec.nodeName={name}")]
        )["items"]:
            meta = pod["metadata"]
            with contextlib.suppress(NotFoundError):
                self.rest.request(
                    "DELETE", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
                )
        self.schedule()
        return OperationResult(success=True, message="Node successfully removed")

    # -- workloads (Deployments and StatefulSets: kubernetes_workloads.py) -------------------

    def create_workload(self, spec: WorkloadSpec) -> Workload:
        result: Workload = self.workloads.create(spec)
        return result

    def list_workloads(
        self, page: int, limit: int, namespace: str | None, status: str | None
    ) -> Page[Workload]:
        result: Page[Workload] = self.workloads.list(page, limit, namespace, status)
        return result

    def get_workload(self, workload_id: str) -> Workload:
        result: Workload = self.workloads.get(workload_id)
        return result

    def update_workload(self, workload_id: str, update: WorkloadUpdate) -> Workload:
        result: Workload = self.workloads.update(workload_id, update)
        return result

    def delete_workload(self, workload_id: str) -> OperationResult:
        result: OperationResult = self.workloads.delete(workload_id)
        return result

    def deploy_workload(self, workload_id: str, request: DeployRequest) -> DeployResult:
        result: DeployResult = self.workloads.deploy(workload_id, request)
        return result

    def get_deployment(self, workload_id: str, deployment_id: str) -> Deployment:
        result: Deployment = self.workloads.deployment(workload_id, deployment_id)
        return result

    # -- metrics (kept by the backend) -------------------------------------------------------

    def record_metrics(self, node_id: str, samples: Sequence[MetricsSample]) -> RecordResult:
        self._node(node_id)
        return record_samples(self.metrics, node_id, samples, self.clock.now())

    def node_metrics(self, node_id: str, timeframe: str, resolution: str) -> NodeMetrics:
        query = window(self.clock.now(), timeframe, resolution)
        node = self._node(node_id)
        return node_metrics_view(
            self.metrics, node_id, node["metadata"]["name"], query, timeframe, resolution
        )

    def all_metrics(self, timeframe: str, resolution: str) -> AggregatedMetrics:
        query = window(self.clock.now(), timeframe, resolution)
        names = {i: n for n, i in self.ids_by_name().items()}
        return aggregate_view(self.metrics, names, query, timeframe, resolution)

    # -- tokens (key and revocations in Secrets) ---------------------------------------------

    def _secret(self, name: str) -> dict[str, str] | None:
        try:
            secret = self.rest.request("GET", f"{SECRETS}/{name}")
        except NotFoundError:
            return None
        return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}

    def _token_service(self) -> TokenService:
        if self._tokens is None:
            stored = self._secret(KEY_SECRET)
            if stored is None:
                import secrets

                key = secrets.token_urlsafe(48)
                body = {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "type": "Opaque",
                    "metadata": {"name": KEY_SECRET, "namespace": "kube-system"},
                    "data": {"signing-key": base64.b64encode(key.encode()).decode()},
                }
                try:
                    self.rest.request("POST", SECRETS, body)
                except ConflictError:  # another client created it first
                    key = (self._secret(KEY_SECRET) or {})["signing-key"]
            else:
                key = stored["signing-key"]
            self._tokens = TokenService(self.clock, key)
        tokens = self._tokens
        revoked = self._secret(REVOKED_SECRET) or {}
        tokens._revoked = {jti: float(until) for jti, until in revoked.items()}
        return tokens

    def generate_token(self, request: TokenRequest) -> IssuedToken:
        self._node(request.node_id)
        token, expires = self._token_service().issue(request.node_id, request.expiration)
        return IssuedToken(token=token, expires_at=to_datetime(expires))

    def validate_token(self, token: str) -> TokenValidation:
        claims, reason = self._token_service().decode(token)
        return token_validation(claims, reason, self._exists)

    def _exists(self, node_id: str) -> bool:
        try:
            self._node(node_id)
        except NotFoundError:
            return False
        return True

    def revoke_token(self, token: str) -> OperationResult:
        tokens = self._token_service()
        claims = tokens.revoke(token)
        entry = {
            str(claims["jti"]): base64.b64encode(
                str(tokens._revoked[str(claims["jti"])]).encode()
            ).decode()
        }
        try:
            self.rest.request(
                "PATCH",
                f"{SECRETS}/{REVOKED_SECRET}",
                {"data": entry},
                content_type="application/merge-patch+json",
            )
        except NotFoundError:
            self.rest.request(
                "POST",
                SECRETS,
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "type": "Opaque",
                    "metadata": {"name": REVOKED_SECRET, "namespace": "kube-system"},
                    "data": entry,
                },
            )
        return OperationResult(success=True, message="Token successfully revoked")

    def issue_admin_token(self, expiration: str) -> IssuedToken:
        token, expires = self._token_service().issue("admin", expiration, scope="admin")
        return IssuedToken(token=token, expires_at=to_datetime(expires))
