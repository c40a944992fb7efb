"""Ported from kubernetes/kubernetes pkg/scheduler/internal/cache/node_tree_test.go
(TestNodeTree_List, TestNodeTreeMultiOperations): nodes are visited in the node tree's
zone-interleaved order. Through the simulator the order shows as the order of the first
pod's filter results (one pass-through filter, fewer than 100 nodes so every node is
evaluated, starting at index 0)."""

from __future__ import annotations

from typing import Any

import pytest

import k8sedge

from .helpers import node, only

REGION = "topology.kubernetes.io/region"
ZONE = "topology.kubernetes.io/zone"
BETA_REGION = "failure-domain.beta.kubernetes.io/region"
BETA_ZONE = "failure-domain.beta.kubernetes.io/zone"

ALL = [
    node("node-0"),
    node("node-1", labels={REGION: "region-1"}),
    node("node-2", labels={ZONE: "zone-2"}),
    node("node-3", labels={REGION: "region-1", ZONE: "zone-2"}),
    node("node-4", labels={REGION: "region-1", ZONE: "zone-2"}),
    node("node-5", labels={REGION: "region-1", ZONE: "zone-3"}),
    node("node-6", labels={REGION: "region-2", ZONE: "zone-2"}),
    node("node-7", labels={REGION: "region-2", ZONE: "zone-2"}),
    node("node-8", labels={REGION: "region-2", ZONE: "zone-2"}),
    node(
        "node-9",
        labels={REGION: "region-2", ZONE: "zone-2", BETA_REGION: "region-2", BETA_ZONE: "zone-2"},
    ),
    node("node-10", labels={BETA_REGION: "region-2", BETA_ZONE: "zone-3"}),
]


def order(operations: list[tuple[str, dict[str, Any]]]) -> list[str]:
    sim = k8sedge.connect(seed=0).simulator
    sim.update_config(only("NodeUnschedulable"))
    for op, n in operations:
        if op == "add":
            sim.nodes.create(n)
        else:
            sim.nodes.delete(n["metadata"]["name"])
    created = sim.pods.create({"metadata": {"name": "p"}, "spec": {"containers": []}})
    return list(sim.pods.result(created.name).filter)


# pkg/scheduler/internal/cache/node_tree_test.go: TestNodeTree_List
LIST = [
    pytest.param(ALL[:1], ["node-0"], id="one node"),
    pytest.param(ALL[:4], ["node-0", "node-1", "node-2", "node-3"], id="four nodes"),
    pytest.param(
        ALL[:9],
        ["node-0", "node-1", "node-2", "node-3", "node-5", "node-6", "node-4", "node-7", "node-8"],
        id="all nodes",
    ),
]


@pytest.mark.parametrize(("nodes", "want"), LIST)
def test_node_tree_list(nodes: Any, want: Any) -> None:
    assert order([("add", n) for n in nodes]) == want


def ops(adds: list[Any], removes: list[Any], sequence: str) -> list[tuple[str, Any]]:
    out, a, r = [], iter(adds), iter(removes)
    for op in sequence.split():
        out.append((op, next(a) if op == "add" else next(r)))
    return out


# pkg/scheduler/internal/cache/node_tree_test.go: TestNodeTreeMultiOperations
MULTI = [
    pytest.param(
        ops(ALL[2:9], ALL[2:9], "add add add remove"),
        ["node-3", "node-4"],
        id="add and remove some nodes",
    ),
    pytest.param(
        ops(ALL[2:9], ALL[2:9], "add add add remove remove remove add"),
        ["node-5"],
        id="remove three nodes",
    ),
    pytest.param(
        ops([*ALL[4:9], ALL[3]], [], "add add add add add add"),
        ["node-4", "node-5", "node-6", "node-3", "node-7", "node-8"],
        id="add more nodes to an exhausted zone",
    ),
    pytest.param(
        ops([*ALL[3:5], *ALL[6:8]], ALL[3:5], "add add remove add add remove"),
        ["node-6", "node-7"],
        id="remove zone and add new",
    ),
]


@pytest.mark.parametrize(("operations", "want"), MULTI)
def test_node_tree_multi_operations(operations: Any, want: Any) -> None:
    assert order(operations) == want


def test_deprecated_zone_labels_share_a_zone() -> None:
    # node_tree_test.go: TestNodeTree_AddNode "nodes also using deprecated zone/region label":
    # node-9 (GA and beta labels) and node-6 are one zone; node-10 (beta only) another
    got = order([("add", n) for n in (ALL[6], ALL[10], ALL[9])])
    assert got == ["node-6", "node-10", "node-9"]
