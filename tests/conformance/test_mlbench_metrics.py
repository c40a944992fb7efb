"""MLBench metrics on every backend: pod and run series, the dashboard's query parameters and
arithmetic, batches, archives."""

from __future__ import annotations

import io
import json
import math
import random
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.surfaces.mlbench import MetricPost

from .helpers import register

T0 = datetime(2023, 7, 1, tzinfo=UTC)


def start(client: k8sedge.Client, name: str = "bench", workers: int = 2) -> int:
    for i in range(workers):
        register(client, f"node-{i}", resources={"cpu": "4", "memory": "8Gi"})
    run = client.mlbench.runs.create(name=name, num_workers=workers, num_cpus=1, duration=3600)
    return run.id


def dashboard_summarize(values: list[str], n: int) -> list[tuple[int, str]]:
    """The dashboard's ``__format_result`` summarize, verbatim in spirit: (first index, value)."""
    if not (n and len(values) > n):
        return [(i, v) for i, v in enumerate(values)]
    factor = math.ceil(len(values) / n)
    out, total, first = [], 0.0, None
    for i, value in enumerate(values):
        if first is None:
            first, total = i, 0.0
        total += float(value)
        if (i + 1) % factor == 0:
            out.append((first, str(total / factor)))
            first = None
    return out


def test_run_metrics_round_trip(any_client: k8sedge.Client, clock: ManualClock) -> None:
    run = start(any_client)
    recorded = any_client.mlbench.metrics.record(
        run_id=run,
        name="accuracy",
        value="0.7845",
        date=T0 + timedelta(seconds=5),
        metadata="some additional data",
    )
    assert recorded.run_id == run and recorded.pod_name is None
    assert (recorded.name, recorded.value, recorded.metadata) == (
        "accuracy",
        "0.7845",
        "some additional data",
    )
    assert recorded.date == T0 + timedelta(seconds=5) and recorded.cumulative is False
    now = any_client.mlbench.metrics.record(run_id=run, name="loss", value=2)  # date: now
    assert now.value == "2" and now.date.timestamp() == clock.now()
    series = any_client.mlbench.metrics.get(run)
    assert list(series) == ["accuracy", "loss"]
    assert series["accuracy"][0].value == "0.7845"
    assert series["accuracy"][0].number == 0.7845
    assert series["accuracy"][0].date == T0 + timedelta(seconds=5)
    assert any_client.mlbench.metrics.get(str(run), metric_type="run") == series


def test_values_are_kept_exactly_and_sorted_by_date(any_client: k8sedge.Client) -> None:
    run = start(any_client)
    posted = ["1e-3", "0.10", "abc", " 7", "3.000"]
    order = [3, 0, 4, 1, 2]
    any_client.mlbench.metrics.record_batch(
        {
            "run_id": run,
            "name": "raw",
            "value": posted[i],
            "date": T0 + timedelta(microseconds=i),
        }
        for i in order
    )
    points = any_client.mlbench.metrics.get(run)["raw"]
    assert [p.value for p in points] == posted
    assert [p.date for p in points] == [T0 + timedelta(microseconds=i) for i in range(5)]
    assert [p.number for p in points] == [0.001, 0.1, None, 7.0, 3.0]


def test_since_last_n_and_metric_filter(any_client: k8sedge.Client) -> None:
    run = start(any_client)
    any_client.mlbench.metrics.record_batch(
        [
            MetricPost(run_id=run, name=name, value=str(i), date=T0 + timedelta(seconds=i))
            for i in range(10)
            for name in ("loss", "acc")
        ]
    )
    m = any_client.mlbench.metrics
    assert [p.value for p in m.get(run, since=T0 + timedelta(seconds=7))["loss"]] == [
        "7",
        "8",
        "9",
    ]  # since is inclusive
    assert m.get(run, since="2023-07-01T00:00:08.000000Z")["acc"][0].value == "8"
    assert list(m.get(run, metric_filter="acc")) == ["acc"]
    assert m.get(run, metric_filter="nothing") == {}
    assert [p.value for p in m.get(run, last_n=2)["loss"]] == ["8", "9"]
    assert m.get(run, since=T0 + timedelta(hours=1)) == {}  # series without points left out
    with pytest.raises(k8sedge.BadRequestError) as caught:
        m.get(run, since="2023-07-01T00:00:08Z")  # not the dashboard's format
    assert "since" in caught.value.details
    with pytest.raises(k8sedge.BadRequestError):
        m.get(run, metric_type="node")


