"""Ported from kubernetes/kubernetes
pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go (TestPostFilter,
TestSelectBestCandidate), v1.28-v1.32 behaviour.

The profile is upstream's: NodeResourcesFit at preFilter/filter, DefaultPreemption at
postFilter, PrioritySort and DefaultBinder. The incoming pod is created; when preemption
finds a candidate the simulator evicts the victims and schedules the pod again, so the
nominated node is ``status.nominatedNodeName`` and the pod ends up bound there. Where the
Go table presets a node's status as UnschedulableAndUnresolvable, the node fails the
NodeUnschedulable filter instead. Start times one nanosecond apart (``epochTime1``...)
are one second apart here (a pod's ``status.startTime`` has second precision). Cases with
PodDisruptionBudgets are in ``test_preemption_budgets.py``; cases with extenders, pod groups
or error-injecting test plugins are left out.
"""

from __future__ import annotations

from typing import Any

import pytest

import k8sedge

from .helpers import node

LOW, MID, HIGH, VERY_HIGH, NEG = 0, 100, 1000, 10000, -100
SMALL = {"cpu": "100m", "memory": "100"}
MEDIUM = {"cpu": "200m", "memory": "200"}
LARGE = {"cpu": "300m", "memory": "300"}
VERY_LARGE = {"cpu": "500m", "memory": "500"}
ONE_POD = {"pods": "1"}
NODE_RES = {"cpu": "200m", "memory": "400"}


def config(*, unschedulable_filter: bool = False) -> dict[str, Any]:
    filters = [{"name": "NodeResourcesFit"}]
    if unschedulable_filter:
        filters.insert(0, {"name": "NodeUnschedulable"})
    return {
        "apiVersion": "kubescheduler.config.k8s.io/v1",
        "kind": "KubeSchedulerConfiguration",
        "profiles": [
            {
                "schedulerName": "default-scheduler",
                "plugins": {
                    "multiPoint": {"disabled": [{"name": "*"}]},
                    "queueSort": {"enabled": [{"name": "PrioritySort"}]},
                    "preFilter": {"enabled": [{"name": "NodeResourcesFit"}]},
                    "filter": {"enabled": filters},
                    "postFilter": {"enabled": [{"name": "DefaultPreemption"}]},
                    "bind": {"enabled": [{"name": "DefaultBinder"}]},
                },
            }
        ],
    }


def p(
    name: str,
    priority: int = LOW,
    req: dict[str, str] | None = None,
    node: str | None = None,
    start: int | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "pause"}
    if req is not None:
        container["resources"] = {"requests": dict(req)}
    obj: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [container], "priority": priority},
    }
    if node is not None:
        obj["spec"]["nodeName"] = node
    if start is not None:
        obj["status"] = {"startTime": f"1970-01-01T00:00:{start:02d}Z"}
    return obj


def preempt(
    nodes: list[dict[str, Any]],
    existing: list[dict[str, Any]],
    incoming: dict[str, Any],
    *,
    unschedulable_filter: bool = False,
) -> tuple[Any, set[str]]:
    sim = k8sedge.connect(seed=0).simulator
    sim.update_config(config(unschedulable_filter=unschedulable_filter))
    for n in nodes:
        sim.nodes.create(n)
    for e in existing:
        sim.pods.create(e)
    created = sim.pods.create(incoming)
    left = {x.name for x in sim.pods.list()}
    return sim.pods.get(created.name), left


# pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go: TestPostFilter
POST_FILTER = [
    pytest.param(
        [node("node1", capacity=ONE_POD)],
        [p("p1", node="node1")],
        p("p", HIGH),
        "node1",
        None,
        False,
        id="pod with higher priority can be made schedulable",
    ),
    pytest.param(
        [node("node1", capacity=ONE_POD)],
        [p("p1", node="node1")],
        p("p"),
        None,
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
        False,
        id="pod with tied priority is still unschedulable",
    ),
    pytest.param(
        [node("node1", capacity=ONE_POD, unschedulable=True)],
        [p("p1", node="node1")],
        p("p", HIGH),
        None,
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
        True,
        id="preemption should respect filteredNodesStatuses",
    ),
    pytest.param(
        [node("node1", capacity=ONE_POD), node("node2", capacity=ONE_POD)],
        [p("p1", HIGH, node="node1"), p("p2", LOW, node="node2")],
        p("p", MID),
        "node2",
        None,
        False,
        id="pod can be made schedulable on one node",
    ),
    pytest.param(
        [node("node1", capacity=NODE_RES), node("node2", capacity=NODE_RES)],
        [p("p1", node="node1"), p("p2", node="node2")],
        p("p", HIGH, LARGE),
        None,
        "preemption: 0/2 nodes are available: 2 Insufficient cpu.",
        False,
        id="no candidate nodes found, no enough resource after removing low priority pods",
    ),
    pytest.param(
        [
            node("node1", capacity=ONE_POD),
            node("node2", capacity=NODE_RES),
            node("node3", capacity=ONE_POD),
        ],
        [p("p1", HIGH, node="node1"), p("p2", node="node2"), p("p3", HIGH, node="node3")],
        p("p", HIGH, LARGE),
        None,
        "preemption: 0/3 nodes are available: 1 Insufficient cpu, 2 No preemption victims "
        "found for incoming pod.",
        False,
        id="no candidate nodes found with mixed reasons, no lower priority pod and no enough "
        "CPU resource",
    ),
    pytest.param(
        [
            node("node1", capacity=NODE_RES),
            node("node2", capacity=NODE_RES),
            node("node3", capacity=NODE_RES, unschedulable=True),
            node("node4", capacity=NODE_RES, unschedulable=True),
        ],
        [p("p1", node="node1"), p("p2", node="node2")],
        p("p", HIGH, LARGE),
        None,
        "preemption: 0/4 nodes are available: 2 Insufficient cpu, 2 Preemption is not helpful "
        "for scheduling.",
        True,
        id="no candidate nodes found with mixed reason, 2 UnschedulableAndUnresolvable nodes and "
        "2 nodes don't have enough CPU resource",
    ),
]


@pytest.mark.parametrize(
    ("nodes", "existing", "incoming", "nominated", "message", "unschedulable"), POST_FILTER
)
def test_post_filter(
    nodes: Any, existing: Any, incoming: Any, nominated: Any, message: Any, unschedulable: bool
) -> None:
    got, _ = preempt(nodes, existing, incoming, unschedulable_filter=unschedulable)
    if nominated is not None:
        assert got.status.get("nominatedNodeName") == nominated
        assert got.node_name == nominated
    else:
        assert got.node_name is None
        text = got.scheduling_result().message or ""
        assert text.endswith(f". {message}"), text


def nodes_of(*names: str) -> list[dict[str, Any]]:
    return [node(n, capacity=VERY_LARGE) for n in names]


# pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go: TestSelectBestCandidate  # noqa: E501
SELECT_BEST = [
    pytest.param(
        nodes_of("node1", "node2"),
        p("p", HIGH, LARGE),
        [p("p1", MID, LARGE, "node1", 0), p("p2", MID, LARGE, "node2", 0)],
        {"node1", "node2"},
        id="a pod that fits on both nodes when lower priority pods are preempted",
    ),
    pytest.param(
        nodes_of("node1", "node2", "node3"),
        p("p", HIGH, VERY_LARGE),
        [
            p("p1.1", MID, MEDIUM, "node1", 0),
            p("p1.2", MID, LARGE, "node1", 0),
            p("p2.1", MID, MEDIUM, "node2", 0),
            p("p2.2", LOW, MEDIUM, "node2", 0),
            p("p3.1", LOW, MEDIUM, "node3", 0),
            p("p3.2", LOW, MEDIUM, "node3", 0),
        ],
        {"node3"},
        id="node with min highest priority pod is picked",
    ),
    pytest.param(
        nodes_of("node1", "node2", "node3"),
        p("p", HIGH, VERY_LARGE),
        [
            p("p1.1", MID, MEDIUM, "node1", 0),
            p("p1.2", MID, LARGE, "node1", 0),
            p("p2.1", MID, LARGE, "node2", 0),
            p("p2.2", LOW, MEDIUM, "node2", 0),
            p("p3.1", MID, MEDIUM, "node3", 0),
            p("p3.2", MID, MEDIUM, "node3", 0),
        ],
        {"node2"},
        id="when highest priorities are the same, minimum sum of priorities is picked",
    ),
    pytest.param(
        nodes_of("node1", "node2", "node3"),
        p("p", HIGH, VERY_LARGE),
        [
            p("p1.1", MID, SMALL, "node1", 0),
            p("p1.2", NEG, SMALL, "node1", 0),
            p("p1.3", MID, SMALL, "node1", 0),
            p("p1.4", NEG, SMALL, "node1", 0),
            p("p2.1", MID, LARGE, "node2", 0),
            p("p2.2", NEG, MEDIUM, "node2", 0),
            p("p3.1", MID, MEDIUM, "node3", 0),
            p("p3.2", NEG, SMALL, "node3", 0),
            p("p3.3", LOW, SMALL, "node3", 0),
        ],
        {"node2"},
        id="when highest priority and sum are the same, minimum number of pods is picked",
    ),
    pytest.param(
        nodes_of("node1", "node2", "node3"),
        p("p", HIGH, VERY_LARGE),
        [
            p("p1.1", MID, SMALL, "node1", 0),
            p("p1.2", NEG, SMALL, "node1", 0),
            p("p1.3", NEG, SMALL, "node1", 0),
            p("p2.1", MID, LARGE, "node2", 0),
            p("p2.2", NEG, MEDIUM, "node2", 0),
            p("p3.1", MID, MEDIUM, "node3", 0),
            p("p3.2", NEG, SMALL, "node3", 0),
            p("p3.3", LOW, SMALL, "node3", 0),
        ],
        {"node2"},
        id="sum of adjusted priorities is considered",
    ),
    pytest.param(
        nodes_of("node1", "node2", "node3", "node4"),
        p("p", VERY_HIGH, VERY_LARGE),
        [
            p("p1.1", MID, SMALL, "node1", 0),
            p("p1.2", LOW, SMALL, "node1", 0),
            p("p1.3", LOW, SMALL, "node1", 0),
            p("p2.1", HIGH, LARGE, "node2", 0),
            p("p3.1", MID, MEDIUM, "node3", 0),
            p("p3.2", LOW, SMALL, "node3", 0),
            p("p3.3", LOW, SMALL, "node3", 0),
            p("p3.4", LOW, MEDIUM, "node3", 0),
            p("p4.1", MID, MEDIUM, "node4", 0),
            p("p4.2", MID, SMALL, "node4", 0),
            p("p4.3", MID, SMALL, "node4", 0),
            p("p4.4", NEG, SMALL, "node4", 0),
        ],
        {"node1"},
        id="non-overlapping lowest high priority, sum priorities, and number of pods",
    ),
    pytest.param(
        nodes_of("node1", "node2", "node3"),
        p("p", HIGH, VERY_LARGE),
        [
            p("p1.1", MID, MEDIUM, "node1", 2),
            p("p1.2", MID, MEDIUM, "node1", 2),
            p("p2.1", MID, MEDIUM, "node2", 3),
            p("p2.2", MID, MEDIUM, "node2", 3),
            p("p3.1", MID, MEDIUM, "node3", 1),
            p("p3.2", MID, MEDIUM, "node3", 1),
        ],
        {"node2"},
        id="same priority, same number of victims, different start time for each node's pod",
    ),
    pytest.param(
        nodes_of("node1", "node2", "node3"),
        p("p", HIGH, VERY_LARGE),
        [
            p("p1.1", MID, MEDIUM, "node1", 4),
            p("p1.2", MID, MEDIUM, "node1", 2),
            p("p2.1", MID, MEDIUM, "node2", 5),
            p("p2.2", MID, MEDIUM, "node2", 1),
            p("p3.1", MID, MEDIUM, "node3", 3),
            p("p3.2", MID, MEDIUM, "node3", 6),
        ],
        {"node3"},
        id="same priority, same number of victims, different start time for all pods",
    ),
    pytest.param(
        nodes_of("node1", "node2", "node3"),
        p("p", HIGH, VERY_LARGE),
        [
            p("p1.1", LOW, MEDIUM, "node1", 4),
            p("p1.2", MID, MEDIUM, "node1", 2),
            p("p2.1", MID, MEDIUM, "node2", 6),
            p("p2.2", LOW, MEDIUM, "node2", 1),
            p("p3.1", LOW, MEDIUM, "node3", 3),
            p("p3.2", MID, MEDIUM, "node3", 5),
        ],
        {"node2"},
        id="different priority, same number of victims, different start time for all pods",
    ),
]


@pytest.mark.parametrize(("nodes", "incoming", "existing", "expected"), SELECT_BEST)
def test_select_best_candidate(nodes: Any, incoming: Any, existing: Any, expected: Any) -> None:
    got, left = preempt(nodes, existing, incoming)
    nominated = got.status.get("nominatedNodeName")
    assert nominated in expected
    assert got.node_name == nominated
    victims = {e["metadata"]["name"] for e in existing if e["spec"]["nodeName"] == nominated}
    assert not victims & left  # every pod on the node was a victim here
