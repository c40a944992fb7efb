"""Scheduler extenders: real HTTP webhooks on 127.0.0.1, configured through the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import k8sedge
from k8sedge.server.threaded import serve_in_thread


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail_bind = False


@pytest.fixture
def extender() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    async def filter_(request: Request) -> JSONResponse:
        args = await request.json()
        recorder.calls.append(("filter", args))
        names = args["nodenames"]
        return JSONResponse(
            {
                "nodenames": [n for n in names if not n.startswith("bad")],
                "failedNodes": {n: "the extender says no" for n in names if n.startswith("bad")},
                "error": "",
            }
        )

    async def prioritize(request: Request) -> JSONResponse:
        args = await request.json()
        recorder.calls.append(("prioritize", args))
        return JSONResponse(
            [{"host": n, "score": 10 if n == "favourite" else 0} for n in args["nodenames"]]
        )

    async def bind(request: Request) -> JSONResponse:
        args = await request.json()
        recorder.calls.append(("bind", args))
        return JSONResponse({"error": "no binding today" if recorder.fail_bind else ""})

    app = Starlette(
        routes=[
            Route("/ext/filter", filter_, methods=["POST"]),
            Route("/ext/prioritize", prioritize, methods=["POST"]),
            Route("/ext/bind", bind, methods=["POST"]),
        ]
    )
    with serve_in_thread(app) as url:
        yield url, recorder


def node(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
    }


def pod(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "100m"}}}]},
    }


def test_filter_prioritize_and_bind_extenders(extender: tuple[str, Recorder]) -> None:
    url, recorder = extender
    sim = k8sedge.connect().simulator
    for name in ("bad-1", "plain", "favourite"):
        sim.nodes.create(node(name))
    sim.update_config(
        {
            "profiles": [{"schedulerName": "default-scheduler"}],
            "extenders": [
                {
                    "urlPrefix": f"{url}/ext",
                    "filterVerb": "filter",
                    "prioritizeVerb": "prioritize",
                    "bindVerb": "bind",
                    "weight": 2,
                    "nodeCacheCapable": True,
                    "httpTimeout": "5s",
                }
            ],
        }
    )
    assert sim.config().extenders[0].url_prefix == f"{url}/ext"
    placed = sim.pods.create(pod("p1"))
    assert placed.node_name == "favourite"
    kinds = [kind for kind, _ in recorder.calls]
    assert kinds == ["filter", "prioritize", "bind"]
    assert recorder.calls[0][1]["pod"]["metadata"]["name"] == "p1"
    assert set(recorder.calls[0][1]["nodenames"]) == {"bad-1", "plain", "favourite"}
    assert recorder.calls[2][1]["node"] == "favourite"
    annotations = sim.pods.get("p1").annotations
    filtered = annotations["kube-scheduler-simulator.sigs.k8s.io/extender-filter-result"]
    assert "the extender says no" in filtered
    scores = sim.pods.result("p1")
    # the extender's 10 x weight 2 x (100 / 10) is added after the plugins' final scores
    assert scores.final_score["favourite"] == scores.final_score["plain"]
    recorder.fail_bind = True
    refused = sim.pods.create(pod("p2"))
    assert refused.node_name is None
    assert "no binding today" in (refused.scheduling_result().message or "")


def test_unreachable_extenders(extender: tuple[str, Recorder]) -> None:
    sim = k8sedge.connect().simulator
    sim.nodes.create(node("n1"))
    sim.nodes.create(node("n2"))
    dead = {"urlPrefix": "http://127.0.0.1:9/ext", "filterVerb": "filter", "httpTimeout": "1s"}
    sim.update_config({"profiles": [], "extenders": [{**dead, "ignorable": True}]})
    assert sim.pods.create(pod("ignored")).node_name in ("n1", "n2")
    sim.update_config({"profiles": [], "extenders": [dead]})
    failed = sim.pods.create(pod("blocked"))
    assert failed.node_name is None
    assert "extender http://127.0.0.1:9/ext filter" in (failed.scheduling_result().message or "")
    with pytest.raises(k8sedge.BadRequestError) as info:
        sim.update_config({"profiles": [], "extenders": [{"urlPrefix": "", "filterVerb": "f"}]})
    assert "extenders[0].urlPrefix" in info.value.details
    with pytest.raises(k8sedge.BadRequestError):
        sim.update_config(
            {
                "profiles": [],
                "extenders": [{"urlPrefix": "http://x", "prioritizeVerb": "p", "weight": 0}],
            }
        )
