"""Ported from kubernetes/kubernetes
pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go
(TestRequiredAffinityMultipleNodes), v1.28-v1.32 behaviour: one reason per status
(``node(s) didn't match pod affinity rules`` and the two anti-affinity reasons)."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import node, only, pod, run

AFF = "node(s) didn't match pod affinity rules"
ANTI = "node(s) didn't match pod anti-affinity rules"
EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules"
OK = None
CHINA = {"region": "China"}
CHINA_AZ1 = {"region": "China", "az": "az1"}
INDIA = {"region": "India"}


def t(key: str, op: str, topology: str, *values: str) -> dict[str, Any]:
    expr: dict[str, Any] = {"key": key, "operator": op}
    if values:
        expr["values"] = list(values)
    return {"labelSelector": {"matchExpressions": [expr]}, "topologyKey": topology}


def aff(required: list[Any] = (), anti: list[Any] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    out: dict[str, Any] = {}
    if required:
        out["podAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": list(required)}
    if anti:
        out["podAntiAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": list(anti)}
    return {"affinity": out} if out else {}


def rz(region: str, zone: str, host: str) -> dict[str, str]:
    return {"region": region, "zone": zone, "hostname": host}


CASES = [
    pytest.param(
        None,
        "default",
        aff([t("foo", "In", "region", "bar")]),
        [pod("p1", node="machine1", labels={"foo": "bar"})],
        {"machine1": CHINA, "machine2": CHINA_AZ1, "machine3": INDIA},
        [OK, OK, AFF],
        id="A pod can be scheduled onto all the nodes that have the same topology key & label "
        "value with one of them has an existing pod that matches the affinity rules",
    ),
    pytest.param(
        {"foo": "bar", "service": "securityscan"},
        "default",
        aff([t("foo", "In", "zone", "bar"), t("service", "In", "zone", "securityscan")]),
        [pod("p1", node="nodeA", labels={"foo": "bar"})],
        {"nodeA": {"zone": "az1", "hostname": "h1"}, "nodeB": {"zone": "az2", "hostname": "h2"}},
        [OK, OK],
        id="The affinity rule is to schedule all of the pods of this collection to the same zone. "
        "The first pod of the collection should not be blocked from being scheduled onto any "
        "node, even there's no existing pod that matches the rule anywhere.",
    ),
    pytest.param(
        None,
        "default",
        aff(anti=[t("foo", "In", "region", "abc")]),
        [pod(node="nodeA", labels={"foo": "abc"})],
        {
            "nodeA": {"region": "r1", "hostname": "nodeA"},
            "nodeB": {"region": "r1", "hostname": "nodeB"},
        },
        [ANTI, ANTI],
        id="NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that "
        "matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB.",
    ),
    pytest.param(
        None,
        "default",
        aff(anti=[t("foo", "In", "region", "abc"), t("service", "In", "zone", "securityscan")]),
        [pod(node="nodeA", labels={"foo": "abc", "service": "securityscan"})],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z2", "nodeB")},
        [ANTI, ANTI],
        id="This test ensures that anti-affinity matches a pod when any term of the anti-affinity "
        "rule matches a pod.",
    ),
    pytest.param(
        None,
        "default",
        aff(anti=[t("foo", "In", "region", "abc")]),
        [pod(node="nodeA", labels={"foo": "abc"})],
        {"nodeA": CHINA, "nodeB": CHINA_AZ1, "nodeC": INDIA},
        [ANTI, ANTI, OK],
        id="NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that "
        "matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB "
        "but can be scheduled onto nodeC",
    ),
    pytest.param(
        {"foo": "123"},
        "NS1",
        aff(anti=[t("foo", "In", "region", "bar")]),
        [
            pod(node="nodeA", namespace="NS1", labels={"foo": "bar"}),
            pod(node="nodeC", namespace="NS2", **aff(anti=[t("foo", "In", "region", "123")])),
        ],
        {"nodeA": CHINA, "nodeB": CHINA_AZ1, "nodeC": INDIA},
        [ANTI, ANTI, OK],
        id="NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that "
        "matches the inter pod affinity rule. The pod can not be scheduled onto nodeA, nodeB, but "
        "can be scheduled onto nodeC (NodeC has an existing pod that match the inter pod affinity "
        "rule but in different namespace)",
    ),
    pytest.param(
        {"foo": ""},
        "default",
        {},
        [pod(node="nodeA", **aff(anti=[t("foo", "Exists", "invalid-node-label")]))],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z1", "nodeB")},
        [OK, OK],
        id="Test existing pod's anti-affinity: if an existing pod has a term with invalid "
        "topologyKey, labelSelector of the term is firstly checked, and then topologyKey of the "
        "term is also checked",
    ),
    pytest.param(
        None,
        "default",
        aff(anti=[t("foo", "Exists", "invalid-node-label")]),
        [pod(node="nodeA", labels={"foo": ""})],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z1", "nodeB")},
        [OK, OK],
        id="Test incoming pod's anti-affinity: even if labelSelector matches, we still check if "
        "topologyKey matches",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        "default",
        {},
        [
            pod(node="nodeA", **aff(anti=[t("foo", "Exists", "zone")])),
            pod(node="nodeA", **aff(anti=[t("bar", "Exists", "region")])),
        ],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z2", "nodeB")},
        [EXISTING, EXISTING],
        id="Test existing pod's anti-affinity: incoming pod wouldn't considered as a fit as it "
        "violates each existingPod's terms on all nodes",
    ),
    pytest.param(
        None,
        "default",
        aff(anti=[t("foo", "Exists", "zone"), t("bar", "Exists", "region")]),
        [pod(node="nodeA", labels={"foo": ""}), pod(node="nodeB", labels={"bar": ""})],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z2", "nodeB")},
        [ANTI, ANTI],
        id="Test incoming pod's anti-affinity: incoming pod wouldn't considered as a fit as it at "
        "least violates one anti-affinity rule of existingPod",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        "default",
        {},
        [
            pod(
                node="nodeA",
                **aff(anti=[t("foo", "Exists", "invalid-node-label"), t("bar", "Exists", "zone")]),
            )
        ],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z2", "nodeB")},
        [EXISTING, OK],
        id="Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, "
        "it's counted as a single term match - case when one term has invalid topologyKey",
    ),
    pytest.param(
        None,
        "default",
        aff(anti=[t("foo", "Exists", "invalid-node-label"), t("bar", "Exists", "zone")]),
        [pod("podA", node="nodeA", labels={"foo": "", "bar": ""})],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z2", "nodeB")},
        [ANTI, OK],
        id="Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, "
        "it's counted as a single term match - case when one term has invalid topologyKey",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        "default",
        {},
        [pod(node="nodeA", **aff(anti=[t("foo", "Exists", "region"), t("bar", "Exists", "zone")]))],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z2", "nodeB")},
        [EXISTING, EXISTING],
        id="Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, "
        "it's counted as a single term match - case when all terms have valid topologyKey",
    ),
    pytest.param(
        None,
        "default",
        aff(anti=[t("foo", "Exists", "region"), t("bar", "Exists", "zone")]),
        [pod(node="nodeA", labels={"foo": "", "bar": ""})],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z2", "nodeB")},
        [ANTI, ANTI],
        id="Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, "
        "it's counted as a single term match - case when all terms have valid topologyKey",
    ),
    pytest.param(
        {"foo": "", "bar": ""},
        "default",
        {},
        [
            pod(
                node="nodeA",
                **aff(anti=[t("foo", "Exists", "zone"), t("labelA", "Exists", "zone")]),
            ),
            pod(
                node="nodeB",
                **aff(anti=[t("bar", "Exists", "zone"), t("labelB", "Exists", "zone")]),
            ),
        ],
        {
            "nodeA": rz("r1", "z1", "nodeA"),
            "nodeB": rz("r1", "z2", "nodeB"),
            "nodeC": rz("r1", "z3", "nodeC"),
        },
        [EXISTING, EXISTING, OK],
        id="Test existing pod's anti-affinity: existingPod on nodeA and nodeB has at least one "
        "anti-affinity term matches incoming pod, so incoming pod can only be scheduled to nodeC",
    ),
    pytest.param(
        None,
        "default",
        aff([t("foo", "Exists", "region"), t("bar", "Exists", "zone")]),
        [pod("pod1", node="nodeA", labels={"foo": "", "bar": ""})],
        {"nodeA": rz("r1", "z1", "nodeA"), "nodeB": rz("r1", "z1", "nodeB")},
        [OK, OK],
        id="Test incoming pod's affinity: firstly check if all affinityTerms match, and then check "
        "if all topologyKeys match",
    ),
]


# pkg/scheduler/framework/plugins/interpodaffinity/filtering_test.go: TestRequiredAffinityMultipleNodes  # noqa: E501
@pytest.mark.parametrize(("labels", "namespace", "spec", "existing", "nodes", "want"), CASES)
def test_required_affinity_multiple_nodes(
    labels: Any, namespace: str, spec: Any, existing: Any, nodes: Any, want: Any
) -> None:
    result = run(
        only("InterPodAffinity"),
        [node(n, labels=lab) for n, lab in nodes.items()],
        pod("incoming", namespace, labels=labels, **spec),
        existing,
        namespaces=[{"metadata": {"name": ns}} for ns in ("NS1", "NS2")],
    )
    # a plugin skipped at PreFilter (nothing to check) does not run its Filter: it passes
    got = [
        None
        if result.filter[n].get("InterPodAffinity", "passed") == "passed"
        else result.filter[n]["InterPodAffinity"]
        for n in nodes
    ]
    assert got == want
