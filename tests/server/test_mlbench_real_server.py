"""The http backend against the real dashboard's answers (as the reference records them):
the doc's upper-case states, 200 for a created run, the 304 of an invalid name, 500s, DRF's
dates without microseconds, a metric echo without its owner, trailing slashes."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import httpx
import pytest

import k8sedge
from k8sedge.backends.http import RetryPolicy
from k8sedge.surfaces.mlbench import RunState

RUN = {
    "id": 1,
    "name": "Name of the run",
    "created_at": "2018-08-03T09:21:29.347960Z",
    "state": "STARTED",
    "job_id": "5ec9f286-e12d-41bc-886e-0174ef2bddae",
    "job_metadata": {},
}


def dashboard(request: httpx.Request) -> httpx.Response:
    path, method = request.url.path, request.method
    assert path.endswith(("/", ".zip")), f"DRF wants a trailing slash: {path}"
    if path == "/api/runs/" and method == "GET":
        return httpx.Response(200, json=[RUN, {**RUN, "id": 2, "state": "FINISHED"}])
    if path == "/api/runs/" and method == "POST":
        body = json.loads(request.content)
        if body["name"] == "bad name!":
            return httpx.Response(304)
        return httpx.Response(200, json={**RUN, "name": body["name"]})  # the doc's 200
    if path == "/api/runs/1/" and method == "GET":
        return httpx.Response(200, json={**RUN, "job_metadata": {"stdout": ["hi"]}})
    if path == "/api/runs/1/" and method == "DELETE":
        return httpx.Response(204, json={"status": "Deleted", "message": "The run was deleted"})
    if path == "/api/runs/9/":
        return httpx.Response(500, text="<html>DoesNotExist</html>")
    if path == "/api/pods/":
        return httpx.Response(
            200,
            json=[
                {
                    "name": "worn-mouse-mlbench-worker-55bbdd4d8c-4mxh5",
                    "labels": "{'app': 'mlbench', 'component': 'worker', "
                    "'pod-template-hash': '1166880847', 'release': 'worn-mouse'}",
                    "phase": "Running",
                    "ip": "10.244.2.58",
                }
            ],
        )
    if path == "/api/metrics/1/":
        return httpx.Response(
            200,
            json={
                "loss": [
                    {"date": "2018-08-03T09:21:29Z", "value": "0.5", "cumulative": False},
                    {"date": "2018-08-03T09:21:44.266181Z", "value": "0.25", "cumulative": False},
                ]
            },
        )
    if path == "/api/metrics/" and method == "POST":
        return httpx.Response(
            201,
            json={
                "name": "accuracy",
                "value": "0.7845",
                "date": "2018-08-03T09:21:44.331823Z",
                "metadata": "",
                "cumulative": False,
            },
        )
    if path == "/api/metrics/1.zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("result_loss.json", "[]")
        return httpx.Response(
            200,
            content=buffer.getvalue(),
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Disposition": "attachment; filename=metrics_run.zip",
            },
        )
    return httpx.Response(404, json={"detail": "Not found."})


@pytest.fixture
def real() -> k8sedge.Client:
    backend = k8sedge.HttpBackend(
        "http://dashboard/api/",
        transport=httpx.MockTransport(dashboard),
        retry=RetryPolicy(attempts=1),
    )
    return k8sedge.Client(backend)


def test_runs_as_the_dashboard_answers_them(real: k8sedge.Client) -> None:
    runs = real.mlbench.runs.list()
    assert [r.state for r in runs] == [RunState.STARTED, RunState.FINISHED]
    assert runs[0].created_at == datetime(2018, 8, 3, 9, 21, 29, 347960, tzinfo=UTC)
    assert runs[0].num_workers is None and runs[0].finished_at is None
    created = real.mlbench.runs.create(name="Name of the run", num_workers=5, num_cpus=4)
    assert created.id == 1  # 200 is a success too
    assert real.mlbench.runs.get(1).job_metadata == {"stdout": ["hi"]}
    assert real.mlbench.runs.delete(1) is None  # a 204 with a body
    with pytest.raises(k8sedge.BadRequestError, match="304"):
        real.mlbench.runs.create(name="bad name!", num_workers=1, num_cpus=1)
    with pytest.raises(k8sedge.InternalError):
        real.mlbench.runs.get(9)
    with pytest.raises(k8sedge.NotFoundError, match="Not found"):
        real.mlbench.runs.get(5)


def test_pods_and_metrics_as_the_dashboard_answers_them(real: k8sedge.Client) -> None:
    (pod,) = real.mlbench.pods.list()
    assert pod.labels["release"] == "worn-mouse" and pod.ip == "10.244.2.58"
    series = real.mlbench.metrics.get(1)
    assert [p.date.microsecond for p in series["loss"]] == [0, 266181]
    recorded = real.mlbench.metrics.record(run_id=1, name="accuracy", value="0.7845")
    assert recorded.value == "0.7845" and recorded.run_id is None
    content = real.mlbench.metrics.zip(1)
    assert zipfile.ZipFile(io.BytesIO(content)).namelist() == ["result_loss.json"]
