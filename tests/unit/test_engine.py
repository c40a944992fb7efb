"""The scheduler engine against hand-checked kube-scheduler results."""

from __future__ import annotations

import json

import pytest

from k8sedge import BadRequestError
from k8sedge.engine import (
    NodeSelectorRequirement,
    NodeSelectorTerm,
    NodeTable,
    Plugin,
    Plugins,
    PluginSet,
    PodRequest,
    PreferredTerm,
    Scheduler,
    SchedulerConfiguration,
    SchedulerProfile,
    Taint,
    TaintEffect,
    Toleration,
    default_configuration,
    resolve_profile,
    with_defaults,
)

GI = 1 << 30


def table_of(*nodes: tuple[str, int, int, dict[str, str]]) -> NodeTable:
    table = NodeTable(capacity=2)  # small, to exercise growth
    for name, cpu, mem, labels in nodes:
        table.add(name, {"cpu": cpu, "memory": mem}, labels)
    return table


def test_default_profile_matches_kube_scheduler_1_32() -> None:
    config = default_configuration()
    profile = resolve_profile(config.profiles[0])
    assert profile.scheduler_name == "default-scheduler"
    assert profile.plugins("filter") == (
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "VolumeRestrictions",
        "NodeVolumeLimits",
        "VolumeBinding",
        "VolumeZone",
        "PodTopologySpread",
        "InterPodAffinity",
    )
    assert profile.plugins("score") == (
        "TaintToleration",
        "NodeAffinity",
        "NodeResourcesFit",
        "VolumeBinding",
        "PodTopologySpread",
        "InterPodAffinity",
        "NodeResourcesBalancedAllocation",
        "ImageLocality",
    )
    assert profile.weights == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "VolumeBinding": 1,
        "PodTopologySpread": 2,
        "InterPodAffinity": 2,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }
    assert profile.plugins("queue_sort") == ("PrioritySort",)
    assert profile.plugins("post_filter") == ("DefaultPreemption",)
    assert profile.plugins("bind") == ("DefaultBinder",)
    assert profile.args["NodeResourcesFit"]["scoringStrategy"]["type"] == "LeastAllocated"
    assert profile.args["VolumeBinding"] == {"bindTimeoutSeconds": 600}
    assert config.parallelism == 16


def test_profile_merging_follows_upstream() -> None:
    custom = SchedulerProfile(
        scheduler_name="bin-packer",
        plugins=Plugins(
            multi_point=PluginSet(enabled=[Plugin(name="NodeAffinity", weight=5)]),
            score=PluginSet(disabled=[Plugin(name="ImageLocality")]),
        ),
    )
    config = with_defaults(SchedulerConfiguration(profiles=[custom]))
    profile = resolve_profile(config.profiles[0])
    assert profile.scheduler_name == "bin-packer"
    assert profile.weights["NodeAffinity"] == 5  # the custom weight replaces the default in place
    assert "ImageLocality" not in profile.plugins("score")
    # disabling everything at an extension point keeps only explicit plugins there
    only_fit = with_defaults(
        SchedulerConfiguration(
            profiles=[
                SchedulerProfile(
                    plugins=Plugins(
                        score=PluginSet(
                            enabled=[Plugin(name="NodeResourcesFit", weight=2)],
                            disabled=[Plugin(name="*")],
                        )
                    )
                )
            ]
        )
    )
    resolved = resolve_profile(only_fit.profiles[0])
    assert resolved.plugins("score") == ("NodeResourcesFit",)
    assert resolved.weights["NodeResourcesFit"] == 2


@pytest.mark.parametrize(
    ("plugins", "path"),
    [
        (Plugins(filter=PluginSet(enabled=[Plugin(name="NoSuchPlugin")])), "filter.enabled[0]"),
        (Plugins(score=PluginSet(enabled=[Plugin(name="NodeName")])), "score.enabled[0]"),
        (Plugins(score=PluginSet(enabled=[Plugin(name="ImageLocality", weight=-1)])), "weight"),
        (Plugins(bind=PluginSet(disabled=[Plugin(name="*")])), "bind"),
    ],
)
def test_invalid_profiles_are_bad_requests(plugins: Plugins, path: str) -> None:
    config = with_defaults(SchedulerConfiguration(profiles=[SchedulerProfile(plugins=plugins)]))
    with pytest.raises(BadRequestError) as info:
        resolve_profile(config.profiles[0])
    assert any(path in key for key in info.value.details)


