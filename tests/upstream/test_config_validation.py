"""Ported from kubernetes/kubernetes pkg/scheduler/apis/config/validation/validation_test.go
(TestValidateKubeSchedulerConfigurationV1) and validation_pluginargs_test.go: invalid
configurations are ``BadRequestError`` naming the field, and change nothing."""

from __future__ import annotations

from typing import Any

import pytest

import k8sedge
from k8sedge import BadRequestError


def profile(
    name: str = "me", *, args: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"schedulerName": name, **extra}
    if args is not None:
        out["pluginConfig"] = [{"name": k, "args": v} for k, v in args.items()]
    return out


def config(*profiles: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "kubescheduler.config.k8s.io/v1",
        "kind": "KubeSchedulerConfiguration",
        "profiles": list(profiles),
    }


ARGS = "profiles[0].pluginConfig[0].args"

QUEUE_SORT = {"queueSort": {"enabled": [{"name": "PrioritySort"}]}}


def valid(**changes: Any) -> dict[str, Any]:
    """validation_test.go's validConfig as far as the simulator applies it: profiles "me" and
    "other" with the same queue sort, and one prioritizing extender."""
    profiles = [
        {"schedulerName": "me", "plugins": dict(QUEUE_SORT)},
        {"schedulerName": "other", "plugins": dict(QUEUE_SORT)},
    ]
    body = config(*profiles)
    body["extenders"] = [{"urlPrefix": "http://127.0.0.1:1/x", "prioritizeVerb": "p", "weight": 1}]
    for key, value in changes.items():
        index, _, field_name = key.partition("__")
        if index == "extender":
            body["extenders"][0][field_name] = value
        elif index == "extenders":
            body["extenders"] = value
        else:
            body["profiles"][int(index[1:])][field_name] = value
    return body


