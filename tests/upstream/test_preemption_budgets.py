"""PodDisruptionBudgets in DefaultPreemption, ported from kubernetes/kubernetes
pkg/scheduler/framework/plugins/defaultpreemption/default_preemption_test.go (v1.32).

``filterPodsWithPDBViolation`` is checked directly on the engine's pod index with the
budgets' statuses as the Go tables give them (TestDryRunPreemption's PDB cases). The whole
cycle runs through the memory cluster, whose disruption controller computes the budgets'
status from their pods (TestPostFilter's "pod can be made schedulable on minHighestPriority
node", TestDryRunPreemption's "preemption looks past numCandidates until a non-PDB violating
node is found"), so a budget there is written with ``minAvailable`` giving the same
``disruptionsAllowed`` as the Go case's status.
"""

from __future__ import annotations

from typing import Any

import pytest

import k8sedge
from k8sedge.engine.pods import PodIndex
from k8sedge.engine.preemption import split_by_budget
from k8sedge.engine.types import Budget, LabelSelector, PodRequest

from .helpers import node
from .test_defaultpreemption import HIGH, LOW, MID, ONE_POD, VERY_HIGH, config, p

FOO = LabelSelector(match_labels=(("app", "foo"),))


def _index(names: list[str]) -> tuple[PodIndex, list[int]]:
    pods = PodIndex()
    slots = [
        pods.add(f"default/{n}", 0, PodRequest(name=n, namespace="default", labels={"app": "foo"}))
        for n in names
    ]
    return pods, slots


# TestDryRunPreemption: (case, pods on node1 in importance order, budget, violating names)
DRY_RUN = [
    pytest.param(
        ["p1.1", "p1.2"],
        Budget(namespace="default", selector=FOO, disruptions_allowed=1),
        {"p1.2"},
        id="preemption with violation of same pdb",
    ),
    pytest.param(
        ["p1.1", "p1.2"],
        Budget(
            namespace="default", selector=FOO, disruptions_allowed=1, disrupted=frozenset({"p2"})
        ),
        {"p1.2"},
        id="preemption with violation of the pdb with pod whose eviction was processed, "
        "the victim doesn't belong to DisruptedPods",
    ),
    pytest.param(
        ["p1.1", "p1.2"],
        Budget(
            namespace="default",
            selector=FOO,
            disruptions_allowed=1,
            disrupted=frozenset({"p1.2"}),
        ),
        set(),
        id="preemption with violation of the pdb with pod whose eviction was processed, "
        "the victim belongs to DisruptedPods",
    ),
    pytest.param(
        ["p1.1", "p1.2", "p1.3"],
        Budget(
            namespace="default",
            selector=FOO,
            disruptions_allowed=1,
            disrupted=frozenset({"p1.3"}),
        ),
        {"p1.2"},
        id="preemption with violation of the pdb with pod whose eviction was processed, "
        "the victim which belongs to DisruptedPods is treated as 'nonViolating'",
    ),
]


@pytest.mark.parametrize(("names", "budget", "violating"), DRY_RUN)
def test_filter_pods_with_pdb_violation(
    names: list[str], budget: Budget, violating: set[str]
) -> None:
    """Both pods are victims in every case; ``NumPDBViolations`` is how many violate."""
    pods, slots = _index(names)
    bad, fine = split_by_budget(slots, pods, [budget])
    assert {n for n, s in zip(names, slots, strict=True) if s in bad} == violating
    assert sorted(bad + fine) == sorted(slots)


def test_nil_or_empty_selector_matches_nothing() -> None:
    pods, slots = _index(["a", "b"])
    empty = [
        Budget(namespace="default", selector=None, disruptions_allowed=0),
        Budget(namespace="default", selector=LabelSelector(), disruptions_allowed=0),
    ]
    assert split_by_budget(slots, pods, empty) == ([], slots)


def _cluster() -> tuple[Any, Any]:
    backend = k8sedge.MemoryBackend(seed=0)
    client = k8sedge.Client(backend)
    return backend.cluster, client.simulator


def test_post_filter_min_highest_priority_node_with_budgets() -> None:
    """TestPostFilter: "pod can be made schedulable on minHighestPriority node". Both nodes
    have one budget violation; node2's victim has the lower priority."""
    cluster, sim = _cluster()
    sim.update_config(config())
    for name in ("node1", "node2"):
        sim.nodes.create(node(name, capacity=ONE_POD))
    label = "test.kubernetes.io/is-violating-pdb"
    for name, value, priority, where in (
        ("p1", "non-violating", HIGH, "node1"),
        ("p2", "violating", LOW, "node1"),
        ("p3", "violating", MID, "node2"),
    ):
        pod = p(name, priority, node=where)
        pod["metadata"]["labels"] = {label: value}
        sim.pods.create(pod)
    for name, value, minimum in (
        ("violating-pdb", "violating", "100%"),
        ("non-violating-pdb", "non-violating", 0),
    ):
        cluster.create(
            "poddisruptionbudgets",
            {
                "metadata": {"name": name},
                "spec": {"minAvailable": minimum, "selector": {"matchLabels": {label: value}}},
            },
        )
    created = sim.pods.create(p("p", VERY_HIGH))
    got = sim.pods.get(created.name)
    assert got.status.get("nominatedNodeName") == "node2" and got.node_name == "node2"
    assert {x.name for x in sim.pods.list()} == {"p1", "p2", "p"}


def test_preemption_looks_past_num_candidates_for_a_node_without_violations() -> None:
    """TestDryRunPreemption: "preemption looks past numCandidates until a non-PDB violating
    node is found" (minCandidateNodesPercentage 40, minCandidateNodesAbsolute 2): the pod
    lands where no budget is violated, whatever node the search starts from."""
    cluster, sim = _cluster()
    conf = config()
    conf["profiles"][0]["pluginConfig"] = [
        {
            "name": "DefaultPreemption",
            "args": {"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 2},
        }
    ]
    sim.update_config(conf)
    large = {"cpu": "300m", "memory": "300"}
    for i in range(1, 6):
        sim.nodes.create(node(f"node{i}", capacity={"cpu": "500m", "memory": "500"}))
    for i in range(1, 6):
        pod = p(f"p{i}", MID, large, f"node{i}")
        if i in (1, 2, 5):
            pod["metadata"]["labels"] = {"app": "foo"}
        sim.pods.create(pod)
    cluster.create(
        "poddisruptionbudgets",
        {
            "metadata": {"name": "foo"},
            "spec": {"minAvailable": 3, "selector": {"matchLabels": {"app": "foo"}}},
        },
    )
    assert cluster.get("poddisruptionbudgets", "foo")["status"]["disruptionsAllowed"] == 0
    created = sim.pods.create(p("p", HIGH, large))
    got = sim.pods.get(created.name)
    assert got.node_name in {"node3", "node4"}
    assert {"p1", "p2", "p5"} <= {x.name for x in sim.pods.list()}
