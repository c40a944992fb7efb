"""The scheduler engine: kube-scheduler's framework and in-tree plugins, vectorised over nodes."""

from ..surfaces.simulator.config import (
    DEFAULT_PLUGINS,
    Extender,
    Plugin,
    PluginConfig,
    Plugins,
    PluginSet,
    ResolvedProfile,
    SchedulerConfiguration,
    SchedulerProfile,
    default_configuration,
    resolve_profile,
    with_defaults,
)
from .result import ScheduleResult
from .scheduler import Scheduler
from .table import NodeTable
from .types import (
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodRequest,
    PreferredTerm,
    Taint,
    TaintEffect,
    Toleration,
)

__all__ = [
    "DEFAULT_PLUGINS",
    "Extender",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "NodeTable",
    "Plugin",
    "PluginConfig",
    "PluginSet",
    "Plugins",
    "PodRequest",
    "PreferredTerm",
    "ResolvedProfile",
    "ScheduleResult",
    "Scheduler",
    "SchedulerConfiguration",
    "SchedulerProfile",
    "Taint",
    "TaintEffect",
    "Toleration",
    "default_configuration",
    "resolve_profile",
    "with_defaults",
]
