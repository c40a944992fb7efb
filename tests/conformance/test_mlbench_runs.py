"""MLBench runs on every backend: real workloads on the one cluster, placed by the engine,
their state following the workers and the injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

import k8sedge
from k8sedge import ManualClock
from k8sedge.surfaces.mlbench import KubePod, Run, RunState

from .helpers import register


def nodes(client: k8sedge.Client, count: int, cpu: str = "4") -> list[str]:
    return [
        register(client, f"node-{i}", resources={"cpu": cpu, "memory": "8Gi"}).name
        for i in range(count)
    ]


def beat(client: k8sedge.Client) -> None:
    """Heartbeats for every node (nodes silent for 40 s are offline: nothing lands there)."""
    for node in client.edge.nodes.iter():
        client.edge.nodes.heartbeat(node.id)


def workers(client: k8sedge.Client) -> list[KubePod]:
    return client.mlbench.pods.list()


def placement(client: k8sedge.Client) -> dict[str, str]:
    """Worker pod -> node, as the simulator's export shows the cluster."""
    exported = client.simulator.export()
    return {
        p["metadata"]["name"]: p["spec"].get("nodeName", "")
        for p in exported.pods
        if (p["metadata"].get("labels") or {}).get("app") == "mlbench"
    }


def test_root_and_an_empty_dashboard(any_client: k8sedge.Client) -> None:
    root = any_client.mlbench.root()
    assert set(root) == {"pods", "runs", "metrics"}
    assert all(root[k].endswith(f"/api/{k}/") for k in root)
    assert any_client.mlbench.pods.list() == []
    assert any_client.mlbench.runs.list() == []
    everything = any_client.mlbench.metrics.all()
    assert everything.pod_metrics == {} and everything.run_metrics == {}


