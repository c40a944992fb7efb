"""Schedule one scenario under several scheduler configurations and compare the outcomes
(the real simulator's most requested feature, kubernetes-sigs/kube-scheduler-simulator#141).

Each configuration gets a fresh in-process cluster (the memory backend's engine, seeded, so a
comparison is reproducible); the scenario's objects are imported in the real simulator's
order and, unless ``reschedule=False``, every pod is scheduled again (its ``nodeName`` and
results cleared), so each configuration places the same pods from the same start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import evolve, field, frozen

from ..._progress import bar, silenced
from ...errors import BadRequestError
from .config import SchedulerConfiguration, config_from_dict, config_to_dict
from .models import ANNOTATION_PREFIX, ResourcesForLoad

__all__ = ["Comparison", "ConfigOutcome", "comparison_plan", "run_comparison"]

_SECONDARY = "k8sedge-scheduler"


@frozen(kw_only=True, repr=False)
class ConfigOutcome:
    """Where one configuration put every pod, and why."""

    def __repr__(self) -> str:
        placed = sum(1 for node in self.placements.values() if node is not None)
        return (
            f"ConfigOutcome({self.name!r}: {placed} placed on {len(self.pods_per_node())} "
            f"nodes, {len(self.unschedulable)} unschedulable)"
        )

    name: str
    placements: dict[str, str | None]  # "namespace/name" -> node (None: unschedulable)
    messages: dict[str, str] = field(factory=dict)  # unschedulable pods' FitError messages
    scores: dict[str, dict[str, dict[str, int]]] = field(factory=dict)  # pod -> node -> plugin

    @property
    def unschedulable(self) -> list[str]:
        """The pods it could not place."""
        return [pod for pod, node in self.placements.items() if node is None]

    def pods_per_node(self) -> dict[str, int]:
        """How many pods it placed on each node."""
        counts: dict[str, int] = {}
        for node in self.placements.values():
            if node is not None:
                counts[node] = counts.get(node, 0) + 1
        return dict(sorted(counts.items()))


@frozen(kw_only=True, repr=False)
class Comparison:
    """The outcome of every configuration, by name."""

    def __repr__(self) -> str:
        return f"Comparison({', '.join(map(repr, self.outcomes.values()))})"

    outcomes: dict[str, ConfigOutcome]

    @property
    def names(self) -> list[str]:
        """The configurations' names, in order."""
        return list(self.outcomes)

    def differences(self) -> dict[str, dict[str, str | None]]:
        """Pods placed differently by the configurations: ``{pod: {config: node}}``."""
        pods = {pod for outcome in self.outcomes.values() for pod in outcome.placements}
        out = {}
        for pod in sorted(pods):
            where = {name: o.placements.get(pod) for name, o in self.outcomes.items()}
            if len(set(where.values())) > 1:
                out[pod] = where
        return out

    def _repr_html_(self) -> str:
        from ..._display import html_table

        nodes = sorted({n for o in self.outcomes.values() for n in o.pods_per_node()})
        rows = [
            [name, *(o.pods_per_node().get(n, 0) for n in nodes), len(o.unschedulable)]
            for name, o in self.outcomes.items()
        ]
        return html_table(["config", *nodes, "unschedulable"], rows, caption="pods per node")

    def to_pandas(self) -> Any:
        """One row per configuration, pod and plugin score on the chosen node (pandas)."""
        from ..._display import frame

        rows = []
        for name, outcome in self.outcomes.items():
            for pod, node in outcome.placements.items():
                row: dict[str, Any] = {"config": name, "pod": pod, "node": node}
                if node is None:
                    row["message"] = outcome.messages.get(pod)
                for plugin, score in (outcome.scores.get(pod, {}).get(node or "", {})).items():
                    row[plugin] = score
                rows.append(row)
        return frame(rows)


def comparison_plan(
    configs: Mapping[str, SchedulerConfiguration | Mapping[str, Any]]
    | Sequence[SchedulerConfiguration | Mapping[str, Any]],
) -> list[tuple[str, dict[str, Any]]]:
    """Named, checked configurations (a bad one is ``BadRequestError`` before any work)."""
    items = (
        list(configs.items())
        if isinstance(configs, Mapping)
        else [(f"config-{i}", c) for i, c in enumerate(configs)]
    )
    if not items:
        raise BadRequestError("give at least one configuration", {"configs": "empty"})
    plan = []
    for name, config in items:
        data = config_to_dict(config) if isinstance(config, SchedulerConfiguration) else config
        if not isinstance(data, Mapping):
            raise BadRequestError(
                f"configuration {name!r} is not a KubeSchedulerConfiguration",
                {"configs": str(name)},
            )
        config_from_dict(dict(data))
        plan.append((str(name), dict(data)))
    return plan


def _rescheduled(resources: ResourcesForLoad) -> ResourcesForLoad:
    pods = []
    for pod in resources.pods:
        copy = {
            **pod,
            "metadata": dict(pod.get("metadata") or {}),
            "spec": dict(pod.get("spec") or {}),
        }
        copy["spec"].pop("nodeName", None)
        if copy["spec"].get("schedulerName") == _SECONDARY:
            del copy["spec"]["schedulerName"]  # the kubernetes backend's name of the default
        copy.pop("status", None)
        annotations = {
            k: v
            for k, v in (copy["metadata"].get("annotations") or {}).items()
            if not k.startswith(ANNOTATION_PREFIX)
        }
        copy["metadata"]["annotations"] = annotations
        pods.append(copy)
    return evolve(resources, pods=pods, scheduler_config=None)


def run_comparison(
    plan: list[tuple[str, dict[str, Any]]],
    resources: ResourcesForLoad,
    *,
    reschedule: bool = True,
    seed: int = 0,
    progress: bool | None = None,
) -> Comparison:
    """Run the scenario once per configuration, each on a fresh memory cluster (a progress
    bar per configuration when someone is watching)."""
    from ...memory import Cluster

    scenario = _rescheduled(resources) if reschedule else evolve(resources, scheduler_config=None)
    outcomes = {}
    with bar("comparing", len(plan), progress=progress, unit="config") as shown:
        for name, config in plan:
            shown.set_postfix_str(name)
            outcomes[name] = _outcome(name, Cluster(seed=seed), config, scenario)
            shown.update(1)
    return Comparison(outcomes=outcomes)


def _outcome(
    name: str, cluster: Any, config: dict[str, Any], scenario: ResourcesForLoad
) -> ConfigOutcome:
    """One configuration's run of the scenario."""
    cluster.update_config(config)
    with silenced():
        cluster.import_(scenario)
    placements: dict[str, str | None] = {}
    messages: dict[str, str] = {}
    scores: dict[str, dict[str, dict[str, int]]] = {}
    for pod in cluster.list("pods"):
        key = f"{pod['metadata'].get('namespace', 'default')}/{pod['metadata']['name']}"
        placements[key] = (pod.get("spec") or {}).get("nodeName") or None
        result = cluster.queue.results.get(key)
        if result is None:
            continue
        if result.selected_node is None and result.message:
            messages[key] = result.message
        scores[key] = result.final_score_result()
    return ConfigOutcome(name=name, placements=placements, messages=messages, scores=scores)
