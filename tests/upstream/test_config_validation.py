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

INVALID = [
    # validation_test.go: TestValidateKubeSchedulerConfigurationV1
    pytest.param(
        config(profile(percentageOfNodesToScore=110)),
        "profiles[0].percentageOfNodesToScore",
        id="validation_test.go: invalid-percentage-of-nodes-to-score in profile",
    ),
    pytest.param(
        config(profile(percentageOfNodesToScore=-1)),
        "profiles[0].percentageOfNodesToScore",
        id="validation_test.go: negative percentage-of-nodes-to-score in profile",
    ),
    pytest.param(
        config(profile("me"), profile("me")),
        "profiles[1].schedulerName",
        id="validation_test.go: repeated-scheduler-name",
    ),
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
    pytest.param(
        config(profile("a"), profile("b")),
        id="validation_test.go: distinct scheduler names",
    ),
]


@pytest.mark.parametrize("body", VALID)
def test_valid_configuration_is_accepted(body: dict[str, Any]) -> None:
    k8sedge.connect(seed=0).simulator.update_config(body)
