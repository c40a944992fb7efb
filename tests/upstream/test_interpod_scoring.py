"""Ported from kubernetes/kubernetes
pkg/scheduler/framework/plugins/interpodaffinity/scoring_test.go (TestPreferredAffinity,
TestPreferredAffinityWithHardPodAffinitySymmetricWeight), v1.28-v1.32 behaviour.

A pod without a namespace in the Go tables is in the default namespace here (the
simulator defaults it), so a term's ``""`` namespace is written ``default``. PreScore's
``Skip`` shows as the plugin missing from the scores. Cases with invalid label values
(rejected by validation before scheduling) are left out.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import node, only, pod, run, scores

RG_CHINA = {"region": "China"}
RG_INDIA = {"region": "India"}
AZ1 = {"az": "az1"}
AZ2 = {"az": "az2"}
RG_CHINA_AZ1 = {"region": "China", "az": "az1"}
S1 = {"security": "S1"}
S2 = {"security": "S2"}
NAMESPACES = [
    {"metadata": {"name": "subteam1.team1", "labels": {"team": "team1"}}},
    {"metadata": {"name": "subteam2.team1", "labels": {"team": "team1"}}},
    {"metadata": {"name": "subteam1.team2", "labels": {"team": "team2"}}},
    {"metadata": {"name": "subteam2.team2", "labels": {"team": "team2"}}},
]


def req(key: str, op: str, *values: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "operator": op}
    if values:
        out["values"] = list(values)
    return out


def weighted(weight: int, key: str, *exprs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "weight": weight,
        "podAffinityTerm": {
            "labelSelector": {"matchExpressions": list(exprs)},
            "topologyKey": key,
            **extra,
        },
    }


def pref(affinity: list[Any] = (), anti: list[Any] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    out: dict[str, Any] = {}
    if affinity:
        out["podAffinity"] = {"preferredDuringSchedulingIgnoredDuringExecution": list(affinity)}
    if anti:
        out["podAntiAffinity"] = {"preferredDuringSchedulingIgnoredDuringExecution": list(anti)}
    return out


TEAM1 = {"matchExpressions": [req("team", "In", "team1")]}
STAY_S1_REGION = pref([weighted(5, "region", req("security", "In", "S1"))])
STAY_S2_REGION = pref([weighted(6, "region", req("security", "In", "S2"))])
AFFINITY3 = pref(
    [
        weighted(8, "region", req("security", "NotIn", "S1"), req("security", "In", "S2")),
        weighted(2, "region", req("security", "Exists"), req("wrongkey", "DoesNotExist")),
    ]
)
HARD = {
    "podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {
                "labelSelector": {"matchExpressions": [req("security", "In", "S1", "value2")]},
                "topologyKey": "region",
            },
            {
                "labelSelector": {
                    "matchExpressions": [req("security", "Exists"), req("wrongkey", "DoesNotExist")]
                },
                "topologyKey": "region",
            },
        ]
    }
}
AWAY_S1_AZ = pref(anti=[weighted(5, "az", req("security", "In", "S1"))])
AWAY_S2_AZ = pref(anti=[weighted(5, "az", req("security", "In", "S2"))])
STAY_S1_AWAY_S2 = pref(
    [weighted(8, "region", req("security", "In", "S1"))],
    [weighted(5, "az", req("security", "In", "S2"))],
)
NS_SELECTOR = pref(
    [
        weighted(
            5,
            "region",
            req("security", "In", "S1"),
            namespaces=["subteam2.team2"],
            namespaceSelector=TEAM1,
        )
    ]
)
ANTI_NS_SELECTOR = pref(
    anti=[
        weighted(
            5,
            "region",
            req("security", "In", "S1"),
            namespaces=["subteam2.team2"],
            namespaceSelector=TEAM1,
        )
    ]
)


def on(
    node_name: str,
    labels: dict[str, str] | None = None,
    affinity: Any = None,
    namespace: str = "default",
) -> dict[str, Any]:
    spec = {"affinity": affinity} if affinity else {}
    return pod(node=node_name, labels=labels, namespace=namespace, **spec)


SKIP = "skip"

# pkg/scheduler/framework/plugins/interpodaffinity/scoring_test.go: TestPreferredAffinity
PREFERRED = [
    pytest.param(
        S1,
        None,
        "default",
        [],
        {"node1": RG_CHINA, "node2": RG_INDIA, "node3": AZ1},
        False,
        SKIP,
        id="all nodes are same priority as Affinity is nil",
    ),
    pytest.param(
        S1,
        STAY_S1_REGION,
        "default",
        [on("node1", S1), on("node2", S2), on("node3", S1)],
        {"node1": RG_CHINA, "node2": RG_INDIA, "node3": AZ1},
        False,
        {"node1": 100, "node2": 0, "node3": 0},
        id="Affinity: pod that matches topology key & pods in nodes will get high score "
        "comparing to otherswhich doesn't match either pods in nodes or in topology key",
    ),
    pytest.param(
        {},
        STAY_S1_REGION,
        "default",
        [on("node1", S1)],
        {"node1": RG_CHINA, "node2": RG_CHINA_AZ1, "node3": RG_INDIA},
        False,
        {"node1": 100, "node2": 100, "node3": 0},
        id="All the nodes that have the same topology key & label value with one of them has "
        "an existing pod that match the affinity rules, have the same score",
    ),
    pytest.param(
        S1,
        STAY_S2_REGION,
        "default",
        [
            on("node1", S2),
            on("node1", S2),
            on("node2", S2),
            on("node3", S2),
            on("node4", S2),
            on("node5", S2),
        ],
        {
            "node1": RG_CHINA,
            "node2": RG_INDIA,
            "node3": RG_CHINA,
            "node4": RG_CHINA,
            "node5": RG_INDIA,
        },
        False,
        {"node1": 100, "node2": 0, "node3": 100, "node4": 100, "node5": 0},
        id="Affinity: nodes in one region has more matching pods comparing to other region, so "
        "the region which has more matches will get high score",
    ),
    pytest.param(
        S1,
        AFFINITY3,
        "default",
        [on("node1", S1), on("node2", S2), on("node3", S1)],
        {"node1": RG_CHINA, "node2": RG_INDIA, "node3": AZ1},
        False,
        {"node1": 20, "node2": 100, "node3": 0},
        id="Affinity: different Label operators and values for pod affinity scheduling "
        "preference, including some match failures ",
    ),
    pytest.param(
        S2,
        None,
        "default",
        [on("node1", S1, STAY_S1_REGION), on("node2", S2, STAY_S2_REGION)],
        {"node1": RG_CHINA, "node2": RG_INDIA, "node3": AZ1},
        False,
        {"node1": 0, "node2": 100, "node3": 0},
        id="Affinity symmetry: considered only the preferredDuringSchedulingIgnoredDuringExecution "
        "in pod affinity symmetry",
    ),
    pytest.param(
        S1,
        None,
        "subteam1.team1",
        [on("node1", S1, NS_SELECTOR), on("node2", S2, STAY_S2_REGION)],
        {"node1": RG_CHINA, "node2": RG_INDIA, "node3": AZ1},
        False,
        {"node1": 100, "node2": 0, "node3": 0},
        id="Affinity symmetry with namespace selector",
    ),
    pytest.param(
        S1,
        None,
        "subteam1.team1",
        [on("node1", S1, ANTI_NS_SELECTOR), on("node2", S2, STAY_S2_REGION)],
        {"node1": RG_CHINA, "node2": RG_INDIA, "node3": AZ1},
        False,
        {"node1": 0, "node2": 100, "node3": 100},
        id="AntiAffinity symmetry with namespace selector",
    ),
    pytest.param(
        S1,
        None,
        "default",
        [on("node1", S1, HARD), on("node2", S2, HARD)],
        {"node1": RG_CHINA, "node2": RG_INDIA, "node3": AZ1},
        False,
        {"node1": 100, "node2": 100, "node3": 0},
        id="Affinity symmetry: considered RequiredDuringSchedulingIgnoredDuringExecution in pod "
        "affinity symmetry",
    ),
    pytest.param(
        S1,
        AWAY_S1_AZ,
        "default",
        [on("node1", S1), on("node2", S2)],
        {"node1": AZ1, "node2": RG_CHINA},
        False,
        {"node1": 0, "node2": 100},
        id="Anti Affinity: pod that does not match existing pods in node will get high score ",
    ),
    pytest.param(
        S1,
        AWAY_S1_AZ,
        "default",
        [on("node1", S1), on("node2", S1)],
        {"node1": AZ1, "node2": RG_CHINA},
        False,
        {"node1": 0, "node2": 100},
        id="Anti Affinity: pod that does not match topology key & match the pods in nodes will "
        "get higher score comparing to others ",
    ),
    pytest.param(
        S1,
        AWAY_S1_AZ,
        "default",
        [on("node1", S1), on("node1", S1), on("node2", S2)],
        {"node1": AZ1, "node2": RG_INDIA},
        False,
        {"node1": 0, "node2": 100},
        id="Anti Affinity: one node has more matching pods comparing to other node, so the node "
        "which has more unmatches will get high score",
    ),
    pytest.param(
        S2,
        None,
        "default",
        [on("node1", S1, AWAY_S2_AZ), on("node2", S2, AWAY_S1_AZ)],
        {"node1": AZ1, "node2": AZ2},
        False,
        {"node1": 0, "node2": 100},
        id="Anti Affinity symmetry: the existing pods in node which has anti affinity match "
        "will get high score",
    ),
    pytest.param(
        S1,
        STAY_S1_AWAY_S2,
        "default",
        [on("node1", S1), on("node2", S1)],
        {"node1": RG_CHINA, "node2": AZ1},
        False,
        {"node1": 100, "node2": 0},
        id="Affinity and Anti Affinity: considered only preferredDuringSchedulingIgnoredDuring"
        "Execution in both pod affinity & anti affinity",
    ),
    pytest.param(
        S1,
        STAY_S1_AWAY_S2,
        "default",
        [
            on("node1", S1),
            on("node1", S1),
            on("node2", S1),
            on("node3", S1),
            on("node3", S1),
            on("node4", S1),
            on("node5", S1),
        ],
        {
            "node1": RG_CHINA_AZ1,
            "node2": RG_INDIA,
            "node3": RG_CHINA,
            "node4": RG_CHINA,
            "node5": RG_INDIA,
        },
        False,
        {"node1": 100, "node2": 0, "node3": 100, "node4": 100, "node5": 0},
        id="Affinity and Anti Affinity: considering both affinity and anti-affinity, the pod to "
        "schedule and existing pods have the same labels",
    ),
    pytest.param(
        S1,
        STAY_S1_AWAY_S2,
        "default",
        [
            on("node1", S1),
            on("node2", S2),
            on("node3", None, STAY_S1_AWAY_S2),
            on("node4", None, AWAY_S1_AZ),
        ],
        {"node1": RG_CHINA, "node2": AZ1, "node3": RG_INDIA, "node4": AZ2},
        False,
        {"node1": 100, "node2": 0, "node3": 100, "node4": 0},
        id="Affinity and Anti Affinity and symmetry: considered only preferredDuringScheduling"
        "IgnoredDuringExecution in both pod affinity & anti affinity & symmetry",
    ),
    pytest.param(
        S1,
        None,
        "default",
        [on("node1", S1), on("node2", None, STAY_S1_AWAY_S2)],
        {"node1": RG_CHINA, "node2": RG_CHINA},
        False,
        {"node1": 0, "node2": 0},
        id="Avoid panic when partial nodes in a topology don't have pods with affinity",
    ),
    pytest.param(
        S1,
        NS_SELECTOR,
        "subteam1.team1",
        [
            on("node1", S1, namespace="subteam1.team1"),
            on("node1", S1, namespace="subteam1.team1"),
            on("node1", S1, namespace="subteam1.team2"),
            on("node2", S1, namespace="subteam2.team1"),
        ],
        {"node1": RG_CHINA, "node2": RG_INDIA},
        False,
        {"node1": 100, "node2": 0},
        id="Affinity with pods matching NamespaceSelector",
    ),
    pytest.param(
        S1,
        NS_SELECTOR,
        "subteam1.team1",
        [
            on("node1", S1, namespace="subteam1.team1"),
            on("node1", S1, namespace="subteam1.team1"),
            on("node1", S1, namespace="subteam2.team2"),
            on("node2", S1, namespace="subteam2.team1"),
        ],
        {"node1": RG_CHINA, "node2": RG_INDIA},
        False,
        {"node1": 100, "node2": 0},
        id="Affinity with pods matching both NamespaceSelector and Namespaces fields",
    ),
    pytest.param(
        S1,
        ANTI_NS_SELECTOR,
        "subteam1.team1",
        [
            on("node1", S1, namespace="subteam1.team1"),
            on("node1", S1, namespace="subteam1.team1"),
            on("node1", S1, namespace="subteam1.team2"),
            on("node2", S1, namespace="subteam2.team1"),
        ],
        {"node1": RG_CHINA, "node2": RG_INDIA},
        False,
        {"node1": 0, "node2": 100},
        id="Affinity with pods matching NamespaceSelector (anti-affinity)",
    ),
    pytest.param(
        S1,
        ANTI_NS_SELECTOR,
        "subteam1.team1",
        [
            on("node1", S1, namespace="subteam1.team1"),
            on("node1", S1, namespace="subteam1.team1"),
            on("node1", S1, namespace="subteam2.team2"),
            on("node2", S1, namespace="subteam2.team1"),
        ],
        {"node1": RG_CHINA, "node2": RG_INDIA},
        False,
        {"node1": 0, "node2": 100},
        id="Affinity with pods matching both NamespaceSelector and Namespaces fields "
        "(anti-affinity)",
    ),
    pytest.param(
        S2,
        None,
        "default",
        [on("node1", S1, STAY_S1_AWAY_S2), on("node2", S2, STAY_S2_REGION)],
        {"node1": RG_CHINA, "node2": RG_INDIA},
        True,
        SKIP,
        id="Ignore preferred terms of existing pods",
    ),
    pytest.param(
        S2,
        None,
        "default",
        [on("node1", S1, STAY_S1_AWAY_S2), on("node2", S2, STAY_S2_REGION)],
        {"node1": RG_CHINA, "node2": RG_INDIA},
        False,
        {"node1": 0, "node2": 100},
        id="Do not ignore preferred terms of existing pods",
    ),
]


@pytest.mark.parametrize(
    ("labels", "aff", "namespace", "existing", "nodes", "ignore", "want"), PREFERRED
)
def test_preferred_affinity(
    labels: Any, aff: Any, namespace: str, existing: Any, nodes: Any, ignore: bool, want: Any
) -> None:
    args = {"hardPodAffinityWeight": 1, "ignorePreferredTermsOfExistingPods": ignore}
    spec = {"affinity": aff} if aff else {}
    result = run(
        only("InterPodAffinity", args, points=("preScore", "score")),
        [node(n, labels=lab) for n, lab in nodes.items()],
        pod("p", namespace, labels=labels, **spec),
        existing,
        namespaces=NAMESPACES,
    )
    got = scores(result, "InterPodAffinity")
    assert got == ({} if want == SKIP else want)


HARD_NS = {
    "podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {
                "labelSelector": {"matchExpressions": [req("service", "In", "S1")]},
                "namespaces": ["default", "subteam2.team2"],
                "namespaceSelector": TEAM1,
                "topologyKey": "region",
            }
        ]
    }
}

# pkg/scheduler/framework/plugins/interpodaffinity/scoring_test.go: TestPreferredAffinityWithHardPodAffinitySymmetricWeight  # noqa: E501
HARD_WEIGHT = [
    pytest.param("default", 1, {"node1": 100, "node2": 100, "node3": 0}, id="with default weight"),
    pytest.param("default", 0, SKIP, id="with zero weight"),
    pytest.param("subteam1.team2", 1, SKIP, id="with no matching namespace"),
    pytest.param(
        "subteam1.team1",
        1,
        {"node1": 100, "node2": 100, "node3": 0},
        id="with matching NamespaceSelector",
    ),
    pytest.param(
        "subteam2.team2",
        1,
        {"node1": 100, "node2": 100, "node3": 0},
        id="with matching Namespaces",
    ),
]


@pytest.mark.parametrize(("namespace", "weight", "want"), HARD_WEIGHT)
def test_hard_pod_affinity_symmetric_weight(namespace: str, weight: int, want: Any) -> None:
    result = run(
        only("InterPodAffinity", {"hardPodAffinityWeight": weight}, points=("preScore", "score")),
        [node("node1", labels=RG_CHINA), node("node2", labels=RG_INDIA), node("node3", labels=AZ1)],
        pod("p", namespace, labels={"service": "S1"}),
        [on("node1", None, HARD_NS), on("node2", None, HARD_NS)],
        namespaces=NAMESPACES,
    )
    assert scores(result, "InterPodAffinity") == ({} if want == SKIP else want)
