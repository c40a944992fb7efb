"""The in-tree plugins by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .interpod import InterPodAffinity, PodTopologySpread
from .plugins import (
    ImageLocality,
    NodeAffinity,
    NodeName,
    NodePorts,
    NodeResourcesBalancedAllocation,
    NodeResourcesFit,
    NodeUnschedulable,
    Plugin,
    TaintToleration,
)
from .state import ClusterState
from .volumes import NodeVolumeLimits, VolumeBinding, VolumeRestrictions, VolumeZone

__all__ = ["build_plugin"]


class _ExtensionOnly(Plugin):
    """Plugins that act outside filter and score (queue sort, gates, preemption, binding):
    the scheduler implements their behaviour itself."""

    def skip_filter(self, pod: Any) -> bool:
        return True

    def skip_score(self, pod: Any) -> bool:
        return True


def _extension(name: str) -> type[Plugin]:
    return type(name, (_ExtensionOnly,), {"name": name})


_PLUGINS: tuple[type[Plugin], ...] = (
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    VolumeRestrictions,
    NodeVolumeLimits,
    VolumeBinding,
    VolumeZone,
    PodTopologySpread,
    InterPodAffinity,
    NodeResourcesBalancedAllocation,
    ImageLocality,
    *(
        _extension(n)
        for n in ("SchedulingGates", "PrioritySort", "DefaultPreemption", "DefaultBinder")
    ),
)
_REGISTRY: dict[str, type[Plugin]] = {cls.name: cls for cls in _PLUGINS}


def build_plugin(
    name: str, args: Mapping[str, Any] | None = None, state: ClusterState | None = None
) -> Plugin:
    """Instantiate an in-tree plugin by name with its ``pluginConfig`` args."""
    return _REGISTRY[name](args, state)