@pytest.mark.parametrize(("count", "summarize"), [(1000, 100), (1001, 100), (7, 3), (5, 5)])
def test_summarize_is_the_dashboards_arithmetic(
    any_client: k8sedge.Client, count: int, summarize: int
) -> None:
    run = start(any_client)
    rng = random.Random(count)
    values = [repr(rng.uniform(-1, 1)) for _ in range(count)]
    any_client.mlbench.metrics.record_batch(
        {"run_id": run, "name": "loss", "value": v, "date": T0 + timedelta(milliseconds=i)}
        for i, v in enumerate(values)
    )
    points = any_client.mlbench.metrics.get(run, summarize=summarize)["loss"]
    expected = dashboard_summarize(values, summarize)
    assert [p.value for p in points] == [v for _, v in expected]  # the same strings
    assert [p.date for p in points] == [T0 + timedelta(milliseconds=i) for i, _ in expected]
    assert len(points) <= summarize
    last = any_client.mlbench.metrics.get(run, summarize=summarize, last_n=2)["loss"]
    assert [p.value for p in last] == [v for _, v in expected[-2:]]


def test_summarize_needs_numbers(any_client: k8sedge.Client) -> None:
    run = start(any_client)
    for value in ("1", "2", "n/a"):
        any_client.mlbench.metrics.record(run_id=run, name="mixed", value=value)
    assert len(any_client.mlbench.metrics.get(run, summarize=5)["mixed"]) == 3  # nothing to do
    with pytest.raises(k8sedge.BadRequestError) as caught:
        any_client.mlbench.metrics.get(run, summarize=1)
    assert "summarize" in caught.value.details


def test_pod_metrics(any_client: k8sedge.Client, clock: ManualClock) -> None:
    run = start(any_client)
    pod = any_client.mlbench.pods.list()[0].name
    point = any_client.mlbench.metrics.record(
        pod_name=pod, run_id=run, name="cpu", value="0.25", cumulative=True
    )
    assert point.pod_name == pod and point.run_id is None  # the pod wins, as on the dashboard
    assert any_client.mlbench.metrics.get(pod)["cpu"][0].cumulative is True
    assert any_client.mlbench.metrics.get(run) == {}
    everything = any_client.mlbench.metrics.all()
    assert set(everything.pod_metrics) == {p.name for p in any_client.mlbench.pods.list()}
    assert everything.pod_metrics[pod]["cpu"][0].value == "0.25"
    assert everything.run_metrics == {"bench": {}}
    # a finished run's workers are gone, their curves stay until the run is deleted
    any_client.mlbench.runs.finish(run)
    assert any_client.mlbench.pods.list() == []
    assert any_client.mlbench.metrics.get(pod)["cpu"][0].value == "0.25"
    with pytest.raises(k8sedge.NotFoundError, match="Pod not found"):
        any_client.mlbench.metrics.record(pod_name=pod, name="cpu", value="1")
    any_client.mlbench.runs.delete(run)
    with pytest.raises(k8sedge.NotFoundError):
        any_client.mlbench.metrics.get(pod)
    assert any_client.mlbench.metrics.all().pod_metrics == {}


def test_all_metrics_keys_runs_by_name(any_client: k8sedge.Client) -> None:
    run = start(any_client, name="named")
    any_client.mlbench.metrics.record(run_id=run, name="loss", value="1", metadata="m")
    everything = any_client.mlbench.metrics.all()
    (metric,) = everything.run_metrics["named"]["loss"]
    assert (metric.name, metric.value, metric.metadata) == ("loss", "1", "m")


def test_batches(any_client: k8sedge.Client) -> None:
    run = start(any_client)
    pod = any_client.mlbench.pods.list()[1].name
    count = any_client.mlbench.metrics.record_batch(
        [
            {"run_id": run, "name": "loss", "value": "0.5"},
            {"pod_name": pod, "name": "cpu", "value": 0.1},
            MetricPost(run_id=run, name="loss", value="0.4"),
        ]
    )
    assert count == 3
    assert [p.value for p in any_client.mlbench.metrics.get(run)["loss"]] == ["0.5", "0.4"]
    assert any_client.mlbench.metrics.get(pod)["cpu"][0].value == "0.1"
    assert any_client.mlbench.metrics.record_batch([{"run_id": run, "name": "x", "value": "1"}])
    # all or nothing: one unknown owner records none of the batch
    with pytest.raises(k8sedge.NotFoundError, match="Run not found"):
        any_client.mlbench.metrics.record_batch(
            [
                {"run_id": run, "name": "late", "value": "1"},
                {"run_id": run + 1, "name": "late", "value": "1"},
            ]
        )
    assert "late" not in any_client.mlbench.metrics.get(run)


