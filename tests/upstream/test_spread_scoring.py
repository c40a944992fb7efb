"""Ported from kubernetes/kubernetes
pkg/scheduler/framework/plugins/podtopologyspread/scoring_test.go (TestPodTopologySpreadScore),
v1.28-v1.32 behaviour (node inclusion policies and matchLabelKeys enabled).

``failedNodes`` (nodes that are not candidates) are made to fail the NodeUnschedulable
filter. Left out: cases with a single candidate (the scheduler does not score then), a
node without ``kubernetes.io/hostname`` (the simulator adds it), terminating pods (the
simulator drops ``deletionTimestamp`` on create), system defaulting from Services, and the
feature-gate-off matchLabelKeys case.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import node, only, pod, run, scores

HOST = "kubernetes.io/hostname"
FOO = {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
BAR = {"matchExpressions": [{"key": "bar", "operator": "Exists"}]}
TAINTS = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]


def c(skew: int, key: str, selector: Any = FOO, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "maxSkew": skew,
        "topologyKey": key,
        "whenUnsatisfiable": "ScheduleAnyway",
    }
    if selector is not None:
        out["labelSelector"] = selector
    out.update(extra)
    return out


def hosts(*names: str, **labels: str) -> list[dict[str, Any]]:
    return [node(n, labels={HOST: n, **labels}) for n in names]


def zoned(spec: dict[str, str]) -> list[dict[str, Any]]:
    return [node(n, labels={"zone": z, HOST: n}) for n, z in spec.items()]


def placed(spec: str) -> list[dict[str, Any]]:
    """ "node-a:foo,bar node-b:foo" -> pods with those label keys on those nodes."""
    out = []
    for item in spec.split():
        name, keys = item.split(":")
        out.append(pod(node=name, labels={k: "" for k in keys.split(",") if k}))
    return out


def by_node(nodes: str) -> list[dict[str, Any]]:
    return [node(n, labels={"node": n}) for n in nodes.split()]


# pkg/scheduler/framework/plugins/podtopologyspread/scoring_test.go: TestPodTopologySpreadScore
SCORE = [
    pytest.param(
        {"foo": ""},
        [c(1, HOST)],
        {},
        hosts("node-a", "node-b"),
        [],
        [],
        {"node-a": 100, "node-b": 100},
        id="one constraint on node, no existing pods",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, HOST)],
        {},
        hosts("node-a", "node-b"),
        [],
        placed("node-a:foo node-b:foo"),
        {"node-a": 100, "node-b": 100},
        id="one constraint on node, all nodes have the same number of matching pods",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, HOST)],
        {},
        hosts("node-a", "node-b", "node-c", "node-d"),
        [],
        placed("node-a:foo node-a:foo node-b:foo node-d:foo node-d:foo node-d:foo"),
        {"node-a": 20, "node-b": 60, "node-c": 100, "node-d": 0},
        id="one constraint on node, all 4 nodes are candidates",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, HOST, None)],
        {},
        hosts("node-a", "node-b", "node-c", "node-d"),
        [],
        placed("node-a:foo node-a:foo node-b:foo node-d:foo node-d:foo node-d:foo"),
        {"node-a": 100, "node-b": 100, "node-c": 100, "node-d": 100},
        id="one constraint on node, null selector",
    ),
    pytest.param(
        {"foo": ""},
        [c(2, HOST)],
        {},
        hosts("node-a", "node-b", "node-c", "node-d"),
        [],
        placed("node-a:foo node-a:foo node-b:foo node-d:foo node-d:foo node-d:foo"),
        {"node-a": 33, "node-b": 66, "node-c": 100, "node-d": 16},
        id="one constraint on node, all 4 nodes are candidates, maxSkew=2",
    ),
    pytest.param(
        {"foo": ""},
        [c(3, HOST)],
        {},
        hosts("node-a", "node-b", "node-c", "node-d"),
        [],
        placed(
            "node-a:foo node-a:foo node-a:foo node-a:foo node-b:foo node-b:foo node-b:foo "
            "node-c:foo node-c:foo node-d:foo"
        ),
        {"node-a": 44, "node-b": 66, "node-c": 77, "node-d": 100},
        id="one constraint on node, all 4 nodes are candidates, maxSkew=3",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, HOST)],
        {},
        hosts("node-a", "node-b", "node-x"),
        hosts("node-y"),
        placed(
            "node-a:foo node-a:foo node-a:foo node-a:foo node-b:foo node-b:foo node-x:foo "
            "node-y:foo node-y:foo node-y:foo"
        ),
        {"node-a": 33, "node-b": 83, "node-x": 100},
        id="one constraint on node, 3 out of 4 nodes are candidates",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, "zone")],
        {},
        zoned({"node-a": "zone1", "node-b": "zone1", "node-x": "zone2"}),
        zoned({"node-y": "zone2"}),
        placed(
            "node-a:foo node-a:foo node-a:foo node-a:foo node-b:foo node-b:foo node-x:foo "
            "node-y:foo node-y:foo node-y:foo"
        ),
        {"node-a": 75, "node-b": 75, "node-x": 100},
        id="one constraint on zone, 3 out of 4 nodes are candidates",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, "zone"), c(1, HOST)],
        {},
        zoned({"node-a": "zone1", "node-x": "zone2"}),
        zoned({"node-b": "zone1", "node-y": "zone2"}),
        placed(
            "node-a:foo node-a:foo node-b:foo node-x:foo node-x:foo node-y:foo node-y:foo "
            "node-y:foo node-y:foo"
        ),
        {"node-a": 100, "node-x": 63},
        id="two Constraints on zone and node, 2 out of 4 nodes are candidates",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        [c(1, "zone"), c(1, "zone", BAR)],
        {},
        [node("node-a", labels={"zone": "zone1"}), node("node-x", labels={"zone": "zone2"})],
        [node("node-b", labels={"zone": "zone1"}), node("node-y", labels={"zone": "zone2"})],
        placed("node-a:foo,bar node-a:foo node-b:foo,bar node-y:foo node-y:foo,bar node-y:foo"),
        {"node-a": 85, "node-x": 100},
        id="two Constraints on zone, 2 out of 4 nodes are candidates",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        [c(1, "zone"), c(1, HOST, BAR)],
        {},
        zoned({"node-a": "zone1", "node-b": "zone1", "node-x": "zone2", "node-y": "zone2"}),
        [],
        placed("node-a:foo node-b:foo,bar node-y:foo node-y:bar"),
        {"node-a": 60, "node-b": 20, "node-x": 100, "node-y": 60},
        id="two Constraints on zone and node, with different labelSelectors",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        [c(1, "zone"), c(1, HOST, BAR)],
        {},
        zoned({"node-a": "zone1", "node-b": "zone1", "node-x": "zone2", "node-y": "zone2"}),
        [],
        placed("node-b:bar node-x:foo node-y:foo,bar"),
        {"node-a": 100, "node-b": 60, "node-x": 40, "node-y": 0},
        id="two Constraints on zone and node, with different labelSelectors, some nodes have 0 "
        "pods",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        [c(1, "zone"), c(1, HOST, BAR)],
        {},
        zoned({"node-a": "zone1", "node-b": "zone1", "node-x": "zone2"}),
        zoned({"node-y": "zone2"}),
        placed("node-a:foo node-b:foo,bar node-y:foo node-y:bar"),
        {"node-a": 50, "node-b": 25, "node-x": 100},
        id="two Constraints on zone and node, with different labelSelectors, 3 out of 4 nodes "
        "are candidates",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, HOST)],
        {},
        hosts("node-a", "node-b"),
        [],
        [
            pod(node="node-a", namespace="ns1", labels={"foo": ""}),
            *placed("node-a:foo node-b:foo node-b:foo"),
        ],
        {"node-a": 100, "node-b": 33},
        id="existing pods in a different namespace do not count",
    ),
    pytest.param(
        {"foo": ""},
        [c(2, "node", minDomains=10)],
        {},
        by_node("node-a node-b node-c"),
        [],
        placed("node-a:foo node-a:foo node-b:foo node-b:foo node-c:foo"),
        {"node-a": 75, "node-b": 75, "node-c": 100},
        id="minDomains has no effect when ScheduleAnyway",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, "node")],
        {"nodeSelector": {"foo": ""}},
        [
            node("node-a", labels={"node": "node-a", "foo": ""}),
            node("node-b", labels={"node": "node-b", "foo": ""}),
            node("node-c", labels={"node": "node-c"}),
        ],
        [],
        placed("node-a:foo node-a:foo node-b:foo node-c:foo"),
        {"node-a": 0, "node-b": 33, "node-c": 100},
        id="NodeAffinityPolicy honoed with labelSelectors",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, "node", nodeAffinityPolicy="Ignore")],
        {"nodeSelector": {"foo": ""}},
        [
            node("node-a", labels={"node": "node-a", "foo": ""}),
            node("node-b", labels={"node": "node-b", "foo": ""}),
            node("node-c", labels={"node": "node-c"}),
        ],
        [],
        placed("node-a:foo node-a:foo node-b:foo node-c:foo"),
        {"node-a": 66, "node-b": 100, "node-c": 100},
        id="NodeAffinityPolicy ignored with labelSelectors",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, "node")],
        {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "foo", "operator": "In", "values": [""]}]}
                        ]
                    }
                }
            }
        },
        [
            node("node-a", labels={"node": "node-a", "foo": ""}),
            node("node-b", labels={"node": "node-b", "foo": ""}),
            node("node-c", labels={"node": "node-c"}),
        ],
        [],
        placed("node-a:foo node-a:foo node-b:foo node-c:foo"),
        {"node-a": 0, "node-b": 33, "node-c": 100},
        id="NodeAffinityPolicy honoed with nodeAffinity",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, "node", nodeAffinityPolicy="Ignore")],
        {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "foo", "operator": "In", "values": [""]}]}
                        ]
                    }
                }
            }
        },
        [
            node("node-a", labels={"node": "node-a", "foo": ""}),
            node("node-b", labels={"node": "node-b", "foo": ""}),
            node("node-c", labels={"node": "node-c"}),
        ],
        [],
        placed("node-a:foo node-a:foo node-b:foo node-c:foo"),
        {"node-a": 66, "node-b": 100, "node-c": 100},
        id="NodeAffinityPolicy ignored with nodeAffinity",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, "node", nodeTaintsPolicy="Honor")],
        {},
        [
            node("node-a", labels={"node": "node-a"}),
            node("node-b", labels={"node": "node-b"}),
            node("node-c", labels={"node": "node-c"}, taints=TAINTS),
        ],
        [],
        placed("node-a:foo node-a:foo node-b:foo node-c:foo"),
        {"node-a": 0, "node-b": 33, "node-c": 100},
        id="NodeTaintsPolicy honored",
    ),
    pytest.param(
        {"foo": ""},
        [c(1, "node")],
        {},
        [
            node("node-a", labels={"node": "node-a"}),
            node("node-b", labels={"node": "node-b"}),
            node("node-c", labels={"node": "node-c"}, taints=TAINTS),
        ],
        [],
        placed("node-a:foo node-a:foo node-b:foo node-c:foo"),
        {"node-a": 66, "node-b": 100, "node-c": 100},
        id="NodeTaintsPolicy ignored",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        [c(1, "zone", {}, matchLabelKeys=["foo"]), c(1, HOST, {}, matchLabelKeys=["bar"])],
        {},
        zoned({"node-a": "zone1", "node-b": "zone1", "node-c": "zone2", "node-d": "zone2"}),
        [],
        placed("node-a:foo node-b:foo,bar node-c:foo node-c:bar"),
        {"node-a": 60, "node-b": 20, "node-c": 60, "node-d": 100},
        id="matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
    ),
    pytest.param(
        {"foo": "", "bar": "", "baz": ""},
        [c(1, "zone"), c(1, HOST, BAR, matchLabelKeys=["baz"])],
        {},
        zoned({"node-a": "zone1", "node-b": "zone1", "node-c": "zone2", "node-d": "zone2"}),
        [],
        placed("node-a:foo node-b:foo,bar,baz node-c:foo node-c:bar node-c:bar,baz"),
        {"node-a": 60, "node-b": 20, "node-c": 60, "node-d": 100},
        id="matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
    ),
]


@pytest.mark.parametrize(
    ("labels", "constraints", "spec", "nodes", "failed", "existing", "want"), SCORE
)
def test_pod_topology_spread_score(
    labels: Any, constraints: Any, spec: Any, nodes: Any, failed: Any, existing: Any, want: Any
) -> None:
    config = only("PodTopologySpread", points=("preScore", "score"))
    config["profiles"][0]["plugins"]["filter"] = {"enabled": [{"name": "NodeUnschedulable"}]}
    for n in failed:
        n["spec"]["unschedulable"] = True
    result = run(
        config,
        [*nodes, *failed],
        pod("p", labels=labels, topologySpreadConstraints=constraints, **spec),
        existing,
        namespaces=[{"metadata": {"name": "ns1"}}],
    )
    assert scores(result, "PodTopologySpread") == want
