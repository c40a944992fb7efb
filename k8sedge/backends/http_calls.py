"""The edge API on the wire: for each backend operation, the HTTP request and how to read
the answer. The sync and async http backends both execute these, so the mapping lives once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from attrs import frozen

from ..errors import InternalError
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
    Pagination,
    RecordResult,
    TokenRequest,
    TokenValidation,
    Workload,
    WorkloadSpec,
    WorkloadUpdate,
)
from ..serde import converter, unstructure

__all__ = ["Call", "EdgeCalls"]

T = TypeVar("T")
PREFIX = "/api/v1"


@frozen
class Call(Generic[T]):
    """One request: method, path, query, JSON body, and the parser of the answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: dict[str, Any] | None = None
    body: Any = None

    @property
    def idempotent(self) -> bool:
        return self.method in ("GET", "PUT", "DELETE", "HEAD", "OPTIONS")


def _model(cls: type[T]) -> Callable[[Any], T]:
    def parse(data: Any) -> T:
        try:
            return converter.structure(data, cls)
        except Exception as exc:
            raise InternalError(
                f"unexpected {cls.__name__} in the server's answer: {exc}",
                {"response": str(data)[:500]},
            ) from None

    return parse


def _page(cls: type[T], key: str, page: int, limit: int) -> Callable[[Any], Page[T]]:
    item = _model(cls)

    def parse(data: Any) -> Page[T]:
        if not isinstance(data, dict):
            raise InternalError("expected a JSON object listing", {"response": str(data)[:500]})
        raw_items = data.get(key, data.get("items"))
        if not isinstance(raw_items, list):
            raise InternalError(f"expected a {key!r} array", {"response": str(data)[:500]})
        items = [item(x) for x in raw_items]
        raw_meta = data.get("pagination")
        if isinstance(raw_meta, dict):
            meta = _model(Pagination)(raw_meta)
        else:  # servers that do not paginate (the spec's own example) answer everything at once
            meta = Pagination(
                total=len(items),
                page=page,
                limit=limit,
                pages=max(1, math.ceil(len(items) / limit)),
            )
        return Page(items, meta)

    return parse


def _quote(segment: str) -> str:
    from urllib.parse import quote

    return quote(segment, safe="")


class EdgeCalls:
    """Builders of ``Call`` for every ``EdgeBackend`` operation."""

    @staticmethod
    def health() -> Call[Health]:
        return Call("GET", f"{PREFIX}/health", _model(Health))

    @staticmethod
    def register_node(request: NodeRegistration) -> Call[Node]:
        return Call("POST", f"{PREFIX}/nodes", _model(Node), body=unstructure(request))

    @staticmethod
    def list_nodes(page: int, limit: int) -> Call[Page[Node]]:
        return Call(
            "GET",
            f"{PREFIX}/nodes",
            _page(Node, "nodes", page, limit),
            params={"page": page, "limit": limit},
        )

    @staticmethod
    def get_node(node_id: str) -> Call[Node]:
        return Call("GET", f"{PREFIX}/nodes/{_quote(node_id)}", _model(Node))

    @staticmethod
    def update_node_status(node_id: str, update: NodeStatusUpdate) -> Call[Node]:
        body = {k: v for k, v in unstructure(update).items() if v is not None}
        return Call(
            "PUT",
            f"{PREFIX}/nodes/{_quote(node_id)}/status",
            _model(Node),
            body=body,
            params={"view": "full"},
        )

    @staticmethod
    def delete_node(node_id: str) -> Call[OperationResult]:
        return Call("DELETE", f"{PREFIX}/nodes/{_quote(node_id)}", _model(OperationResult))

    @staticmethod
    def create_workload(spec: WorkloadSpec) -> Call[Workload]:
        return Call("POST", f"{PREFIX}/workloads", _model(Workload), body=unstructure(spec))

    @staticmethod
    def list_workloads(
        page: int, limit: int, namespace: str | None, status: str | None
    ) -> Call[Page[Workload]]:
        params: dict[str, Any] = {"page": page, "limit": limit}
        if namespace is not None:
            params["namespace"] = namespace
        if status is not None:
            params["status"] = status
        return Call(
            "GET", f"{PREFIX}/workloads", _page(Workload, "workloads", page, limit), params=params
        )

    @staticmethod
    def get_workload(workload_id: str) -> Call[Workload]:
        return Call("GET", f"{PREFIX}/workloads/{_quote(workload_id)}", _model(Workload))

    @staticmethod
    def update_workload(workload_id: str, update: WorkloadUpdate) -> Call[Workload]:
        body = {k: v for k, v in unstructure(update).items() if v is not None}
        return Call("PUT", f"{PREFIX}/workloads/{_quote(workload_id)}", _model(Workload), body=body)

    @staticmethod
    def delete_workload(workload_id: str) -> Call[OperationResult]:
        return Call("DELETE", f"{PREFIX}/workloads/{_quote(workload_id)}", _model(OperationResult))

    @staticmethod
    def deploy_workload(workload_id: str, request: DeployRequest) -> Call[DeployResult]:
        body = {k: v for k, v in unstructure(request).items() if v is not None}
        return Call(
            "POST",
            f"{PREFIX}/workloads/{_quote(workload_id)}/deploy",
            _model(DeployResult),
            body=body,
        )

    @staticmethod
    def get_deployment(workload_id: str, deployment_id: str) -> Call[Deployment]:
        return Call(
            "GET",
            f"{PREFIX}/workloads/{_quote(workload_id)}/deployments/{_quote(deployment_id)}",
            _model(Deployment),
        )

    @staticmethod
    def record_metrics(node_id: str, samples: Sequence[MetricsSample]) -> Call[RecordResult]:
        def plain(sample: MetricsSample) -> dict[str, Any]:
            return {k: v for k, v in unstructure(sample).items() if v is not None}

        body: Any = (
            plain(samples[0]) if len(samples) == 1 else {"samples": [plain(s) for s in samples]}
        )
        return Call(
            "POST", f"{PREFIX}/metrics/nodes/{_quote(node_id)}", _model(RecordResult), body=body
        )

    @staticmethod
    def node_metrics(node_id: str, timeframe: str, resolution: str) -> Call[NodeMetrics]:
        return Call(
            "GET",
            f"{PREFIX}/metrics/nodes/{_quote(node_id)}",
            _model(NodeMetrics),
            params={"timeframe": timeframe, "resolution": resolution},
        )

    @staticmethod
    def all_metrics(timeframe: str, resolution: str) -> Call[AggregatedMetrics]:
        return Call(
            "GET",
            f"{PREFIX}/metrics",
            _model(AggregatedMetrics),
            params={"timeframe": timeframe, "resolution": resolution},
        )

    @staticmethod
    def generate_token(request: TokenRequest) -> Call[IssuedToken]:
        return Call(
            "POST", f"{PREFIX}/security/tokens", _model(IssuedToken), body=unstructure(request)
        )

    @staticmethod
    def validate_token(token: str) -> Call[TokenValidation]:
        return Call(
            "POST",
            f"{PREFIX}/security/tokens/validate",
            _model(TokenValidation),
            body={"token": token},
        )

    @staticmethod
    def revoke_token(token: str) -> Call[OperationResult]:
        return Call(
            "POST",
            f"{PREFIX}/security/tokens/revoke",
            _model(OperationResult),
            body={"token": token},
        )
