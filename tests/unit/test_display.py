"""What users see in a terminal and a notebook: compact reprs, HTML tables, DataFrames."""

from __future__ import annotations

import pytest

import k8sedge
from k8sedge.testing import cluster


def _two_nodes_and_a_pod(client: k8sedge.Client) -> None:
    for name in ("node-a", "node-b"):
        client.simulator.nodes.create(
            {
                "metadata": {"name": name},
                "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
            }
        )
    client.simulator.pods.create(
        {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    )


def test_models_have_a_compact_repr_html_and_a_wire_form() -> None:
    with cluster() as (client, _):
        node = client.edge.nodes.register(name="edge-1", address="10.0.0.1")
        assert repr(node) == (
            f"Node(name='edge-1', status='registered', address='10.0.0.1', id='{node.id}')"
        )
        assert "<table>" in node._repr_html_() and "edge-1" in node._repr_html_()
        assert node.to_dict()["status"] == "registered"
        w = client.edge.workloads.create(name="web", image="nginx")
        assert repr(w).startswith("Workload(name='web', namespace='default', status='created'")


def test_a_page_is_a_sequence_of_its_items() -> None:
    with cluster() as (client, _):
        for i in range(3):
            client.edge.nodes.register(name=f"edge-{i}", address="10.0.0.1")
        page = client.edge.nodes.list(limit=2)
        assert len(page) == 2
        assert [n.name for n in page] == ["edge-0", "edge-1"]
        assert page[1].name == "edge-1"
        assert repr(page) == "Page(2 items; page 1 of 2, 3 in all)"
        frame = page.to_pandas()
        assert list(frame["name"]) == ["edge-0", "edge-1"]
        assert "page 1 of 2" in page._repr_html_()


def test_metrics_as_dataframes() -> None:
    with cluster() as (client, clock):
        node = client.edge.nodes.register(name="edge-1", address="10.0.0.1")
        for i in range(6):
            client.edge.metrics.record(node.id, cpu_usage=10.0 * i, memory_usage=1.0)
            clock.advance(60)
        frame = client.edge.metrics.node(node.id, "10m", "1m").to_pandas()
        assert list(frame.columns[:1]) == ["timestamp"]
        assert frame["cpu_usage"].max() == 50.0
        assert len(client.edge.metrics.all("10m", "1m").to_pandas()) == len(frame)


def test_scheduling_results_and_exports_as_tables() -> None:
    with cluster() as (client, _):
        _two_nodes_and_a_pod(client)
        pod = client.simulator.pods.get("web")
        assert repr(pod) == f"KubeObject(Pod default/web on {pod.node_name})"
        result = client.simulator.pods.result("web")
        assert repr(result) == f"SchedulingResult(selected_node={pod.node_name!r})"
        frame = result.to_pandas()
        assert set(frame["node"]) == {"node-a", "node-b"}
        assert frame.loc[frame["selected"], "node"].item() == pod.node_name
        assert (frame["total"] > 0).all()
        assert "scheduled on" in result._repr_html_()
        exported = client.simulator.export()
        assert repr(exported) == "ResourcesForLoad(2 nodes, 1 pods)"
        assert list(exported.to_pandas()["kind"]) == ["nodes", "nodes", "pods"]


def test_a_comparison_as_a_table() -> None:
    with cluster() as (client, _):
        _two_nodes_and_a_pod(client)
        comparison = client.simulator.compare({"default": {}})
        assert "pods per node" in comparison._repr_html_()
        assert list(comparison.to_pandas()["config"]) == ["default"]


def _scenario() -> dict[str, object]:
    return {
        "nodes": [
            {
                "metadata": {"name": f"n{i}"},
                "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
            }
            for i in range(3)
        ],
        "pods": [
            {"metadata": {"name": f"p{i}"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
            for i in range(7)
        ],
    }


def test_long_work_shows_progress_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    with cluster() as (client, _):
        client.simulator.import_(_scenario(), progress=True)
        err = capsys.readouterr().err
        assert "importing" in err and "10/10" in err
        client.simulator.compare({"a": {}, "b": {}}, progress=True)
        err = capsys.readouterr().err
        assert "comparing" in err and "2/2" in err


def test_progress_is_quiet_in_scripts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("K8SEDGE_PROGRESS", raising=False)
    with cluster() as (client, _):
        client.simulator.import_(_scenario())  # stderr is not a terminal here
        client.simulator.compare({"a": {}})
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("K8SEDGE_PROGRESS", "1")
    with cluster() as (client, _):
        client.simulator.import_(_scenario())
    assert "importing" in capsys.readouterr().err