INVALID = [
    # validation_test.go: TestValidateKubeSchedulerConfigurationV1
    pytest.param(
        valid(p1__schedulerName=""),
        "profiles[1].schedulerName",
        id="validation_test.go: scheduler-name-not-set",
    ),
    pytest.param(
        valid(p0__schedulerName="other"),
        "profiles[1].schedulerName",
        id="validation_test.go: repeated-scheduler-name",
    ),
    pytest.param(
        valid(p1__percentageOfNodesToScore=101),
        "profiles[1].percentageOfNodesToScore",
        id="validation_test.go: greater-than-100-profile-percentage-of-nodes-to-score",
    ),
    pytest.param(
        valid(p1__percentageOfNodesToScore=-1),
        "profiles[1].percentageOfNodesToScore",
        id="validation_test.go: negative-profile-percentage-of-nodes-to-score",
    ),
    pytest.param(
        valid(
            p1__plugins={
                "queueSort": {"enabled": [{"name": "PrioritySort"}], "disabled": [{"name": "*"}]}
            }
        ),
        "profiles[1].plugins.queueSort",
        id="validation_test.go: different-queue-sort",
    ),
    pytest.param(
        valid(p0__plugins=None),
        "profiles[1].plugins.queueSort",
        id="validation_test.go: one-empty-queue-sort",
    ),
    pytest.param(
        valid(extender__weight=-1),
        "extenders[0].weight",
        id="validation_test.go: extender-negative-weight",
    ),
    pytest.param(
        valid(
            extender__managedResources=[
                {"name": "example.com/foo", "ignoredByScheduler": False},
                {"name": "example.com/foo", "ignoredByScheduler": False},
            ]
        ),
        "extenders[0].managedResources[1].name",
        id="validation_test.go: extender-duplicate-managed-resources",
    ),
    pytest.param(
        valid(
            extenders=[
                {
                    "urlPrefix": "http://127.0.0.1:1/x",
                    "prioritizeVerb": "p",
                    "weight": 1,
                    "bindVerb": "foo",
                },
                {
                    "urlPrefix": "http://127.0.0.1:1/y",
                    "prioritizeVerb": "prioritize",
                    "weight": 1,
                    "bindVerb": "bar",
                },
            ]
        ),
        "extenders",
        id="validation_test.go: extender-duplicate-bind",
    ),
    pytest.param(
        valid(
            p0__pluginConfig=[
                {
                    "name": "DefaultPreemption",
                    "args": {"minCandidateNodesPercentage": 200, "minCandidateNodesAbsolute": 100},
                }
            ]
        ),
        "profiles[0].pluginConfig[0].args.minCandidateNodesPercentage",
        id="validation_test.go: invalid-node-percentage",
    ),
    pytest.param(
        valid(p0__pluginConfig=[{"name": "config"}, {"name": "config"}]),
        "profiles[0].pluginConfig[1]",
        id="validation_test.go: duplicated-plugin-config",
    ),
    # validation_pluginargs_test.go
    pytest.param(
        config(profile(args={"DefaultPreemption": {"minCandidateNodesPercentage": 101}})),
        f"{ARGS}.minCandidateNodesPercentage",
        id="validation_pluginargs_test.go: TestValidateDefaultPreemptionArgs "
        "minCandidateNodesPercentage over 100",
    ),
    pytest.param(
        config(profile(args={"DefaultPreemption": {"minCandidateNodesPercentage": -1}})),
        f"{ARGS}.minCandidateNodesPercentage",
        id="validation_pluginargs_test.go: TestValidateDefaultPreemptionArgs "
        "minCandidateNodesPercentage below 0",
    ),
    pytest.param(
        config(profile(args={"DefaultPreemption": {"minCandidateNodesAbsolute": -1}})),
        f"{ARGS}.minCandidateNodesAbsolute",
        id="validation_pluginargs_test.go: TestValidateDefaultPreemptionArgs "
        "minCandidateNodesAbsolute below 0",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "DefaultPreemption": {
                        "minCandidateNodesPercentage": 0,
                        "minCandidateNodesAbsolute": 0,
                    }
                }
            )
        ),
        f"{ARGS}.minCandidateNodesPercentage",
        id="validation_pluginargs_test.go: TestValidateDefaultPreemptionArgs all zero",
    ),
    pytest.param(
        config(profile(args={"InterPodAffinity": {"hardPodAffinityWeight": -1}})),
        f"{ARGS}.hardPodAffinityWeight",
        id="validation_pluginargs_test.go: TestValidateInterPodAffinityArgs "
        "hardPodAffinityWeight less than min",
    ),
    pytest.param(
        config(profile(args={"InterPodAffinity": {"hardPodAffinityWeight": 101}})),
        f"{ARGS}.hardPodAffinityWeight",
        id="validation_pluginargs_test.go: TestValidateInterPodAffinityArgs "
        "hardPodAffinityWeight more than max",
    ),
    pytest.param(
        config(profile(args={"VolumeBinding": {"bindTimeoutSeconds": -10}})),
        f"{ARGS}.bindTimeoutSeconds",
        id="validation_pluginargs_test.go: TestValidateVolumeBindingArgs "
        "invalid BindTimeoutSeconds",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "PodTopologySpread": {
                        "defaultingType": "List",
                        "defaultConstraints": [
                            {
                                "maxSkew": -1,
                                "topologyKey": "k",
                                "whenUnsatisfiable": "DoNotSchedule",
                            }
                        ],
                    }
                }
            )
        ),
        f"{ARGS}.defaultConstraints[0].maxSkew",
        id="validation_pluginargs_test.go: TestValidatePodTopologySpreadArgs "
        "maxSkew less than zero",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "PodTopologySpread": {
                        "defaultingType": "List",
                        "defaultConstraints": [
                            {"maxSkew": 1, "topologyKey": "", "whenUnsatisfiable": "DoNotSchedule"}
                        ],
                    }
                }
            )
        ),
        f"{ARGS}.defaultConstraints[0].topologyKey",
        id="validation_pluginargs_test.go: TestValidatePodTopologySpreadArgs empty topology key",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "PodTopologySpread": {
                        "defaultingType": "List",
                        "defaultConstraints": [
                            {"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "Unknown"}
                        ],
                    }
                }
            )
        ),
        f"{ARGS}.defaultConstraints[0].whenUnsatisfiable",
        id="validation_pluginargs_test.go: TestValidatePodTopologySpreadArgs "
        "WhenUnsatisfiable contains unsupported action",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "PodTopologySpread": {
                        "defaultingType": "List",
                        "defaultConstraints": [
                            {
                                "maxSkew": 1,
                                "topologyKey": "k",
                                "whenUnsatisfiable": "DoNotSchedule",
                            },
                            {
                                "maxSkew": 2,
                                "topologyKey": "k",
                                "whenUnsatisfiable": "DoNotSchedule",
                            },
                        ],
                    }
                }
            )
        ),
        f"{ARGS}.defaultConstraints[1]",
        id="validation_pluginargs_test.go: TestValidatePodTopologySpreadArgs "
        "duplicated constraints",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "PodTopologySpread": {
                        "defaultingType": "List",
                        "defaultConstraints": [
                            {
                                "maxSkew": 1,
                                "topologyKey": "k",
                                "whenUnsatisfiable": "DoNotSchedule",
                                "labelSelector": {"matchLabels": {"a": "b"}},
                            }
                        ],
                    }
                }
            )
        ),
        f"{ARGS}.defaultConstraints[0].labelSelector",
        id="validation_pluginargs_test.go: TestValidatePodTopologySpreadArgs "
        "label selector present",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "PodTopologySpread": {
                        "defaultingType": "System",
                        "defaultConstraints": [
                            {"maxSkew": 1, "topologyKey": "k", "whenUnsatisfiable": "DoNotSchedule"}
                        ],
                    }
                }
            )
        ),
        f"{ARGS}.defaultConstraints",
        id="validation_pluginargs_test.go: TestValidatePodTopologySpreadArgs "
        "system default constraints, but has constraints",
    ),
    pytest.param(
        config(profile(args={"PodTopologySpread": {"defaultingType": "Unknown"}})),
        f"{ARGS}.defaultingType",
        id="validation_pluginargs_test.go: TestValidatePodTopologySpreadArgs "
        "wrong constraints defaulting type",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "NodeResourcesBalancedAllocation": {"resources": [{"name": "cpu", "weight": 2}]}
                }
            )
        ),
        f"{ARGS}.resources[0].weight",
        id="validation_pluginargs_test.go: TestValidateNodeResourcesBalancedAllocationArgs "
        "invalid resource weight",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "NodeResourcesBalancedAllocation": {
                        "resources": [{"name": "cpu", "weight": 1}, {"name": "cpu", "weight": 1}]
                    }
                }
            )
        ),
        f"{ARGS}.resources[1].name",
        id="validation_pluginargs_test.go: TestValidateNodeResourcesBalancedAllocationArgs "
        "repeated resources",
    ),
    pytest.param(
        config(profile(args={"NodeResourcesFit": {"scoringStrategy": {"type": "Invalid"}}})),
        f"{ARGS}.scoringStrategy.type",
        id="validation_pluginargs_test.go: TestValidateFitArgs invalid scoringStrategy type",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "NodeResourcesFit": {
                        "scoringStrategy": {
                            "type": "LeastAllocated",
                            "resources": [{"name": "cpu", "weight": 0}],
                        }
                    }
                }
            )
        ),
        f"{ARGS}.scoringStrategy.resources[0].weight",
        id="least_allocated_test.go: TestLeastAllocatedScoringStrategy resource with zero weight",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "NodeResourcesFit": {
                        "scoringStrategy": {
                            "type": "MostAllocated",
                            "resources": [{"name": "memory", "weight": 101}],
                        }
                    }
                }
            )
        ),
        f"{ARGS}.scoringStrategy.resources[0].weight",
        id="most_allocated_test.go: TestMostAllocatedScoringStrategy resource weight larger "
        "than MaxNodeScore",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "NodeResourcesFit": {
                        "scoringStrategy": {
                            "type": "LeastAllocated",
                            "resources": [{"name": "memory", "weight": -1}],
                        }
                    }
                }
            )
        ),
        f"{ARGS}.scoringStrategy.resources[0].weight",
        id="least_allocated_test.go: TestLeastAllocatedScoringStrategy resource with negative "
        "weight",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "NodeResourcesFit": {
                        "scoringStrategy": {
                            "type": "RequestedToCapacityRatio",
                            "resources": [{"name": "cpu", "weight": 1}],
                            "requestedToCapacityRatio": {
                                "shape": [
                                    {"utilization": 30, "score": 3},
                                    {"utilization": 20, "score": 5},
                                ]
                            },
                        }
                    }
                }
            )
        ),
        f"{ARGS}.scoringStrategy.requestedToCapacityRatio.shape[1].utilization",
        id="validation_pluginargs_test.go: TestValidateFitArgs utilization values must be "
        "sorted in increasing order",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "NodeResourcesFit": {
                        "scoringStrategy": {
                            "type": "RequestedToCapacityRatio",
                            "resources": [{"name": "cpu", "weight": 1}],
                            "requestedToCapacityRatio": {
                                "shape": [{"utilization": 10, "score": 11}]
                            },
                        }
                    }
                }
            )
        ),
        f"{ARGS}.scoringStrategy.requestedToCapacityRatio.shape[0].score",
        id="validation_pluginargs_test.go: TestValidateFitArgs score greater than 10",
    ),
]


