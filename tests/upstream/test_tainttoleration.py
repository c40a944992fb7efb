"""Ported from kubernetes/kubernetes
pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go (v1.32 behaviour:
the filter names the untolerated taint, ``{key: value}``; numeric toleration operators are
newer and left out)."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import node, only, pod, run, scores

PNS, NS = "PreferNoSchedule", "NoSchedule"


def taint(key: str, value: str, effect: str) -> dict[str, str]:
    return {"key": key, "value": value, "effect": effect}


def tol(key: str, value: str = "", effect: str = "", operator: str = "Equal") -> dict[str, str]:
    out = {"key": key, "operator": operator, "effect": effect}
    if value:
        out["value"] = value
    return out


# pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go: TestTaintTolerationScore
SCORE = [
    pytest.param(
        [tol("foo", "bar", PNS)],
        {"nodeA": [taint("foo", "bar", PNS)], "nodeB": [taint("foo", "blah", PNS)]},
        {"nodeA": 100, "nodeB": 0},
        id="node with taints tolerated by the pod, gets a higher score than those node with "
        "intolerable taints",
    ),
    pytest.param(
        [tol("cpu-type", "arm64", PNS), tol("disk-type", "ssd", PNS)],
        {
            "nodeA": [],
            "nodeB": [taint("cpu-type", "arm64", PNS)],
            "nodeC": [taint("cpu-type", "arm64", PNS), taint("disk-type", "ssd", PNS)],
        },
        {"nodeA": 100, "nodeB": 100, "nodeC": 100},
        id="the nodes that all of their taints are tolerated by the pod, get the same score, "
        "no matter how many tolerable taints a node has",
    ),
    pytest.param(
        [tol("foo", "bar", PNS)],
        {
            "nodeA": [],
            "nodeB": [taint("cpu-type", "arm64", PNS)],
            "nodeC": [taint("cpu-type", "arm64", PNS), taint("disk-type", "ssd", PNS)],
        },
        {"nodeA": 100, "nodeB": 50, "nodeC": 0},
        id="the more intolerable taints a node has, the lower score it gets.",
    ),
    pytest.param(
        [tol("cpu-type", "arm64", NS), tol("disk-type", "ssd", NS)],
        {
            "nodeA": [],
            "nodeB": [taint("cpu-type", "arm64", NS)],
            "nodeC": [taint("cpu-type", "arm64", PNS), taint("disk-type", "ssd", PNS)],
        },
        {"nodeA": 100, "nodeB": 100, "nodeC": 0},
        id="only taints and tolerations that have effect PreferNoSchedule are checked by "
        "taints-tolerations priority function",
    ),
    pytest.param(
        [],
        {"nodeA": [], "nodeB": [taint("cpu-type", "arm64", PNS)]},
        {"nodeA": 100, "nodeB": 0},
        id="Default behaviour No taints and tolerations, lands on node with no taints",
    ),
]


@pytest.mark.parametrize(("tolerations", "nodes", "want"), SCORE)
def test_taint_toleration_score(tolerations: Any, nodes: Any, want: Any) -> None:
    config = only("TaintToleration", points=("preScore", "score"))
    result = run(
        config,
        [node(name, taints=taints) for name, taints in nodes.items()],
        pod("pod1", tolerations=tolerations),
    )
    assert scores(result, "TaintToleration") == want


# pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go: TestTaintTolerationFilter  # noqa: E501
FILTER = [
    pytest.param(
        [],
        [taint("dedicated", "user1", NS)],
        "node(s) had untolerated taint {dedicated: user1}",
        id="A pod having no tolerations can't be scheduled onto a node with nonempty taints",
    ),
    pytest.param(
        [tol("dedicated", "user1", NS)],
        [taint("dedicated", "user1", NS)],
        None,
        id="A pod which can be scheduled on a dedicated node assigned to user1 with effect "
        "NoSchedule",
    ),
    pytest.param(
        [tol("dedicated", "user2", NS)],
        [taint("dedicated", "user1", NS)],
        "node(s) had untolerated taint {dedicated: user1}",
        id="A pod which can't be scheduled on a dedicated node assigned to user2 with effect "
        "NoSchedule",
    ),
    pytest.param(
        [tol("foo", effect=NS, operator="Exists")],
        [taint("foo", "bar", NS)],
        None,
        id="A pod can be scheduled onto the node, with a toleration uses operator Exists that "
        "tolerates the taints on the node",
    ),
    pytest.param(
        [tol("dedicated", "user2", NS), tol("foo", effect=NS, operator="Exists")],
        [taint("dedicated", "user2", NS), taint("foo", "bar", NS)],
        None,
        id="A pod has multiple tolerations, node has multiple taints, all the taints are "
        "tolerated, pod can be scheduled onto the node",
    ),
    pytest.param(
        [tol("foo", "bar", PNS)],
        [taint("foo", "bar", NS)],
        "node(s) had untolerated taint {foo: bar}",
        id="A pod has a toleration that keys and values match the taint on the node, but "
        "(non-empty) effect doesn't match, can't be scheduled onto the node",
    ),
    pytest.param(
        [tol("foo", "bar")],
        [taint("foo", "bar", NS)],
        None,
        id="The pod has a toleration that keys and values match the taint on the node, the "
        "effect of toleration is empty, and the effect of taint is NoSchedule. Pod can be "
        "scheduled onto the node",
    ),
    pytest.param(
        [tol("dedicated", "user2", NS)],
        [taint("dedicated", "user1", PNS)],
        None,
        id="The pod has a toleration that key and value don't match the taint on the node, but "
        "the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
    ),
    pytest.param(
        [],
        [taint("dedicated", "user1", PNS)],
        None,
        id="The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod "
        "can be scheduled onto the node",
    ),
]


@pytest.mark.parametrize(("tolerations", "taints", "want"), FILTER)
def test_taint_toleration_filter(tolerations: Any, taints: Any, want: Any) -> None:
    config = only("TaintToleration", points=("filter",))
    result = run(config, [node("nodeA", taints=taints)], pod("pod1", tolerations=tolerations))
    if want is None:
        assert result.selected_node == "nodeA"
    else:
        assert result.filter["nodeA"]["TaintToleration"] == want
        assert result.message == f"0/1 nodes are available: 1 {want}."