@pytest.mark.parametrize(
    ("point", "field"),
    [
        ({"name": "", "value": "1"}, "name"),
        ({"name": "x" * 51, "value": "1"}, "name"),
        ({"name": "loss", "value": None}, "value"),
        ({"name": "loss", "value": [1]}, "value"),
        ({"name": "loss", "value": "v" * 256}, "value"),
        ({"name": "loss", "value": "1", "date": "yesterday"}, "date"),
        ({"name": "loss", "value": "1", "cumulative": "sometimes"}, "cumulative"),
        ({"name": "loss", "value": "1", "metadata": 5}, "metadata"),
    ],
)
def test_bad_points(any_client: k8sedge.Client, point: dict[str, Any], field: str) -> None:
    run = start(any_client)
    with pytest.raises(k8sedge.BadRequestError) as caught:
        any_client.mlbench.metrics.record(run_id=run, **point)
    assert field in caught.value.details
    assert any_client.mlbench.metrics.get(run) == {}


def test_unknown_owners(any_client: k8sedge.Client) -> None:
    with pytest.raises(k8sedge.BadRequestError, match="Pod Name or run id have to be supplied"):
        any_client.mlbench.metrics.record(name="loss", value="1")
    with pytest.raises(k8sedge.NotFoundError, match="Run not found"):
        any_client.mlbench.metrics.record(run_id=3, name="loss", value="1")
    with pytest.raises(k8sedge.NotFoundError, match="Pod not found"):
        any_client.mlbench.metrics.record(pod_name="ghost", name="loss", value="1")
    for key in (3, "ghost"):
        with pytest.raises(k8sedge.NotFoundError):
            any_client.mlbench.metrics.get(key)
        with pytest.raises(k8sedge.NotFoundError):
            any_client.mlbench.metrics.zip(key)
    with pytest.raises(k8sedge.NotFoundError):
        any_client.mlbench.metrics.get("abc", metric_type="run")


def test_zip_has_the_dashboards_layout(any_client: k8sedge.Client, clock: ManualClock) -> None:
    run = start(any_client, name="Zip me")
    created = datetime.fromtimestamp(clock.now(), UTC)
    pods = [p.name for p in any_client.mlbench.pods.list()]
    any_client.mlbench.metrics.record_batch(
        [
            {"run_id": run, "name": "loss", "value": "0.5", "date": created},
            {
                "run_id": run,
                "name": "loss",
                "value": "0.25",
                "date": created + timedelta(seconds=1),
            },
            {"run_id": run, "name": "early", "value": "1", "date": created - timedelta(days=1)},
            {"run_id": run, "name": "TaskResult @ 0", "value": '{"acc": 0.9}'},
            {"pod_name": pods[0], "name": "cpu", "value": "0.125"},
        ]
    )
    archive = zipfile.ZipFile(io.BytesIO(any_client.mlbench.metrics.zip(run)))
    assert sorted(archive.namelist()) == sorted(
        ["result_loss.json", "official_result.txt", f"{pods[0]}_cpu.json"]
    )  # the run's window leaves "early" out; TaskResult is the official result
    assert archive.read("official_result.txt").decode() == '{"acc": 0.9}'
    loss = json.loads(archive.read("result_loss.json"))
    assert loss == [
        {"date": "2023-07-01T00:00:00Z", "value": "0.5", "cumulative": False},
        {"date": "2023-07-01T00:00:01Z", "value": "0.25", "cumulative": False},
    ]
    assert archive.read("result_loss.json").decode().startswith("[\n    {")  # indent=4
    summarized = zipfile.ZipFile(io.BytesIO(any_client.mlbench.metrics.zip(run, summarize=1)))
    assert json.loads(summarized.read("result_loss.json"))[0]["value"] == "0.375"
    pod_zip = zipfile.ZipFile(io.BytesIO(any_client.mlbench.metrics.zip(pods[0])))
    assert pod_zip.namelist() == ["result_cpu.json"]
