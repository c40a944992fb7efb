"""The edge API's routes (``/api/v1/...``) over any ``EdgeBackend``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..backends.base import EdgeBackend
from ..errors import BadRequestError
from ..models.edge import (
    DeployRequest,
    MetricsSample,
    NodeRegistration,
    NodeStatusUpdate,
    TokenRequest,
    WorkloadSpec,
    WorkloadUpdate,
)
from ..pagination import DEFAULT_LIMIT
from ..serde import structure
from ..timeutil import format_timestamp
from .auth import Authenticator, Principal
from .http import Call, json_body, json_bytes_response, json_response, query_int, query_str
from .openapi import RouteDoc

__all__ = ["edge_routes"]

T = TypeVar("T")
PREFIX = "/api/v1"


def _token_field(body: dict[str, Any], *, allow_empty: bool = False) -> str:
    token = body.get("token")
    if not isinstance(token, str) or not (token or allow_empty):
        raise BadRequestError("token is required", {"token": "must be a non-empty string"})
    return token


def edge_routes(
    backend: EdgeBackend, auth: Authenticator, call: Call
) -> tuple[list[Route], list[RouteDoc]]:
    """Routes and their documentation for the edge surface."""
    routes: list[Route] = []
    docs: list[RouteDoc] = []

    def route(
        method: str,
        path: str,
        *,
        scope: str,
        doc: RouteDoc,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            async def endpoint(request: Request) -> Response:
                principal: Principal | None = None
                if scope != "public":
                    principal = auth.authenticate(request.headers.get("authorization"))
                    if scope == "admin":
                        principal.require_admin()
                    elif scope == "node":
                        principal.require_node(request.path_params["node_id"])
                result: Response = await handler(request)
                return result

            routes.append(Route(PREFIX + path, endpoint, methods=[method]))
            docs.append(doc)
            return handler

        return register

    # -- health ------------------------------------------------------------------------------

    @route(
        "GET",
        "/health",
        scope="public",
        doc=RouteDoc("GET", "/api/v1/health", "Health", response="Health", public=True),
    )
    async def health(request: Request) -> Response:
        return json_response(await call(backend.health))

    # -- nodes -------------------------------------------------------------------------------

    @route(
        "POST",
        "/nodes",
        scope="admin",
        doc=RouteDoc(
            "POST",
            "/api/v1/nodes",
            "Register node",
            request="NodeRegistration",
            response="Node",
            status=201,
        ),
    )
    async def register_node(request: Request) -> Response:
        body = structure(await json_body(request), NodeRegistration)
        return json_response(await call(backend.register_node, body), status=201)

    @route(
        "GET",
        "/nodes",
        scope="admin",
        doc=RouteDoc(
            "GET", "/api/v1/nodes", "List nodes", response="Node", list_key="nodes", paginated=True
        ),
    )
    async def list_nodes(request: Request) -> Response:
        page = query_int(request, "page", 1)
        limit = query_int(request, "limit", DEFAULT_LIMIT)
        result = await call(backend.list_nodes, page, limit)
        return json_response({"nodes": result.items, "pagination": result.pagination})

    @route(
        "GET",
        "/nodes/{node_id}",
        scope="node",
        doc=RouteDoc("GET", "/api/v1/nodes/{node_id}", "Get node details", response="Node"),
    )
    async def get_node(request: Request) -> Response:
        return json_response(await call(backend.get_node, request.path_params["node_id"]))

    @route(
        "PUT",
        "/nodes/{node_id}/status",
        scope="node",
        doc=RouteDoc(
            "PUT",
            "/api/v1/nodes/{node_id}/status",
            "Update node status (heartbeat)",
            request="NodeStatusUpdate",
            response="Node",
        ),
    )
    async def update_status(request: Request) -> Response:
        update = structure(await json_body(request), NodeStatusUpdate)
        node_id = request.path_params["node_id"]
        node = await call(backend.update_node_status, node_id, update)
        if request.query_params.get("view") == "full":
            return json_response(node)
        # the documented heartbeat answer: small, for nodes that beat every few seconds
        return json_bytes_response(
            orjson.dumps(
                {
                    "id": node.id,
                    "name": node.name,
                    "status": node.status.value,
                    "last_heartbeat": None
                    if node.last_heartbeat is None
                    else format_timestamp(node.last_heartbeat),
                }
            )
        )

    @route(
        "DELETE",
        "/nodes/{node_id}",
        scope="admin",
        doc=RouteDoc(
            "DELETE", "/api/v1/nodes/{node_id}", "Delete node", response="OperationResult"
        ),
    )
    async def delete_node(request: Request) -> Response:
        return json_response(await call(backend.delete_node, request.path_params["node_id"]))

    # -- workloads ---------------------------------------------------------------------------

    @route(
        "POST",
        "/workloads",
        scope="admin",
        doc=RouteDoc(
            "POST",
            "/api/v1/workloads",
            "Create workload",
            request="WorkloadSpec",
            response="Workload",
            status=201,
        ),
    )
    async def create_workload(request: Request) -> Response:
        spec = structure(await json_body(request), WorkloadSpec)
        return json_response(await call(backend.create_workload, spec), status=201)

    @route(
        "GET",
        "/workloads",
        scope="admin",
        doc=RouteDoc(
            "GET",
            "/api/v1/workloads",
            "List workloads",
            response="Workload",
            list_key="workloads",
            paginated=True,
            query=("namespace", "status"),
        ),
    )
    async def list_workloads(request: Request) -> Response:
        page = query_int(request, "page", 1)
        limit = query_int(request, "limit", DEFAULT_LIMIT)
        namespace = query_str(request, "namespace")
        status = query_str(request, "status")
        result = await call(backend.list_workloads, page, limit, namespace, status)
        return json_response({"workloads": result.items, "pagination": result.pagination})

    @route(
        "GET",
        "/workloads/{workload_id}",
        scope="admin",
        doc=RouteDoc(
            "GET", "/api/v1/workloads/{workload_id}", "Get workload details", response="Workload"
        ),
    )
    async def get_workload(request: Request) -> Response:
        return json_response(await call(backend.get_workload, request.path_params["workload_id"]))

    @route(
        "PUT",
        "/workloads/{workload_id}",
        scope="admin",
        doc=RouteDoc(
            "PUT",
            "/api/v1/workloads/{workload_id}",
            "Update workload",
            request="WorkloadUpdate",
            response="Workload",
        ),
    )
    async def update_workload(request: Request) -> Response:
        update = structure(await json_body(request), WorkloadUpdate)
        workload_id = request.path_params["workload_id"]
        return json_response(await call(backend.update_workload, workload_id, update))

    @route(
        "DELETE",
        "/workloads/{workload_id}",
        scope="admin",
        doc=RouteDoc(
            "DELETE",
            "/api/v1/workloads/{workload_id}",
            "Delete workload",
            response="OperationResult",
        ),
    )
    async def delete_workload(request: Request) -> Response:
        workload_id = request.path_params["workload_id"]
        return json_response(await call(backend.delete_workload, workload_id))

    @route(
        "POST",
        "/workloads/{workload_id}/deploy",
        scope="admin",
        doc=RouteDoc(
            "POST",
            "/api/v1/workloads/{workload_id}/deploy",
            "Deploy workload",
            request="DeployRequest",
            response="DeployResult",
        ),
    )
    async def deploy_workload(request: Request) -> Response:
        deploy = structure(await json_body(request, allow_empty=True), DeployRequest)
        workload_id = request.path_params["workload_id"]
        return json_response(await call(backend.deploy_workload, workload_id, deploy))

    @route(
        "GET",
        "/workloads/{workload_id}/deployments/{deployment_id}",
        scope="admin",
        doc=RouteDoc(
            "GET",
            "/api/v1/workloads/{workload_id}/deployments/{deployment_id}",
            "Get a deployment's progress",
            response="Deployment",
        ),
    )
    async def get_deployment(request: Request) -> Response:
        params = request.path_params
        return json_response(
            await call(backend.get_deployment, params["workload_id"], params["deployment_id"])
        )

    # -- metrics -----------------------------------------------------------------------------

    @route(
        "POST",
        "/metrics/nodes/{node_id}",
        scope="node",
        doc=RouteDoc(
            "POST",
            "/api/v1/metrics/nodes/{node_id}",
            'Record node metrics (one sample, or {"samples": [...]})',
            request="MetricsSample",
            response="RecordResult",
            status=201,
        ),
    )
    async def record_metrics(request: Request) -> Response:
        body = await json_body(request)
        if "samples" in body:
            raw = body["samples"]
            if not isinstance(raw, list) or not raw:
                raise BadRequestError("samples must be a non-empty array", {"samples": "invalid"})
            samples = [structure(s, MetricsSample, what=f"samples[{i}]") for i, s in enumerate(raw)]
        else:
            samples = [structure(body, MetricsSample)]
        node_id = request.path_params["node_id"]
        return json_response(await call(backend.record_metrics, node_id, samples), status=201)

    @route(
        "GET",
        "/metrics/nodes/{node_id}",
        scope="node",
        doc=RouteDoc(
            "GET",
            "/api/v1/metrics/nodes/{node_id}",
            "Get node metrics",
            response="NodeMetrics",
            query=("timeframe", "resolution"),
        ),
    )
    async def node_metrics(request: Request) -> Response:
        timeframe = query_str(request, "timeframe") or "1h"
        resolution = query_str(request, "resolution") or "5m"
        node_id = request.path_params["node_id"]
        return json_response(await call(backend.node_metrics, node_id, timeframe, resolution))

    @route(
        "GET",
        "/metrics",
        scope="admin",
        doc=RouteDoc(
            "GET",
            "/api/v1/metrics",
            "Get all metrics",
            response="AggregatedMetrics",
            query=("timeframe", "resolution"),
        ),
    )
    async def all_metrics(request: Request) -> Response:
        timeframe = query_str(request, "timeframe") or "1h"
        resolution = query_str(request, "resolution") or "5m"
        return json_response(await call(backend.all_metrics, timeframe, resolution))

    # -- security ----------------------------------------------------------------------------

    @route(
        "POST",
        "/security/tokens",
        scope="admin",
        doc=RouteDoc(
            "POST",
            "/api/v1/security/tokens",
            "Generate token",
            request="TokenRequest",
            response="IssuedToken",
            status=201,
        ),
    )
    async def generate_token(request: Request) -> Response:
        token_request = structure(await json_body(request), TokenRequest)
        return json_response(await call(backend.generate_token, token_request), status=201)

    @route(
        "POST",
        "/security/tokens/validate",
        scope="admin",
        doc=RouteDoc(
            "POST",
            "/api/v1/security/tokens/validate",
            "Validate token",
            request="TokenBody",
            response="TokenValidation",
        ),
    )
    async def validate_token(request: Request) -> Response:
        token = _token_field(await json_body(request), allow_empty=True)
        return json_response(await call(backend.validate_token, token))

    @route(
        "POST",
        "/security/tokens/revoke",
        scope="admin",
        doc=RouteDoc(
            "POST",
            "/api/v1/security/tokens/revoke",
            "Revoke token",
            request="TokenBody",
            response="OperationResult",
        ),
    )
    async def revoke_token(request: Request) -> Response:
        token = _token_field(await json_body(request))
        return json_response(await call(backend.revoke_token, token))

    # The routes nodes hit all the time are matched first (Starlette tries routes in order).
    hot = (f"{PREFIX}/nodes/{{node_id}}/status", f"{PREFIX}/metrics/nodes/{{node_id}}")
    routes.sort(key=lambda r: r.path not in hot)
    return routes, docs
