"""schemathesis over ``/openapi.json`` (every surface the server carries), on a real socket:
no answer is a 5xx, and every answer is one the document describes (status, content type,
body schema). A bounded number of examples per operation and a fixed seed keep it
deterministic and quick."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi import checks as openapi_checks  # noqa: E402

import k8sedge  # noqa: E402
from k8sedge import ManualClock  # noqa: E402
from k8sedge.server import create_app  # noqa: E402
from k8sedge.server.threaded import serve_in_thread  # noqa: E402

MAX_EXAMPLES = 30
# the answers: never a 5xx, always a documented status, content type, body and headers
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, str]]:
    backend = k8sedge.MemoryBackend(clock=ManualClock(1_688_169_600.0))
    app = create_app(backend, rate_limit="off")
    client = k8sedge.Client(backend)
    client.edge.nodes.register(name="edge-1", address="10.0.0.1", resources={"cpu": "4"})
    client.edge.workloads.create(name="web", image="nginx", replicas=1)
    with serve_in_thread(app) as url:
        yield url, app.state.admin_token


@pytest.fixture(scope="module")
def openapi(served: tuple[str, str]) -> Any:
    schema = schemathesis.openapi.from_url(f"{served[0]}/openapi.json")
    # valid requests, and requests that break the documented schema (wrong types, missing
    # fields)
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    )
    return schema


schema = schemathesis.pytest.from_fixture("openapi")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation(case: schemathesis.Case, served: tuple[str, str]) -> None:
    headers = {"Authorization": f"Bearer {served[1]}"}
    if not case.operation.path.endswith("/listwatchresources"):
        case.call_and_validate(headers=headers, checks=CHECKS)
        return
    # a watch ends after its timeout; its body is newline-delimited JSON events, one
    # document per line (not one JSON document), so each line is checked here
    case.query = {**(case.query or {}), "timeoutSeconds": "0.05"}
    checks = [c for c in CHECKS if c is not openapi_checks.response_schema_conformance]
    response = case.call_and_validate(headers=headers, checks=checks)
    if response.status_code == 200:
        for line in response.text.splitlines():
            if line.strip():
                assert set(json.loads(line)) == {"Kind", "EventType", "Obj"}
