"""The MLBench dashboard API served over raw HTTP: the spec's examples, DRF's conventions,
documented status codes and bodies, and bad input that never 500s nor leaves anything made."""

from __future__ import annotations

import ast
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.backends.http import SyncASGITransport
from k8sedge.server import create_app

SPEC_POD_LABELS = {
    "app": "mlbench",
    "component": "worker",
    "pod-template-hash": "1166880847",
    "release": "worn-mouse",
}
SPEC_RUN = {"name": "Name of the run", "num_workers": 5, "num_cpus": 4, "max_bandwidth": 10000}
SPEC_METRIC = {
    "pod_name": "quiet-mink-mlbench-worker-1",
    "run_id": 2,
    "name": "accuracy",
    "date": "2018-08-03T09:21:44.331823Z",
    "value": "0.7845",
    "cumulative": False,
    "metadata": "some additional data",
}
RUN_FIELDS = {"id", "name", "created_at", "finished_at", "state", "job_id", "job_metadata"}


class Api:
    """Raw HTTP against an in-process server, with the admin token by default."""

    def __init__(self, app: Any) -> None:
        self.http = httpx.Client(transport=SyncASGITransport(app), base_url="http://example.com")
        self.admin = {"Authorization": f"Bearer {app.state.admin_token}"}

    def __call__(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if auth:
            headers.update(self.admin)
        return self.http.request(method, path, headers=headers, **kw)


@pytest.fixture
def cluster(memory_backend: k8sedge.MemoryBackend) -> k8sedge.Client:
    client = k8sedge.Client(memory_backend)
    for i in range(8):  # the spec's pods take three (one worker per node)
        client.edge.nodes.register(
            name=f"node-{i}", address="10.0.0.1", resources={"cpu": "8", "memory": "16Gi"}
        )
    return client


@pytest.fixture
def api(memory_backend: k8sedge.MemoryBackend, cluster: k8sedge.Client) -> Iterator[Api]:
    client = Api(create_app(memory_backend, rate_limit="off"))
    yield client
    client.http.close()


def spec_pods(cluster: k8sedge.Client) -> None:
    """The spec's worker pods, made with kubectl-style objects on the cluster."""
    for name in (
        "worn-mouse-mlbench-worker-55bbdd4d8c-4mxh5",
        "worn-mouse-mlbench-worker-55bbdd4d8c-bwwsp",
        "quiet-mink-mlbench-worker-1",
    ):
        cluster.simulator.pods.create(
            {
                "metadata": {"name": name, "labels": SPEC_POD_LABELS},
                "spec": {"containers": [{"name": "worker", "image": "mlbench/mlbench_worker"}]},
            }
        )


def test_spec_examples_replayed(api: Api, cluster: k8sedge.Client, clock: ManualClock) -> None:
    spec_pods(cluster)
    pods = api("GET", "/api/pods", headers={"Accept": "application/json, text/javascript"})
    assert pods.status_code == 200
    listed = pods.json()
    assert [p["name"] for p in listed][:2] == [
        "worn-mouse-mlbench-worker-55bbdd4d8c-4mxh5",
        "worn-mouse-mlbench-worker-55bbdd4d8c-bwwsp",
    ]
    for pod in listed:
        assert set(pod) == {"name", "labels", "phase", "ip"}
        assert pod["phase"] == "Running" and pod["ip"] == ""
    # the dashboard's Python str(dict), exactly as the spec shows it
    assert listed[0]["labels"] == (
        "{'app': 'mlbench', 'component': 'worker', 'pod-template-hash': '1166880847', "
        "'release': 'worn-mouse'}"
    )
    assert ast.literal_eval(listed[0]["labels"]) == SPEC_POD_LABELS

    created = api("POST", "/api/runs/", json=SPEC_RUN)
    assert created.status_code == 201  # the spec's 200 is the doc's; the code answers 201
    run = created.json()
    assert set(run) >= RUN_FIELDS
    assert run["state"] == "initialized" and run["name"] == "Name of the run"
    assert run["created_at"] == "2023-07-01T00:00:00.000000Z"

    runs = api("GET", "/api/runs/")
    assert runs.status_code == 200
    assert [r["id"] for r in runs.json()] == [run["id"]] and set(runs.json()[0]) >= RUN_FIELDS
    one = api("GET", f"/api/runs/{run['id']}/")
    assert one.status_code == 200 and one.json()["state"] == "started"
    assert set(one.json()["job_metadata"]) >= {"stdout", "stderr", "pods", "master_name"}

    metric = api("POST", "/api/metrics", json=SPEC_METRIC)
    assert metric.status_code == 201
    assert metric.json() == {k: v for k, v in SPEC_METRIC.items() if k != "run_id"}

    all_metrics = api("GET", "/api/metrics")
    assert all_metrics.status_code == 200
    body = all_metrics.json()
    assert set(body) == {"pod_metrics", "run_metrics"}
    assert body["pod_metrics"]["quiet-mink-mlbench-worker-1"]["accuracy"] == [
        {
            "name": "accuracy",
            "value": "0.7845",
            "date": "2018-08-03T09:21:44.331823Z",
            "metadata": "some additional data",
            "cumulative": False,
        }
    ]
    assert body["run_metrics"] == {"Name of the run": {}}

    series = api("GET", "/api/metrics/quiet-mink-mlbench-worker-1/")
    assert series.status_code == 200
    assert series.json() == {
        "accuracy": [
            {"date": "2018-08-03T09:21:44.331823Z", "value": "0.7845", "cumulative": False}
        ]
    }
    since = api(
        "GET",
        "/api/metrics/quiet-mink-mlbench-worker-1/",
        params={"since": "2018-08-03T09:21:44.331824Z", "metric_type": "pod"},
    )
    assert since.status_code == 200 and since.json() == {}


def test_a_second_active_run_is_409(api: Api) -> None:
    assert api("POST", "/api/runs/", json={**SPEC_RUN, "name": "one"}).status_code == 201
    second = api("POST", "/api/runs/", json={**SPEC_RUN, "name": "two"})
    assert second.status_code == 409
    assert second.json() == {"status": "Conflict", "message": "There is already an active run"}


@pytest.mark.parametrize(
    "path",
    ["/api/", "/api/pods/", "/api/runs/", "/api/metrics/", "/api/runs/1/", "/api/metrics/1/"],
)
def test_both_spellings_of_every_path(api: Api, path: str) -> None:
    api("POST", "/api/runs/", json={**SPEC_RUN, "name": "r", "num_workers": 1})
    params = {"metric_type": "run"} if path.startswith("/api/metrics/1") else None
    with_slash = api("GET", path, params=params)
    without = api("GET", path.rstrip("/"), params=params)
    assert with_slash.status_code == without.status_code == 200
    assert with_slash.json() == without.json()


def test_router_root(api: Api) -> None:
    root = api("GET", "/api/")
    assert root.json() == {
        "pods": "http://example.com/api/pods/",
        "runs": "http://example.com/api/runs/",
        "metrics": "http://example.com/api/metrics/",
    }


def test_drf_errors(api: Api) -> None:
    assert api("GET", "/api/runs/7/").json() == {"detail": "run 7 not found"}
    assert api("GET", "/api/runs/7/").status_code == 404
    assert api("GET", "/api/runs/abc/").status_code == 404
    unknown_pod = api("GET", "/api/metrics/ghost/")
    assert unknown_pod.status_code == 404 and "detail" in unknown_pod.json()
    unknown_run = api("GET", "/api/metrics/9/", params={"metric_type": "run"})
    assert unknown_run.status_code == 404 and "detail" in unknown_run.json()
    not_routed = api("GET", "/api/pods/x/")
    assert (not_routed.status_code, not_routed.json()) == (404, {"detail": "Not found."})
    for method in ("PUT", "PATCH"):
        refused = api(method, "/api/runs/", json={})
        assert refused.status_code == 405
        assert refused.json() == {"detail": f'Method "{method}" not allowed.'}
    assert api("DELETE", "/api/metrics/").status_code == 405
    bad_since = api("GET", "/api/metrics/1/", params={"metric_type": "run", "since": "today"})
    assert bad_since.status_code in (400, 404)
    no_token = api("GET", "/api/runs/", auth=False)
    assert no_token.status_code == 401 and set(no_token.json()) == {"detail"}


def test_bad_since_names_the_field(api: Api) -> None:
    api("POST", "/api/runs/", json={**SPEC_RUN, "name": "r", "num_workers": 1})
    bad = api("GET", "/api/metrics/1/", params={"metric_type": "run", "since": "2018-08-03"})
    assert bad.status_code == 400
    assert "since" in bad.json() and "detail" in bad.json()


def test_metric_bodies_the_dashboard_refuses(api: Api) -> None:
    api("POST", "/api/runs/", json={**SPEC_RUN, "name": "r", "num_workers": 1})
    nobody = api("POST", "/api/metrics/", json={"name": "loss", "value": "1"})
    assert nobody.status_code == 400
    assert nobody.json() == {
        "status": "Bad Request",
        "message": "Pod Name or run id have to be supplied",
        "data": {"name": "loss", "value": "1"},
    }
    ghost = api("POST", "/api/metrics/", json={"pod_name": "ghost", "name": "a", "value": "1"})
    assert ghost.status_code == 404
    assert ghost.json() == {"status": "Not Found", "message": "Pod not found"}
    no_run = api("POST", "/api/metrics/", json={"run_id": 9, "name": "a", "value": "1"})
    assert no_run.status_code == 404
    assert no_run.json() == {"status": "Not Found", "message": "Run not found"}
    long_name = api("POST", "/api/metrics/", json={"run_id": 1, "name": "n" * 51, "value": "1"})
    assert long_name.status_code == 400 and "name" in long_name.json()


def test_form_bodies_as_the_dashboard_reads_them(api: Api) -> None:
    form = {"name": "formed", "num_workers": "2", "num_cpus": "1.5", "gpu_enabled": "false"}
    created = api("POST", "/api/runs/", data=form)
    assert created.status_code == 201 and created.json()["num_workers"] == 2
    point = api(
        "POST",
        "/api/metrics/",
        data={"run_id": "1", "name": "loss", "value": "0.5", "cumulative": "true", "date": ""},
    )
    assert point.status_code == 400 and "date" in point.json()  # an empty date is not a date
    point = api(
        "POST",
        "/api/metrics/",
        data={"run_id": "1", "name": "loss", "value": "0.5", "cumulative": "true"},
    )
    assert point.status_code == 201 and point.json()["cumulative"] is True


def test_run_bodies_of_later_dashboards(api: Api, cluster: k8sedge.Client) -> None:
    created = api(
        "POST",
        "/api/runs/",
        json={
            "name": "later",
            "num_workers": "1",
            "num_cpus": "1",
            "image_name": "custom_image",
            "custom_image_name": "me/worker:1",
            "custom_image_command": "python main.py",
            "backend": "GLOO",
            "gpu_enabled": "false",
            "light_target": "true",
            "run_all_nodes": "false",
        },
    )
    assert created.status_code == 201
    pod = cluster.simulator.pods.get("later-mlbench-worker-k8sedge-0").raw
    assert pod["spec"]["containers"][0]["image"] == "me/worker:1"


BAD_BODIES: list[Any] = [
    None,
    [],
    "run",
    42,
    {},
    {"name": "x"},
    {"name": "x", "num_workers": 2},
    {"name": None, "num_workers": 2, "num_cpus": 1},
    {"name": "x", "num_workers": -2, "num_cpus": 1},
    b'{"name": "x", "num_workers": 1000000000000000000000000000000, "num_cpus": 1}',
    {"name": "x", "num_workers": 2.5, "num_cpus": 1},
    {"name": "x", "num_workers": True, "num_cpus": 1},
    {"name": "x", "num_workers": 2, "num_cpus": "1e400"},
    {"name": "x", "num_workers": 2, "num_cpus": 1e-9},
    {"name": "x", "num_workers": 2, "num_cpus": 1, "max_bandwidth": "fast"},
    {"name": "x", "num_workers": 2, "num_cpus": 1, "image_name": "custom_image"},
    {"name": "x", "num_workers": 2, "num_cpus": 1, "backend": "custom_backend"},
    {"name": "x", "num_workers": 2, "num_cpus": 1, "light_target": {"a": 1}},
    {"name": "x", "num_workers": 2, "num_cpus": 1, "duration": "forever"},
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_run_bodies_never_500_nor_make_anything(
    api: Api, cluster: k8sedge.Client, body: Any
) -> None:
    import orjson

    answer = api(
        "POST",
        "/api/runs/",
        content=body if isinstance(body, bytes) else orjson.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert "detail" in answer.json()
    assert api("GET", "/api/runs/").json() == []
    assert cluster.mlbench.pods.list() == []
    assert not [p for p in cluster.simulator.export().pods if "mlbench" in p["metadata"]["name"]]


@pytest.mark.parametrize(
    "body",
    [b"{", b"[1, 2]", b'{"metrics": []}', b'{"metrics": "all"}', b'{"metrics": [3]}', b"null"],
)
def test_bad_metric_bodies_never_500(api: Api, body: bytes) -> None:
    answer = api(
        "POST", "/api/metrics/", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text


def test_a_batch_of_metrics(api: Api) -> None:
    api("POST", "/api/runs/", json={**SPEC_RUN, "name": "r", "num_workers": 1})
    batch = {"metrics": [{"run_id": 1, "name": "loss", "value": str(i / 10)} for i in range(5)]}
    answer = api("POST", "/api/metrics/", json=batch)
    assert (answer.status_code, answer.json()) == (201, {"count": 5})
    bad = {"metrics": [{"run_id": 1, "name": "loss", "value": "1"}, {"run_id": 1, "name": ""}]}
    refused = api("POST", "/api/metrics/", json=bad)
    assert refused.status_code == 400 and "metrics[1].name" in refused.json()
    series = api("GET", "/api/metrics/1/", params={"metric_type": "run"}).json()
    assert len(series["loss"]) == 5


def test_summarize_last_n_and_filter_on_the_wire(api: Api) -> None:
    api("POST", "/api/runs/", json={**SPEC_RUN, "name": "r", "num_workers": 1})
    points = [
        {"run_id": 1, "name": n, "value": str(i), "date": f"2023-07-01T00:00:{i:02d}.000000Z"}
        for i in range(10)
        for n in ("a", "b")
    ]
    api("POST", "/api/metrics/", json={"metrics": points})
    got = api(
        "GET",
        "/api/metrics/1/",
        params={"metric_type": "run", "summarize": 3, "last_n": 2, "metric_filter": "a"},
    ).json()
    # 10 points in buckets of ceil(10/3) = 4: two whole buckets, the partial one dropped
    assert got == {
        "a": [
            {"date": "2023-07-01T00:00:00.000000Z", "value": "1.5", "cumulative": False},
            {"date": "2023-07-01T00:00:04.000000Z", "value": "5.5", "cumulative": False},
        ]
    }
    for bad in ({"summarize": "x"}, {"last_n": -1}, {"summarize": -3}):
        answer = api("GET", "/api/metrics/1/", params={"metric_type": "run", **bad})
        assert answer.status_code == 400, answer.text


def test_zip_download(api: Api) -> None:
    api("POST", "/api/runs/", json={**SPEC_RUN, "name": "Zipped run", "num_workers": 1})
    api("POST", "/api/metrics/", json={"run_id": 1, "name": "loss", "value": "1"})
    for path in ("/api/metrics/1.zip", "/api/metrics/1.zip/"):
        answer = api("GET", path, params={"metric_type": "run"})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/octet-stream"
        assert answer.headers["content-disposition"] == (
            "attachment; filename=metrics_Zipped_run.zip"
        )
        assert zipfile.ZipFile(io.BytesIO(answer.content)).namelist() == ["result_loss.json"]
    missing = api("GET", "/api/metrics/9.zip", params={"metric_type": "run"})
    assert missing.status_code == 404 and "detail" in missing.json()


def test_delete_answers_204(api: Api, cluster: k8sedge.Client) -> None:
    api("POST", "/api/runs/", json={**SPEC_RUN, "name": "r", "num_workers": 2})
    deleted = api("DELETE", "/api/runs/1/")
    assert deleted.status_code == 204
    assert cluster.mlbench.pods.list() == []
    assert api("DELETE", "/api/runs/1/").status_code == 404


def test_finish_on_the_wire(api: Api) -> None:
    api("POST", "/api/runs/", json={**SPEC_RUN, "name": "r", "num_workers": 1})
    bad = api("POST", "/api/runs/1/finish/", json={"state": "paused"})
    assert bad.status_code == 400 and "state" in bad.json()
    done = api("POST", "/api/runs/1/finish/", json={"state": "FINISHED"})
    assert done.status_code == 200 and done.json()["state"] == "finished"
    again = api("POST", "/api/runs/1/finish")
    assert again.status_code == 409 and "detail" in again.json()


def test_openapi_documents_the_surface(api: Api) -> None:
    paths = api("GET", "/openapi.json").json()["paths"]
    assert "409" in paths["/api/runs/"]["post"]["responses"]
    zipped = paths["/api/metrics/{pod_name_or_run_id}.zip"]["get"]["responses"]["200"]
    assert "application/octet-stream" in zipped["content"]
    assert "base_url" not in str(paths["/api/"]["get"].get("parameters", []))
