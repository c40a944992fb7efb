"""The edge orchestrator's operations (``edge-framework-api.md``), declared once.

Every backend implements ``EdgeService``; the server's routes, ``/openapi.json`` and the http
client are derived from these declarations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Protocol

from ..._ops import NON_EMPTY, Scope, op
from ...errors import BadRequestError
from ...serde import structure, unstructure
from ...timeutil import format_timestamp
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

__all__ = ["EdgeService", "heartbeat_answer"]

V1 = "/api/v1"


class MetricsBatch:
    """The metrics body: one sample, or ``{"samples": [...]}`` for a batch."""

    @staticmethod
    def encode(samples: Sequence[MetricsSample]) -> Any:
        def plain(sample: MetricsSample) -> dict[str, Any]:
            return {k: v for k, v in unstructure(sample).items() if v is not None}

        return plain(samples[0]) if len(samples) == 1 else {"samples": [plain(s) for s in samples]}

    @staticmethod
    def decode(body: Any) -> list[MetricsSample]:
        if isinstance(body, dict) and "samples" in body:
            raw = body["samples"]
            if not isinstance(raw, list) or not raw:
                raise BadRequestError("samples must be a non-empty array", {"samples": "invalid"})
            return [structure(s, MetricsSample, what=f"samples[{i}]") for i, s in enumerate(raw)]
        return [structure(body, MetricsSample)]

    @staticmethod
    def schema() -> str:
        return "MetricsSample"


def heartbeat_answer(node: Node, query: Mapping[str, str]) -> Any:
    """The documented heartbeat answer (four fields, for nodes that beat every few seconds);
    ``?view=full`` answers the whole node (what the SDK asks for)."""
    if query.get("view") == "full":
        return None
    beat = node.last_heartbeat
    return {
        "id": node.id,
        "name": node.name,
        "status": node.status.value,
        "last_heartbeat": None if beat is None else format_timestamp(beat),
    }


class EdgeService(Protocol):
    """The edge orchestrator: nodes, workloads, metrics and tokens."""

    @op("GET", f"{V1}/health", scope=Scope.PUBLIC, summary="Health")
    def health(self) -> Health: ...

    # -- nodes -------------------------------------------------------------------------------

    @op("POST", f"{V1}/nodes", status=201, summary="Register node")
    def register_node(self, request: NodeRegistration) -> Node: ...

    @op("GET", f"{V1}/nodes", list_key="nodes", summary="List nodes")
    def list_nodes(self, page: int = 1, limit: int = 20) -> Page[Node]: ...

    @op("GET", f"{V1}/nodes/{{node_id}}", scope=Scope.NODE, summary="Get node details")
    def get_node(self, node_id: str) -> Node: ...

    @op(
        "PUT",
        f"{V1}/nodes/{{node_id}}/status",
        scope=Scope.NODE,
        summary="Update node status (heartbeat)",
        render=heartbeat_answer,
        client_query={"view": "full"},
    )
    def update_node_status(self, node_id: str, update: NodeStatusUpdate) -> Node: ...

    @op("DELETE", f"{V1}/nodes/{{node_id}}", summary="Delete node")
    def delete_node(self, node_id: str) -> OperationResult: ...

    # -- workloads ---------------------------------------------------------------------------

    @op("POST", f"{V1}/workloads", status=201, summary="Create workload")
    def create_workload(self, spec: WorkloadSpec) -> Workload: ...

    @op("GET", f"{V1}/workloads", list_key="workloads", summary="List workloads")
    def list_workloads(
        self,
        page: int = 1,
        limit: int = 20,
        namespace: str | None = None,
        status: str | None = None,
    ) -> Page[Workload]: ...

    @op("GET", f"{V1}/workloads/{{workload_id}}", summary="Get workload details")
    def get_workload(self, workload_id: str) -> Workload: ...

    @op("PUT", f"{V1}/workloads/{{workload_id}}", summary="Update workload")
    def update_workload(self, workload_id: str, update: WorkloadUpdate) -> Workload: ...

    @op("DELETE", f"{V1}/workloads/{{workload_id}}", summary="Delete workload")
    def delete_workload(self, workload_id: str) -> OperationResult: ...

    @op("POST", f"{V1}/workloads/{{workload_id}}/deploy", summary="Deploy workload")
    def deploy_workload(self, workload_id: str, request: DeployRequest) -> DeployResult: ...

    @op(
        "GET",
        f"{V1}/workloads/{{workload_id}}/deployments/{{deployment_id}}",
        summary="Get a deployment's progress",
    )
    def get_deployment(self, workload_id: str, deployment_id: str) -> Deployment: ...

    # -- metrics -----------------------------------------------------------------------------

    @op(
        "POST",
        f"{V1}/metrics/nodes/{{node_id}}",
        scope=Scope.NODE,
        status=201,
        summary='Record node metrics (one sample, or {"samples": [...]})',
        codecs={"samples": MetricsBatch},
    )
    def record_metrics(self, node_id: str, samples: Sequence[MetricsSample]) -> RecordResult: ...

    @op("GET", f"{V1}/metrics/nodes/{{node_id}}", scope=Scope.NODE, summary="Get node metrics")
    def node_metrics(
        self, node_id: str, timeframe: str = "1h", resolution: str = "5m"
    ) -> NodeMetrics: ...

    @op("GET", f"{V1}/metrics", summary="Get all metrics")
    def all_metrics(self, timeframe: str = "1h", resolution: str = "5m") -> AggregatedMetrics: ...

    # -- security ----------------------------------------------------------------------------

    @op("POST", f"{V1}/security/tokens", status=201, summary="Generate token")
    def generate_token(self, request: TokenRequest) -> IssuedToken: ...

    @op(
        "POST",
        f"{V1}/security/tokens/validate",
        summary="Validate token",
        fields=("token",),
    )
    def validate_token(self, token: str) -> TokenValidation: ...

    @op("POST", f"{V1}/security/tokens/revoke", summary="Revoke token", fields=("token",))
    def revoke_token(self, token: Annotated[str, NON_EMPTY]) -> OperationResult: ...

    @op(local=True, summary="Mint an admin token (in-process backends only)")
    def issue_admin_token(self, expiration: str = "365d") -> IssuedToken: ...