def test_least_allocated_and_balanced_scores_by_hand() -> None:
    # node a: 4 cpu / 8Gi, node b: 2 cpu / 8Gi; pod: 1 cpu / 2Gi
    table = table_of(("a", 4000, 8 * GI, {}), ("b", 2000, 8 * GI, {}))
    scheduler = Scheduler(table)
    pod = PodRequest(name="p", requests={"cpu": 1000, "memory": 2 * GI})
    result = scheduler.schedule(pod)
    raw = result.score_result()
    # LeastAllocated: a = ((3000*100/4000) + (6Gi*100/8Gi)) / 2 = (75 + 75) / 2 = 75
    #                 b = ((1000*100/2000) + 75) / 2 = (50 + 75) / 2 = 62
    assert raw["a"]["NodeResourcesFit"] == 75
    assert raw["b"]["NodeResourcesFit"] == 62
    # Balanced: a: |0.25 - 0.25| / 2 = 0 -> 100; b: |0.5 - 0.25| / 2 = 0.125 -> 87
    assert raw["a"]["NodeResourcesBalancedAllocation"] == 100
    assert raw["b"]["NodeResourcesBalancedAllocation"] == 87
    final = result.final_score_result()
    assert final["a"]["TaintToleration"] == 300  # raw 0, normalised 100 (reverse), weight 3
    assert result.selected_node == "a"
    annotations = result.annotations()
    assert annotations["kube-scheduler-simulator.sigs.k8s.io/selected-node"] == "a"
    scores = json.loads(annotations["kube-scheduler-simulator.sigs.k8s.io/finalscore-result"])
    assert scores["b"]["NodeResourcesFit"] == "62"


def test_filter_reasons_are_upstream_strings_and_first_failure_wins() -> None:
    table = table_of(
        ("small", 500, GI, {"zone": "a"}),
        ("other-zone", 8000, 8 * GI, {"zone": "b"}),
        ("tainted", 8000, 8 * GI, {"zone": "a"}),
        ("ok", 8000, 8 * GI, {"zone": "a"}),
    )
    table.set_taints(table.row_of["tainted"], [Taint("dedicated", "gpu", TaintEffect.NO_SCHEDULE)])
    table.unschedulable[table.row_of["ok"]] = True
    pod = PodRequest(
        name="p",
        requests={"cpu": 1000, "memory": 2 * GI},
        required_terms=(
            NodeSelectorTerm(match_expressions=(NodeSelectorRequirement("zone", "In", ("a",)),)),
        ),
    )
    result = Scheduler(table).schedule(pod)
    assert result.selected_node is None
    filters = result.filter_result()
    assert filters["small"]["NodeResourcesFit"] == "Insufficient cpu, Insufficient memory"
    assert (
        filters["other-zone"]["NodeAffinity"] == "node(s) didn't match Pod's node affinity/selector"
    )
    assert "NodeResourcesFit" not in filters["other-zone"]  # stops at the first failure
    assert filters["tainted"]["TaintToleration"] == "node(s) had untolerated taint {dedicated: gpu}"
    assert filters["ok"]["NodeUnschedulable"] == "node(s) were unschedulable"
    assert result.message == (
        "0/4 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, "
        "1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable. "
        "preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, "
        "3 Preemption is not helpful for scheduling."
    )
    tolerant = PodRequest(name="t", tolerations=(Toleration(key="dedicated", operator="Exists"),))
    tolerated = Scheduler(table).schedule(tolerant).filter_result()
    assert tolerated["tainted"]["TaintToleration"] == "passed"


def test_preferred_affinity_and_prefer_no_schedule() -> None:
    table = table_of(
        ("edge", 4000, 8 * GI, {"tier": "edge"}), ("cloud", 4000, 8 * GI, {"tier": "cloud"})
    )
    table.set_taints(table.row_of["edge"], [Taint("flaky", "", TaintEffect.PREFER_NO_SCHEDULE)])
    pod = PodRequest(
        name="p",
        preferred_terms=(
            PreferredTerm(
                100,
                NodeSelectorTerm(
                    match_expressions=(NodeSelectorRequirement("tier", "In", ("edge",)),)
                ),
            ),
        ),
    )
    result = Scheduler(table).schedule(pod)
    raw, final = result.score_result(), result.final_score_result()
    assert raw["edge"]["NodeAffinity"] == 100 and raw["cloud"]["NodeAffinity"] == 0
    assert final["edge"]["NodeAffinity"] == 200  # normalised 100 x weight 2
    assert raw["edge"]["TaintToleration"] == 1 and final["edge"]["TaintToleration"] == 0
    assert final["cloud"]["TaintToleration"] == 300
    # 300 for the untainted cloud node beats 200 of affinity
    assert result.selected_node == "cloud"