def test_a_run_is_a_statefulset_of_workers_placed_by_the_engine(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    names = nodes(any_client, 3)
    run = any_client.mlbench.runs.create(
        name="resnet", num_workers=2, num_cpus=1.5, max_bandwidth=100, duration=600
    )
    assert isinstance(run, Run)
    assert run.id == 1 and run.name == "resnet" and run.num_workers == 2
    assert run.state is RunState.INITIALIZED  # what the dashboard answers to the POST
    assert run.created_at.timestamp() == clock.now() and run.finished_at is None
    assert run.job_metadata == {} and run.job_id

    pods = workers(any_client)
    assert [p.name for p in pods] == [
        "resnet-mlbench-worker-k8sedge-0",
        "resnet-mlbench-worker-k8sedge-1",
    ]
    for pod in pods:
        assert pod.phase == "Running" and pod.ip == ""  # the simulation gives pods no IP
        assert {"app": "mlbench", "component": "worker", "release": "k8sedge"}.items() <= (
            pod.labels.items()
        )
        assert pod.labels["set"] == "resnet"
    placed = placement(any_client)
    assert set(placed) == {p.name for p in pods}
    assert len(set(placed.values())) == 2 and set(placed.values()) <= set(names)  # one per node

    started = any_client.mlbench.runs.get(run.id)
    assert started.state is RunState.STARTED
    meta = started.job_metadata
    assert meta["master_name"] == "resnet-mlbench-worker-k8sedge-0"
    assert [p[2] for p in meta["pods"]] == [p.name for p in pods]
    assert meta["pods"][0][3].startswith("{'app': 'mlbench'")
    assert "Started run." in meta["stdout"] and meta["stderr"] == []
    assert "mpirun --host" in meta["command"]
    assert [r.state for r in any_client.mlbench.runs.list()] == [RunState.STARTED]
    assert any_client.mlbench.runs.list()[0].job_metadata == {}  # as the dashboard lists

    clock.advance(599)
    assert any_client.mlbench.runs.get(run.id).state is RunState.STARTED
    clock.advance(1)
    finished = any_client.mlbench.runs.get(run.id)
    assert finished.state is RunState.FINISHED
    assert finished.finished_at == run.created_at + timedelta(seconds=600)
    assert workers(any_client) == [] and placement(any_client) == {}  # the workers stopped


def test_the_workers_carry_the_runs_limits(any_client: k8sedge.Client) -> None:
    nodes(any_client, 2)
    any_client.mlbench.runs.create(name="limits", num_workers=1, num_cpus=2, max_bandwidth=250)
    pod = any_client.simulator.pods.get("limits-mlbench-worker-k8sedge-0").raw
    container = pod["spec"]["containers"][0]
    assert container["resources"]["limits"]["cpu"] == "2000.0m"  # as the dashboard writes it
    assert container["image"] == "mlbench/mlbench_worker"
    annotations = pod["metadata"]["annotations"]
    assert annotations["kubernetes.io/egress-bandwidth"] == "250M"
    assert annotations["kubernetes.io/ingress-bandwidth"] == "250M"
    anti = pod["spec"]["affinity"]["podAntiAffinity"]
    assert anti["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"] == (
        "kubernetes.io/hostname"
    )


def test_one_active_run_at_a_time(any_client: k8sedge.Client, clock: ManualClock) -> None:
    nodes(any_client, 2)
    first = any_client.mlbench.runs.create(name="first", num_workers=1, num_cpus=1, duration=60)
    with pytest.raises(k8sedge.ConflictError, match="There is already an active run"):
        any_client.mlbench.runs.create(name="second", num_workers=1, num_cpus=1)
    assert [p.name for p in workers(any_client)] == ["first-mlbench-worker-k8sedge-0"]
    clock.advance(60)
    beat(any_client)
    second = any_client.mlbench.runs.create(name="second", num_workers=2, num_cpus=1)
    assert second.id == first.id + 1
    assert [r.state for r in any_client.mlbench.runs.list()] == [
        RunState.FINISHED,
        RunState.STARTED,
    ]


def test_workers_that_cannot_be_placed_keep_the_run_initialized_until_the_deadline(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    nodes(any_client, 2)
    run = any_client.mlbench.runs.create(
        name="big", num_workers=3, num_cpus=1, placement_deadline=300
    )
    waiting = any_client.mlbench.runs.get(run.id)
    assert waiting.state is RunState.INITIALIZED
    reason = " ".join(waiting.job_metadata["stderr"])
    assert "1 of 3 workers cannot be placed" in reason
    assert "didn't match pod anti-affinity rules" in reason  # the scheduler's own words
    assert sorted(p.phase for p in workers(any_client)) == ["Pending", "Running", "Running"]
    clock.advance(299)
    assert any_client.mlbench.runs.get(run.id).state is RunState.INITIALIZED
    clock.advance(1)
    failed = any_client.mlbench.runs.get(run.id)
    assert failed.state is RunState.FAILED
    assert failed.finished_at == run.created_at + timedelta(seconds=300)
    assert "Run failed" in failed.job_metadata["stderr"]
    assert workers(any_client) == []


def test_a_node_added_in_time_lets_the_run_start(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    nodes(any_client, 1, cpu="2")
    run = any_client.mlbench.runs.create(name="grow", num_workers=2, num_cpus=2, duration=100)
    assert any_client.mlbench.runs.get(run.id).state is RunState.INITIALIZED
    clock.advance(30)
    register(any_client, "late", resources={"cpu": "2", "memory": "8Gi"})
    started = any_client.mlbench.runs.get(run.id)
    assert started.state is RunState.STARTED
    assert sorted(placement(any_client).values()) == ["late", "node-0"]
    clock.advance(100)  # the duration counts from the start, not from the creation
    finished = any_client.mlbench.runs.get(run.id)
    assert finished.state is RunState.FINISHED
    assert finished.finished_at == run.created_at + timedelta(seconds=130)


def test_a_client_marks_a_run_finished_or_failed(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    nodes(any_client, 2)
    run = any_client.mlbench.runs.create(name="marked", num_workers=1, num_cpus=1)
    any_client.mlbench.runs.get(run.id)
    clock.advance(42)
    done = any_client.mlbench.runs.finish(run.id)
    assert done.state is RunState.FINISHED
    assert done.finished_at == run.created_at + timedelta(seconds=42)
    assert workers(any_client) == []
    with pytest.raises(k8sedge.ConflictError, match="already finished"):
        any_client.mlbench.runs.finish(run.id, state="failed")
    with pytest.raises(k8sedge.BadRequestError):
        any_client.mlbench.runs.finish(run.id, state="paused")

    stuck = any_client.mlbench.runs.create(name="stuck", num_workers=5, num_cpus=1)
    with pytest.raises(k8sedge.ConflictError, match="has not started"):
        any_client.mlbench.runs.finish(stuck.id)
    failed = any_client.mlbench.runs.finish(stuck.id, state=RunState.FAILED)
    assert failed.state is RunState.FAILED and "Run failed" in failed.job_metadata["stderr"]
    assert workers(any_client) == []


def test_losing_a_worker_fails_a_started_run(any_client: k8sedge.Client) -> None:
    nodes(any_client, 2)
    run = any_client.mlbench.runs.create(name="fragile", num_workers=2, num_cpus=1)
    assert any_client.mlbench.runs.get(run.id).state is RunState.STARTED
    host = placement(any_client)["fragile-mlbench-worker-k8sedge-1"]
    node = next(n for n in any_client.edge.nodes.iter() if n.name == host)
    any_client.edge.nodes.delete(node.id)  # its pods go with it
    failed = any_client.mlbench.runs.get(run.id)
    assert failed.state is RunState.FAILED
    assert any("was lost" in line for line in failed.job_metadata["stderr"])
    assert workers(any_client) == []


def test_delete_stops_the_workers_and_forgets_the_run(any_client: k8sedge.Client) -> None:
    nodes(any_client, 2)
    run = any_client.mlbench.runs.create(name="gone", num_workers=2, num_cpus=1)
    any_client.mlbench.metrics.record(run_id=run.id, name="loss", value="0.5")
    pod = workers(any_client)[0].name
    any_client.mlbench.metrics.record(pod_name=pod, name="cpu", value="0.1")
    assert any_client.mlbench.runs.delete(run.id) is None
    with pytest.raises(k8sedge.NotFoundError):
        any_client.mlbench.runs.get(run.id)
    with pytest.raises(k8sedge.NotFoundError):
        any_client.mlbench.metrics.get(run.id)
    with pytest.raises(k8sedge.NotFoundError):
        any_client.mlbench.metrics.get(pod)
    assert workers(any_client) == [] and any_client.mlbench.runs.list() == []
    with pytest.raises(k8sedge.NotFoundError):
        any_client.mlbench.runs.delete(run.id)
    # the next run may take the freed cluster
    assert any_client.mlbench.runs.create(name="next", num_workers=2, num_cpus=1).id == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"num_workers": 0}, "num_workers"),
        ({"num_workers": "many"}, "num_workers"),
        ({"num_workers": 1001}, "num_workers"),
        ({"num_cpus": 0}, "num_cpus"),
        ({"num_cpus": float("nan")}, "num_cpus"),
        ({"num_cpus": "lots"}, "num_cpus"),
        ({"max_bandwidth": -5}, "max_bandwidth"),
        ({"backend": "carrier-pigeon"}, "backend"),
        ({"image": ""}, "image"),
        ({"gpu_enabled": "maybe"}, "gpu_enabled"),
        ({"duration": -1}, "duration"),
        ({"placement_deadline": 0}, "placement_deadline"),
    ],
)
def test_bad_runs_are_refused_and_create_nothing(
    any_client: k8sedge.Client, fields: dict[str, object], field: str
) -> None:
    nodes(any_client, 2)
    arguments: dict[str, object] = {"name": "ok", "num_workers": 1, "num_cpus": 1, **fields}
    with pytest.raises(k8sedge.BadRequestError) as caught:
        any_client.mlbench.runs.create(**arguments)  # type: ignore[arg-type]
    assert field in caught.value.details
    assert any_client.mlbench.runs.list() == [] and workers(any_client) == []
    assert placement(any_client) == {}