@pytest.mark.parametrize(("body", "path"), INVALID)
def test_invalid_configuration_is_rejected(body: dict[str, Any], path: str) -> None:
    sim = k8sedge.connect(seed=0).simulator
    before = sim.config()
    with pytest.raises(BadRequestError) as info:
        sim.update_config(body)
    assert path in str(info.value)
    assert sim.config() == before
    # the simulator keeps working: a later import with the default configuration is fine
    sim.import_({"nodes": [{"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "1"}}}]})
    assert [n.name for n in sim.nodes.list()] == ["n"]


VALID = [
    pytest.param(valid(), id="validation_test.go: good"),
    pytest.param(
        valid(
            p0__plugins={
                **QUEUE_SORT,
                "score": {"enabled": [{"name": "PodTopologySpread", "weight": 2}]},
            }
        ),
        id="validation_test.go: valid-plugins",
    ),
    pytest.param(
        config(
            profile(
                args={
                    "DefaultPreemption": {
                        "minCandidateNodesPercentage": 0,
                        "minCandidateNodesAbsolute": 100,
                    }
                }
            )
        ),
        id="validation_pluginargs_test.go: TestValidateDefaultPreemptionArgs "
        "minCandidateNodesPercentage is zero",
    ),
    pytest.param(
        config(profile(args={"InterPodAffinity": {"hardPodAffinityWeight": 100}})),
        id="validation_pluginargs_test.go: TestValidateInterPodAffinityArgs valid args",
    ),
]


@pytest.mark.parametrize("body", VALID)
def test_valid_configuration_is_accepted(body: dict[str, Any]) -> None:
    k8sedge.connect(seed=0).simulator.update_config(body)
