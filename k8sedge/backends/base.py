"""The backend protocols: the minimal typed operations of each surface.

A backend implements them with models in and models out, and raises the errors of
``k8sedge.errors``. The client is a thin layer over these, so a new backend plugs in
without touching it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..models.edge import (
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

__all__ = ["AsyncEdgeBackend", "Backend", "EdgeBackend"]


class EdgeBackend(Protocol):
    """The edge orchestrator surface."""

    def health(self) -> Health: ...

    def register_node(self, request: NodeRegistration) -> Node: ...

    def list_nodes(self, page: int, limit: int) -> Page[Node]: ...

    def get_node(self, node_id: str) -> Node: ...

    def update_node_status(self, node_id: str, update: NodeStatusUpdate) -> Node: ...

    def delete_node(self, node_id: str) -> OperationResult: ...

    def create_workload(self, spec: WorkloadSpec) -> Workload: ...

    def list_workloads(
        self, page: int, limit: int, namespace: str | None, status: str | None
    ) -> Page[Workload]: ...

    def get_workload(self, workload_id: str) -> Workload: ...

    def update_workload(self, workload_id: str, update: WorkloadUpdate) -> Workload: ...

    def delete_workload(self, workload_id: str) -> OperationResult: ...

    def deploy_workload(self, workload_id: str, request: DeployRequest) -> DeployResult: ...

    def get_deployment(self, workload_id: str, deployment_id: str) -> Deployment: ...

    def record_metrics(self, node_id: str, samples: Sequence[MetricsSample]) -> RecordResult: ...

    def node_metrics(self, node_id: str, timeframe: str, resolution: str) -> NodeMetrics: ...

    def all_metrics(self, timeframe: str, resolution: str) -> AggregatedMetrics: ...

    def generate_token(self, request: TokenRequest) -> IssuedToken: ...

    def validate_token(self, token: str) -> TokenValidation: ...

    def revoke_token(self, token: str) -> OperationResult: ...


class AsyncEdgeBackend(Protocol):
    """The edge surface for asyncio code (same operations, awaitable)."""

    async def health(self) -> Health: ...

    async def register_node(self, request: NodeRegistration) -> Node: ...

    async def list_nodes(self, page: int, limit: int) -> Page[Node]: ...

    async def get_node(self, node_id: str) -> Node: ...

    async def update_node_status(self, node_id: str, update: NodeStatusUpdate) -> Node: ...

    async def delete_node(self, node_id: str) -> OperationResult: ...

    async def create_workload(self, spec: WorkloadSpec) -> Workload: ...

    async def list_workloads(
        self, page: int, limit: int, namespace: str | None, status: str | None
    ) -> Page[Workload]: ...

    async def get_workload(self, workload_id: str) -> Workload: ...

    async def update_workload(self, workload_id: str, update: WorkloadUpdate) -> Workload: ...

    async def delete_workload(self, workload_id: str) -> OperationResult: ...

    async def deploy_workload(self, workload_id: str, request: DeployRequest) -> DeployResult: ...

    async def get_deployment(self, workload_id: str, deployment_id: str) -> Deployment: ...

    async def record_metrics(
        self, node_id: str, samples: Sequence[MetricsSample]
    ) -> RecordResult: ...

    async def node_metrics(self, node_id: str, timeframe: str, resolution: str) -> NodeMetrics: ...

    async def all_metrics(self, timeframe: str, resolution: str) -> AggregatedMetrics: ...

    async def generate_token(self, request: TokenRequest) -> IssuedToken: ...

    async def validate_token(self, token: str) -> TokenValidation: ...

    async def revoke_token(self, token: str) -> OperationResult: ...


class Backend(Protocol):
    """A backend: one object per surface, and a way to release resources."""

    @property
    def edge(self) -> EdgeBackend: ...

    def close(self) -> None: ...