def test_any_name_is_kept_and_its_objects_are_named_after_it(any_client: k8sedge.Client) -> None:
    nodes(any_client, 2)
    run = any_client.mlbench.runs.create(name="Name of the run", num_workers=1, num_cpus=1)
    assert run.name == "Name of the run"
    assert [p.name for p in workers(any_client)] == ["name-of-the-run-mlbench-worker-k8sedge-0"]


def test_unknown_runs(any_client: k8sedge.Client) -> None:
    for missing in (7, "7", "abc"):
        with pytest.raises(k8sedge.NotFoundError):
            any_client.mlbench.runs.get(missing)
    with pytest.raises(k8sedge.BadRequestError):
        any_client.mlbench.runs.get("")


def test_wait_for_a_state(any_client: k8sedge.Client, clock: ManualClock) -> None:
    nodes(any_client, 2)
    run = any_client.mlbench.runs.create(name="waited", num_workers=1, num_cpus=1, duration=5)
    assert any_client.mlbench.runs.wait(run.id, state="started").state is RunState.STARTED
    clock.advance(5)
    assert any_client.mlbench.runs.wait(run.id).finished_at is not None
    with pytest.raises(k8sedge.ConflictError, match="is finished, not failed"):
        any_client.mlbench.runs.wait(run.id, state="failed")
    other = any_client.mlbench.runs.create(name="slow", num_workers=1, num_cpus=1)
    with pytest.raises(k8sedge.ServiceUnavailableError, match="timed out"):
        any_client.mlbench.runs.wait(other.id, timeout=0.05, interval=0.01)


def test_the_workers_take_their_share_of_the_nodes(any_client: k8sedge.Client) -> None:
    """An edge workload sees the nodes the run's workers occupy."""
    nodes(any_client, 2, cpu="4")
    any_client.mlbench.runs.create(name="hog", num_workers=2, num_cpus=3)
    app = any_client.edge.workloads.create(
        name="web",
        image="nginx",
        replicas=2,
        resources={"requests": {"cpu": "2"}},
    )
    any_client.edge.workloads.deploy(app.id)
    view = any_client.edge.workloads.get(app.id)
    assert view.status == "pending"
    assert "Insufficient cpu" in (view.message or "")