def test_ties_are_broken_deterministically_by_seed() -> None:
    def pick(seed: int) -> list[str | None]:
        table = table_of(*[(f"n{i}", 4000, 8 * GI, {}) for i in range(8)])
        scheduler = Scheduler(table, seed=seed)
        return [scheduler.schedule(PodRequest(name=f"p{i}")).selected_node for i in range(5)]

    assert pick(1) == pick(1)
    assert len({tuple(pick(s)) for s in range(6)}) > 1


def test_binding_accounts_resources() -> None:
    table = table_of(("a", 1000, GI, {}))
    scheduler = Scheduler(table)
    pod = PodRequest(name="p", requests={"cpu": 600})
    scheduler.bind(scheduler.schedule(pod), pod)
    again = scheduler.schedule(pod)
    assert again.selected_node is None
    assert again.message == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 No preemption victims found for incoming pod."
    )
    table.assume(table.row_of["a"], pod.requests, sign=-1)
    assert scheduler.schedule(pod).selected_node == "a"


def test_percentage_of_nodes_to_score_limits_scored_nodes() -> None:
    table = table_of(*[(f"n{i:04d}", 4000, 8 * GI, {}) for i in range(1000)])
    scheduler = Scheduler(table)
    result = scheduler.schedule(PodRequest(name="p"))
    # adaptive: 50 - 1000/125 = 42% of 1000 nodes
    assert len(result.feasible) == 420
    assert len(result.final_score_result()) == 420
    # the next cycle starts where this one stopped (round robin)
    nxt = scheduler.schedule(PodRequest(name="q"))
    assert nxt.evaluated_nodes[0] == "n0420"


def test_gt_lt_and_match_fields() -> None:
    table = table_of(
        ("a", 1000, GI, {"gen": "3"}), ("b", 1000, GI, {"gen": "x"}), ("c", 1000, GI, {})
    )
    gt = PodRequest(
        name="p",
        required_terms=(
            NodeSelectorTerm(match_expressions=(NodeSelectorRequirement("gen", "Gt", ("2",)),)),
        ),
    )
    assert Scheduler(table).schedule(gt).selected_node == "a"
    named = PodRequest(
        name="p",
        required_terms=tuple(
            NodeSelectorTerm(match_fields=(NodeSelectorRequirement("metadata.name", "In", (n,)),))
            for n in ("b", "c")
        ),
    )
    assert len(Scheduler(table).schedule(named).feasible) == 2
    empty = PodRequest(name="p", required_terms=(NodeSelectorTerm(),))
    assert Scheduler(table).schedule(empty).selected_node is None  # an empty term matches nothing


def test_preemption_samples_candidates_from_an_offset() -> None:
    """DryRunPreemption: nodes from ``offset`` (wrapping) until ``numCandidates`` have victims,
    numCandidates = max(nodes * minCandidateNodesPercentage / 100, minCandidateNodesAbsolute)."""
    from k8sedge.engine.pods import PodIndex
    from k8sedge.engine.preemption import num_candidates, preempt
    from k8sedge.engine.requests import nonzero_requests

    assert (
        num_candidates({"minCandidateNodesPercentage": 10, "minCandidateNodesAbsolute": 100}, 5)
        == 5
    )
    assert (
        num_candidates({"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 1}, 5) == 2
    )
    assert (
        num_candidates({"minCandidateNodesPercentage": 50, "minCandidateNodesAbsolute": 0}, 1000)
        == 500
    )
    table = table_of(*[(f"n{i}", 1000, GI, {}) for i in range(5)])
    pods = PodIndex()
    for i in range(5):
        low = PodRequest(name=f"low{i}", requests={"cpu": 1000}, priority=0)
        table.assume(i, low.requests)
        pods.add(f"default/low{i}", i, low)
    seen: list[int] = []

    def run(row: int) -> tuple[bool, list[str]]:
        seen.append(row)
        free = table.allocatable["cpu"][row] - table.requested["cpu"][row]
        return (free >= 1000, [] if free >= 1000 else ["Insufficient cpu"])

    high = PodRequest(name="high", requests={"cpu": 1000}, priority=10)
    args = {"minCandidateNodesPercentage": 40, "minCandidateNodesAbsolute": 1}
    outcome = preempt(high, table, pods, 5, [0, 1, 2, 3, 4], run, args, 3, nonzero_requests)
    # nodes 3 and 4 are dry-run (offset 3), then the two candidates suffice
    assert sorted(set(seen)) == [3, 4]
    assert outcome.node in ("n3", "n4")
    assert outcome.victims in (["default/low3"], ["default/low4"])
    assert outcome.message == ""
