"""``pods/eviction``: a policy/v1 ``Eviction`` deletes a pod unless a PodDisruptionBudget
forbids it (429 ``TooManyRequests`` with upstream's message and cause)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..errors import BadRequestError
from ..kube.disruption import TooManyRequestsError
from ..memory import Cluster
from ..memory.eviction import evict_pod
from .paths import Target
from .status import json_response, status_body

__all__ = ["evict"]


def eviction_options(body: Any, target: Target) -> tuple[dict[str, Any], bool]:
    """The Eviction's ``deleteOptions`` (preconditions) and whether it is a dry run; ``body``
    is the decoded request body (JSON, YAML or protobuf)."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequestError("not a Eviction object", {"body": "not an object"})
    name = (body.get("metadata") or {}).get("name")
    if name != target.name:
        raise BadRequestError(
            "name in URL does not match name in Eviction object", {"metadata.name": name}
        )
    options = body.get("deleteOptions") or {}
    if not isinstance(options, dict):
        raise BadRequestError("deleteOptions must be an object", {"deleteOptions": "invalid"})
    dry = options.get("dryRun") or []
    if not isinstance(dry, list) or any(v != "All" for v in dry):
        raise BadRequestError("invalid dryRun value: only 'All'", {"dryRun": "invalid"})
    return options, bool(dry)


async def evict(cluster: Cluster, target: Target, body: Any, dry: bool) -> Response:
    """POST ``…/pods/<name>/eviction``: 201 ``Success``, or the budget's refusal."""
    assert target.name is not None and target.namespace is not None
    options, body_dry = eviction_options(body, target)
    preconditions = options.get("preconditions") or {}
    if not isinstance(preconditions, dict):
        raise BadRequestError("preconditions must be an object", {"preconditions": "invalid"})
    try:
        await run_in_threadpool(
            evict_pod, cluster, target.namespace, target.name, preconditions, dry or body_dry
        )
    except TooManyRequestsError as exc:
        retry = exc.details.get("retryAfterSeconds")
        details: dict[str, Any] = {"causes": exc.details.get("causes", [])}
        if retry:
            details["retryAfterSeconds"] = retry
        response = json_response(status_body(429, exc.message, "TooManyRequests", details), 429)
        if retry:
            response.headers["Retry-After"] = str(retry)
        return response
    answer = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    return json_response(answer, 201)
