"""Rich objects of the pool, MLBench and Cello surfaces: compact reprs, HTML tables, wire
forms and DataFrames."""

from __future__ import annotations

import json

import k8sedge
from k8sedge.testing import cluster


def test_pool_models_are_compact_and_frame() -> None:
    with cluster() as (client, _):
        node = client.edge.nodes.register(
            name="core0", address="10.0.0.5", resources={"cpu": "2", "memory": "1Gi"}
        )
        pool = client.pool
        assert repr(pool.nodes.get(node.id)) == (
            f"PoolNode(hostname='core0', status='running', id='{node.id}')"
        )
        mem = pool.nodes.mem(node.id)
        assert repr(mem) == "MemInfo(total=1073741824, used=0, used_percent=0.0)"
        assert mem.to_dict()["usedPercent"] == 0.0  # the pool's wire names
        assert "<table>" in mem._repr_html_()
        pool.containers.create(node.id, id="c1", hostname="c1", flist="x.flist")
        assert repr(pool.containers.list(node.id)[0]) == (
            "ContainerListItem(id='c1', status='running', flist='x.flist')"
        )
        assert repr(pool.processes.list(node.id, "c1")[0]).startswith("Process(pid=1, cmdline=")
        frame = k8sedge.to_pandas(pool.nodes.list())
        assert frame[["hostname", "status"]].values.tolist() == [["core0", "running"]]


def test_mlbench_runs_and_series() -> None:
    with cluster() as (client, _):
        client.edge.nodes.register(
            name="n0", address="10.0.0.1", resources={"cpu": "4", "memory": "8Gi"}
        )
        ml = client.mlbench
        run = ml.runs.create(name="r", num_workers=1, num_cpus=1)
        assert repr(run) == "Run(id=1, name='r', state='initialized', num_workers=1)"
        assert json.loads(json.dumps(run.to_dict()))["state"] == "initialized"
        assert repr(ml.pods.list()[0]) == (
            "KubePod(name='r-mlbench-worker-k8sedge-0', phase='Running', ip='')"
        )
        ml.metrics.record_batch(
            [{"run_id": run.id, "name": "loss", "value": str(v)} for v in (3, 2, 1)]
            + [{"run_id": run.id, "name": "note", "value": "hello"}]
        )
        series = ml.metrics.get(run.id)
        assert isinstance(series, dict) and isinstance(series, k8sedge.MLBenchMetricSeries)
        frame = series.to_pandas()
        assert list(frame.columns) == ["metric", "date", "value", "number", "cumulative"]
        assert frame.loc[frame["metric"] == "loss", "number"].tolist() == [3.0, 2.0, 1.0]
        assert frame.loc[frame["metric"] == "note", "number"].isna().all()
        assert "loss" in series._repr_html_()
        everything = ml.metrics.all()
        assert repr(everything).startswith("AllMetrics(")
        assert set(everything.to_pandas()["owner"]) == {"r"}
        empty = k8sedge.MLBenchMetricSeries().to_pandas()
        assert len(empty) == 0 and "number" in empty.columns


def test_cello_clusters_and_hosts() -> None:
    with cluster() as (client, clock):
        client.simulator.nodes.create(
            {
                "metadata": {"name": "n0"},
                "status": {"allocatable": {"cpu": "8", "memory": "16Gi", "pods": "110"}},
            }
        )
        host = client.cello.hosts.create(name="h", worker_api="10.0.0.1:2375", capacity=1)
        assert repr(host) == (
            f"Host(name='h', status='active', capacity=1, clusters=[], id='{host.id}')"
        )
        assert host.to_dict()["autofill"] == "false"  # Cello's own wire form, kept
        client.cello.hosts.fillup(host.id)
        clock.advance(5)
        mine = client.cello.apply(user_id="alice")
        assert repr(mine) == (
            f"Cluster(name='h_0', status='running', health='OK', user_id='alice', id='{mine.id}')"
        )
        assert "mapped_ports" in mine._repr_html_()
        frame = k8sedge.to_pandas(client.cello.clusters.list())
        assert frame[["name", "user_id", "health"]].values.tolist() == [["h_0", "alice", "OK"]]
