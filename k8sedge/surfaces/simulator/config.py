"""``KubeSchedulerConfiguration`` (kubescheduler.config.k8s.io/v1), typed, with upstream defaults.

``default_configuration()`` is what kube-scheduler v1.32 defaults an empty configuration
to; ``resolve_profile()`` merges a profile with the defaults and expands ``multiPoint``
exactly as the scheduler framework does, giving the plugins of each extension point
and every score plugin's weight.
"""

from __future__ import annotations

import copy
from typing import Any

import attrs
from attrs import evolve, field, frozen

from ...errors import BadRequestError

__all__ = [
    "API_VERSION",
    "DEFAULT_PLUGINS",
    "EXTENSION_POINTS",
    "PLUGIN_EXTENSION_POINTS",
    "Extender",
    "Plugin",
    "PluginConfig",
    "PluginSet",
    "Plugins",
    "ResolvedProfile",
    "SchedulerConfiguration",
    "SchedulerProfile",
    "config_from_dict",
    "config_to_dict",
    "default_configuration",
    "lenient_config",
    "resolve_profile",
    "validate_configuration",
    "with_defaults",
]

API_VERSION = "kubescheduler.config.k8s.io/v1"
DEFAULT_SCHEDULER_NAME = "default-scheduler"

EXTENSION_POINTS = (
    "pre_enqueue",
    "queue_sort",
    "pre_filter",
    "filter",
    "post_filter",
    "pre_score",
    "score",
    "reserve",
    "permit",
    "pre_bind",
    "bind",
    "post_bind",
)

# Which extension points each in-tree plugin implements (kube-scheduler v1.32).
PLUGIN_EXTENSION_POINTS: dict[str, frozenset[str]] = {
    "SchedulingGates": frozenset({"pre_enqueue"}),
    "PrioritySort": frozenset({"queue_sort"}),
    "NodeUnschedulable": frozenset({"filter"}),
    "NodeName": frozenset({"filter"}),
    "TaintToleration": frozenset({"filter", "pre_score", "score"}),
    "NodeAffinity": frozenset({"pre_filter", "filter", "pre_score", "score"}),
    "NodePorts": frozenset({"pre_filter", "filter"}),
    "NodeResourcesFit": frozenset({"pre_filter", "filter", "pre_score", "score"}),
    "VolumeRestrictions": frozenset({"pre_filter", "filter"}),
    "NodeVolumeLimits": frozenset({"pre_filter", "filter"}),
    "VolumeBinding": frozenset(
        {"pre_filter", "filter", "reserve", "pre_bind", "pre_score", "score"}
    ),
    "VolumeZone": frozenset({"pre_filter", "filter"}),
    "PodTopologySpread": frozenset({"pre_filter", "filter", "pre_score", "score"}),
    "InterPodAffinity": frozenset({"pre_filter", "filter", "pre_score", "score"}),
    "DefaultPreemption": frozenset({"post_filter"}),
    "NodeResourcesBalancedAllocation": frozenset({"pre_score", "score"}),
    "ImageLocality": frozenset({"score"}),
    "DefaultBinder": frozenset({"bind"}),
}

# getDefaultPlugins(): the default profile's multiPoint, in order, with score weights.
DEFAULT_PLUGINS: tuple[tuple[str, int | None], ...] = (
    ("SchedulingGates", None),
    ("PrioritySort", None),
    ("NodeUnschedulable", None),
    ("NodeName", None),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", None),
    ("NodeResourcesFit", 1),
    ("VolumeRestrictions", None),
    ("NodeVolumeLimits", None),
    ("VolumeBinding", None),
    ("VolumeZone", None),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", None),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", None),
)

_RESOURCES = [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]
DEFAULT_PLUGIN_ARGS: dict[str, dict[str, Any]] = {
    "DefaultPreemption": {"minCandidateNodesPercentage": 10, "minCandidateNodesAbsolute": 100},
    "InterPodAffinity": {"hardPodAffinityWeight": 1, "ignorePreferredTermsOfExistingPods": False},
    "NodeAffinity": {},
    "NodeResourcesBalancedAllocation": {"resources": _RESOURCES},
    "NodeResourcesFit": {"scoringStrategy": {"type": "LeastAllocated", "resources": _RESOURCES}},
    "PodTopologySpread": {"defaultingType": "System"},
    "VolumeBinding": {"bindTimeoutSeconds": 600},
}


@frozen(kw_only=True)
class Plugin:
    name: str
    weight: int | None = None


@frozen(kw_only=True)
class PluginSet:
    enabled: list[Plugin] = field(factory=list)
    disabled: list[Plugin] = field(factory=list)


@frozen(kw_only=True)
class Plugins:
    pre_enqueue: PluginSet = field(factory=PluginSet)
    queue_sort: PluginSet = field(factory=PluginSet)
    pre_filter: PluginSet = field(factory=PluginSet)
    filter: PluginSet = field(factory=PluginSet)
    post_filter: PluginSet = field(factory=PluginSet)
    pre_score: PluginSet = field(factory=PluginSet)
    score: PluginSet = field(factory=PluginSet)
    reserve: PluginSet = field(factory=PluginSet)
    permit: PluginSet = field(factory=PluginSet)
    pre_bind: PluginSet = field(factory=PluginSet)
    bind: PluginSet = field(factory=PluginSet)
    post_bind: PluginSet = field(factory=PluginSet)
    multi_point: PluginSet = field(factory=PluginSet)


@frozen(kw_only=True)
class PluginConfig:
    name: str
    args: dict[str, Any] = field(factory=dict)


@frozen(kw_only=True)
class SchedulerProfile:
    scheduler_name: str | None = None
    percentage_of_nodes_to_score: int | None = None
    plugins: Plugins | None = None
    plugin_config: list[PluginConfig] = field(factory=list)


@frozen(kw_only=True)
class Extender:
    url_prefix: str
    filter_verb: str = ""
    preempt_verb: str = ""
    prioritize_verb: str = ""
    weight: int = 0
    bind_verb: str = ""
    enable_https: bool = False
    tls_config: dict[str, Any] | None = None
    http_timeout: str | None = None
    node_cache_capable: bool = False
    managed_resources: list[dict[str, Any]] = field(factory=list)
    ignorable: bool = False


@frozen(kw_only=True)
class SchedulerConfiguration:
    """A ``KubeSchedulerConfiguration`` (``kubescheduler.config.k8s.io/v1``): profiles, extenders
    and the scheduler's settings."""

    api_version: str = API_VERSION
    kind: str = "KubeSchedulerConfiguration"
    parallelism: int | None = None
    percentage_of_nodes_to_score: int | None = None
    pod_initial_backoff_seconds: int | None = None
    pod_max_backoff_seconds: int | None = None
    profiles: list[SchedulerProfile] = field(factory=list)
    extenders: list[Extender] = field(factory=list)
    leader_election: dict[str, Any] | None = None
    client_connection: dict[str, Any] | None = None
    delay_cache_until_active: bool | None = None
    enable_profiling: bool | None = None
    enable_contention_profiling: bool | None = None


@frozen(kw_only=True)
class ResolvedProfile:
    """The plugins that run at each extension point, score weights and plugin args."""

    scheduler_name: str
    points: dict[str, tuple[str, ...]]
    weights: dict[str, int]
    args: dict[str, dict[str, Any]]
    percentage_of_nodes_to_score: int | None = None

    def plugins(self, point: str) -> tuple[str, ...]:
        return self.points.get(point, ())


def _merge_plugin_set(default: PluginSet, custom: PluginSet) -> PluginSet:
    """``mergePluginSet`` from kube-scheduler's v1 defaults."""
    disabled = [Plugin(name=p.name) for p in custom.disabled]
    disabled += [Plugin(name=p.name) for p in default.disabled]
    disabled_names = {p.name for p in disabled}
    custom_by_name = {p.name: (i, p) for i, p in enumerate(custom.enabled)}
    replaced: set[int] = set()
    enabled: list[Plugin] = []
    if "*" not in disabled_names:
        for plugin in default.enabled:
            if plugin.name in disabled_names:
                continue
            if plugin.name in custom_by_name:
                index, plugin = custom_by_name[plugin.name]
                replaced.add(index)
            enabled.append(plugin)
    enabled += [p for i, p in enumerate(custom.enabled) if i not in replaced]
    return PluginSet(enabled=enabled, disabled=disabled)


def _default_plugins() -> Plugins:
    return Plugins(
        multi_point=PluginSet(
            enabled=[Plugin(name=name, weight=weight) for name, weight in DEFAULT_PLUGINS]
        )
    )


def _default_profile(profile: SchedulerProfile) -> SchedulerProfile:
    defaults = _default_plugins()
    custom = profile.plugins or Plugins()
    merged = Plugins(
        **{
            point: _merge_plugin_set(getattr(defaults, point), getattr(custom, point))
            for point in (*EXTENSION_POINTS, "multi_point")
        }
    )
    configs = list(profile.plugin_config)
    have = {c.name for c in configs}
    enabled_anywhere = {
        p.name for point in merged.__attrs_attrs__ for p in getattr(merged, point.name).enabled
    }
    for name, args in DEFAULT_PLUGIN_ARGS.items():
        if name not in have and name in enabled_anywhere:
            configs.append(PluginConfig(name=name, args=copy.deepcopy(args)))
    return evolve(
        profile,
        # only a missing name is defaulted; an empty one is left for validation to reject
        scheduler_name=(
            DEFAULT_SCHEDULER_NAME if profile.scheduler_name is None else profile.scheduler_name
        ),
        plugins=merged,
        plugin_config=configs,
    )


def with_defaults(config: SchedulerConfiguration) -> SchedulerConfiguration:
    """Apply kube-scheduler's v1 defaulting (``SetDefaults_KubeSchedulerConfiguration``)."""
    profiles = config.profiles or [SchedulerProfile()]
    return evolve(
        config,
        parallelism=16 if config.parallelism is None else config.parallelism,
        percentage_of_nodes_to_score=config.percentage_of_nodes_to_score or 0,
        pod_initial_backoff_seconds=config.pod_initial_backoff_seconds or 1,
        pod_max_backoff_seconds=config.pod_max_backoff_seconds or 10,
        profiles=[_default_profile(p) for p in profiles],
    )


def default_configuration() -> SchedulerConfiguration:
    """The configuration kube-scheduler v1.32 runs with when given none."""
    return with_defaults(SchedulerConfiguration())


def _invalid(message: str, path: str) -> BadRequestError:
    return BadRequestError(f"invalid scheduler configuration: {path}: {message}", {path: message})


def _is_extended_resource(name: str) -> bool:
    """``v1helper.IsExtendedResourceName`` for a qualified name."""
    if "/" not in name or name.startswith("requests."):
        return False
    prefix = name.split("/", 1)[0]
    return not (prefix == "kubernetes.io" or prefix.endswith(".kubernetes.io"))


def validate_extenders(extenders: list[Extender]) -> None:
    """What kube-scheduler's validation checks of ``extenders``."""
    binders = 0
    managed: set[str] = set()
    for i, extender in enumerate(extenders):
        path = f"extenders[{i}]"
        if not extender.url_prefix:
            raise _invalid("urlPrefix is required", f"{path}.urlPrefix")
        if extender.prioritize_verb and extender.weight <= 0:
            raise _invalid("must have a positive weight applied to it", f"{path}.weight")
        if extender.bind_verb:
            binders += 1
        for j, resource in enumerate(extender.managed_resources):
            rpath = f"{path}.managedResources[{j}].name"
            name = str((resource or {}).get("name", ""))
            if not _is_extended_resource(name):
                raise _invalid("is an invalid extended resource name", rpath)
            if name in managed:
                raise _invalid("duplicate extender managed resource name", rpath)
            managed.add(name)
        if extender.http_timeout is not None:
            from ...timeutil import parse_duration

            parse_duration(extender.http_timeout, field=f"{path}.httpTimeout")
    if binders > 1:
        raise _invalid("only one extender can implement bind", "extenders")


_MAX_TOTAL_SCORE = 2**63 - 1
_MAX_NODE_SCORE = 100


def _range(value: Any, low: int, high: int | None, path: str, text: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid("must be an integer", path)
    if value < low or (high is not None and value > high):
        raise _invalid(f"not in valid range {text}", path)


def _validate_resources(resources: Any, path: str, *, balanced: bool) -> None:
    seen: set[str] = set()
    for i, resource in enumerate(resources or ()):
        name = str((resource or {}).get("name", ""))
        if name in seen:
            raise _invalid(f"Duplicate value: {name!r}", f"{path}[{i}].name")
        seen.add(name)
        weight = (resource or {}).get("weight", 0 if not balanced else 1)
        if balanced:
            if weight != 1:
                raise _invalid("must be 1", f"{path}[{i}].weight")
        else:
            _range(weight, 1, 100, f"{path}[{i}].weight", "[1, 100]")


def _validate_args(name: str, args: dict[str, Any], path: str) -> None:
    """``validation_pluginargs.go`` (and NodeResourcesFit's own check in ``NewFit``)."""
    if name == "DefaultPreemption":
        percentage = args.get("minCandidateNodesPercentage", 10)
        absolute = args.get("minCandidateNodesAbsolute", 100)
        _range(percentage, 0, 100, f"{path}.minCandidateNodesPercentage", "[0, 100]")
        _range(absolute, 0, None, f"{path}.minCandidateNodesAbsolute", "[0, inf)")
        if percentage == 0 and absolute == 0:
            raise _invalid(
                "cannot be zero at the same time as minCandidateNodesAbsolute",
                f"{path}.minCandidateNodesPercentage",
            )
    elif name == "InterPodAffinity":
        _range(
            args.get("hardPodAffinityWeight", 1),
            0,
            100,
            f"{path}.hardPodAffinityWeight",
            "[0, 100]",
        )
    elif name == "VolumeBinding":
        timeout = args.get("bindTimeoutSeconds", 600)
        if not isinstance(timeout, int) or timeout < 0:
            raise _invalid(
                "invalid BindTimeoutSeconds, should not be a negative value",
                f"{path}.bindTimeoutSeconds",
            )
    elif name == "NodeResourcesBalancedAllocation":
        _validate_resources(args.get("resources"), f"{path}.resources", balanced=True)
    elif name == "NodeResourcesFit":
        strategy = args.get("scoringStrategy") or {}
        spath = f"{path}.scoringStrategy"
        kind = strategy.get("type", "LeastAllocated")
        if kind not in ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"):
            raise _invalid(f"Unsupported value: {kind!r}", f"{spath}.type")
        _validate_resources(strategy.get("resources"), f"{spath}.resources", balanced=False)
        if kind == "RequestedToCapacityRatio":
            shape = (strategy.get("requestedToCapacityRatio") or {}).get("shape")
            shape_path = f"{spath}.requestedToCapacityRatio.shape"
            if not shape:
                raise _invalid("at least one point must be specified", shape_path)
            previous = None
            for i, point in enumerate(shape):
                utilization = (point or {}).get("utilization", 0)
                score = (point or {}).get("score", 0)
                _range(utilization, 0, 100, f"{shape_path}[{i}].utilization", "[0, 100]")
                _range(score, 0, 10, f"{shape_path}[{i}].score", "[0, 10]")
                if previous is not None and utilization <= previous:
                    raise _invalid(
                        "utilization values must be sorted in increasing order",
                        f"{shape_path}[{i}].utilization",
                    )
                previous = utilization
    elif name == "PodTopologySpread":
        defaulting = args.get("defaultingType", "System")
        if defaulting not in ("System", "List"):
            raise _invalid(f"Unsupported value: {defaulting!r}", f"{path}.defaultingType")
        constraints = args.get("defaultConstraints") or []
        if defaulting == "System" and constraints:
            raise _invalid('when .defaultingType is "System"', f"{path}.defaultConstraints")
        seen: set[tuple[str, str]] = set()
        for i, c in enumerate(constraints):
            cpath = f"{path}.defaultConstraints[{i}]"
            _range((c or {}).get("maxSkew", 0), 1, None, f"{cpath}.maxSkew", "(0, inf)")
            key = str((c or {}).get("topologyKey") or "")
            if not key:
                raise _invalid("Required value", f"{cpath}.topologyKey")
            when = (c or {}).get("whenUnsatisfiable")
            if when not in ("DoNotSchedule", "ScheduleAnyway"):
                raise _invalid(f"Unsupported value: {when!r}", f"{cpath}.whenUnsatisfiable")
            if (key, str(when)) in seen:
                raise _invalid("Duplicate value", cpath)
            seen.add((key, str(when)))
            if (c or {}).get("labelSelector") is not None:
                raise _invalid(
                    "constraint must not define a selector, as they deduced for each pod",
                    f"{cpath}.labelSelector",
                )
    elif name == "NodeAffinity":
        added = args.get("addedAffinity") or {}
        for i, term in enumerate(
            added.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
        ):
            _range(
                (term or {}).get("weight", 0),
                1,
                100,
                f"{path}.addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}].weight",
                "[1, 100]",
            )


def validate_configuration(config: SchedulerConfiguration) -> None:
    """``ValidateKubeSchedulerConfiguration`` for what the simulator applies (profiles,
    percentages, plugin args, extenders); raises ``BadRequestError`` naming the field."""
    if config.percentage_of_nodes_to_score is not None:
        _range(config.percentage_of_nodes_to_score, 0, 100, "percentageOfNodesToScore", "[0-100]")
    if not config.profiles:
        raise _invalid("Required value", "profiles")
    names: dict[str, int] = {}
    queue_sort = (config.profiles[0].plugins or Plugins()).queue_sort
    for i, profile in enumerate(config.profiles):
        path = f"profiles[{i}]"
        name = DEFAULT_SCHEDULER_NAME if profile.scheduler_name is None else profile.scheduler_name
        if not name:
            raise _invalid("Required value", f"{path}.schedulerName")
        if i and (profile.plugins or Plugins()).queue_sort != queue_sort:
            raise _invalid("must be the same for all profiles", f"{path}.plugins.queueSort")
        if name in names:
            raise _invalid(
                f"Duplicate value: profiles[{names[name]}].schedulerName", f"{path}.schedulerName"
            )
        names[name] = i
        if profile.percentage_of_nodes_to_score is not None:
            _range(
                profile.percentage_of_nodes_to_score,
                0,
                100,
                f"{path}.percentageOfNodesToScore",
                "[0-100]",
            )
        seen: set[str] = set()
        for j, plugin_config in enumerate(profile.plugin_config):
            cpath = f"{path}.pluginConfig[{j}]"
            if plugin_config.name in seen:
                raise _invalid(f"Duplicate value: {plugin_config.name!r}", cpath)
            seen.add(plugin_config.name)
            if not isinstance(plugin_config.args, dict):
                raise _invalid("has to match plugin args", f"{cpath}.args")
            _validate_args(plugin_config.name, plugin_config.args, f"{cpath}.args")
        total = 0
        plugins = profile.plugins or Plugins()
        counted: set[str] = set()
        for plugin in [*plugins.score.enabled, *plugins.multi_point.enabled]:
            if plugin.name in counted or "score" not in PLUGIN_EXTENSION_POINTS.get(
                plugin.name, frozenset()
            ):
                continue
            counted.add(plugin.name)
            weight = plugin.weight or 1
            if weight < 0:
                raise _invalid("weight must not be negative", f"{path}.plugins.score")
            if weight * _MAX_NODE_SCORE > _MAX_TOTAL_SCORE - total:
                raise _invalid("total score of Score plugins could overflow", f"{path}.plugins")
            total += weight * _MAX_NODE_SCORE
    validate_extenders(config.extenders)


def resolve_profile(profile: SchedulerProfile, index: int = 0) -> ResolvedProfile:
    """Expand a defaulted profile into per-extension-point plugin lists, as the framework does.

    Raises ``BadRequestError`` for unknown plugins, double registrations or bad weights.
    """
    plugins = profile.plugins or Plugins()
    base = f"profiles[{index}].plugins"
    for point in (*EXTENSION_POINTS, "multi_point"):
        for i, plugin in enumerate(getattr(plugins, point).enabled):
            path = f"{base}.{_camel(point)}.enabled[{i}]"
            if plugin.name not in PLUGIN_EXTENSION_POINTS:
                raise _invalid(f"plugin {plugin.name!r} does not exist", path)
            if point != "multi_point" and point not in PLUGIN_EXTENSION_POINTS[plugin.name]:
                raise _invalid(f"plugin {plugin.name!r} does not extend {_camel(point)}", path)
            if plugin.weight is not None and plugin.weight < 0:
                raise _invalid("weight must not be negative", path + ".weight")
    points: dict[str, tuple[str, ...]] = {}
    for point in EXTENSION_POINTS:
        plugin_set: PluginSet = getattr(plugins, point)
        explicit = [p.name for p in plugin_set.enabled]
        if len(set(explicit)) != len(explicit):
            raise _invalid("a plugin is enabled twice", f"{base}.{_camel(point)}.enabled")
        disabled = {p.name for p in plugin_set.disabled}
        if "*" in disabled:
            points[point] = tuple(explicit)
            continue
        overrides: list[str] = []
        multi: list[str] = []
        for plugin in plugins.multi_point.enabled:
            if point not in PLUGIN_EXTENSION_POINTS[plugin.name] or plugin.name in disabled:
                continue
            if plugin.name in explicit:
                overrides.append(plugin.name)
                continue
            if plugin.name in multi:
                raise _invalid(
                    f"plugin {plugin.name!r} already registered as {_camel(point)}",
                    f"{base}.multiPoint.enabled",
                )
            multi.append(plugin.name)
        ordered = overrides + multi + [n for n in explicit if n not in overrides]
        points[point] = tuple(ordered)
    weights: dict[str, int] = {}
    for plugin in [*plugins.score.enabled, *plugins.multi_point.enabled]:
        if "score" in PLUGIN_EXTENSION_POINTS[plugin.name] and plugin.name not in weights:
            weights[plugin.name] = plugin.weight or 1
    if not points.get("queue_sort"):
        raise _invalid("no queue sort plugin is enabled", f"{base}.queueSort")
    if not points.get("bind"):
        raise _invalid("no bind plugin is enabled", f"{base}.bind")
    args: dict[str, dict[str, Any]] = {}
    for i, config in enumerate(profile.plugin_config):
        if config.name not in PLUGIN_EXTENSION_POINTS:
            raise _invalid(
                f"plugin {config.name!r} does not exist",
                f"profiles[{index}].pluginConfig[{i}].name",
            )
        args[config.name] = config.args
    return ResolvedProfile(
        scheduler_name=profile.scheduler_name or DEFAULT_SCHEDULER_NAME,
        points=points,
        weights=weights,
        args=args,
        percentage_of_nodes_to_score=profile.percentage_of_nodes_to_score,
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def config_from_dict(data: Any) -> SchedulerConfiguration:
    """Parse a v1 ``KubeSchedulerConfiguration`` document; unknown fields are errors."""
    from ...serde import kube_converter, structure as _structure

    if isinstance(data, dict):
        api_version = data.get("apiVersion")
        if api_version not in (None, API_VERSION):
            raise _invalid(
                f"unsupported apiVersion {api_version!r}; use {API_VERSION}", "apiVersion"
            )
        kind = data.get("kind")
        if kind not in (None, "KubeSchedulerConfiguration"):
            raise _invalid(f"unsupported kind {kind!r}", "kind")
    return _structure(
        data, SchedulerConfiguration, what="scheduler configuration", converter=kube_converter
    )


def config_to_dict(config: SchedulerConfiguration) -> dict[str, Any]:
    from ...serde import kube_converter

    data: dict[str, Any] = kube_converter.unstructure(config)
    return data


_OLDER_VERSIONS = (
    "kubescheduler.config.k8s.io/v1beta3",
    "kubescheduler.config.k8s.io/v1beta2",
    "kubescheduler.config.k8s.io/v1beta1",
)


def lenient_config(data: Any) -> tuple[dict[str, Any], list[str]]:
    """An exported configuration made acceptable to ``config_from_dict``, as the real
    simulator's non-strict decoding reads it: an older ``apiVersion`` (v1beta1 to v1beta3) is
    read as v1, and fields that v1 dropped (``healthzBindAddress``, ``metricsBindAddress``,
    …) are dropped. Returns the document and one warning per change; what is wrong, not
    merely old (an unknown plugin, a bad value), is still refused by the strict parse."""
    if not isinstance(data, dict):
        return data, []
    out = dict(data)
    warnings: list[str] = []
    api_version = out.get("apiVersion")
    if api_version in _OLDER_VERSIONS:
        warnings.append(f"apiVersion {api_version} was read as {API_VERSION}")
        out["apiVersion"] = API_VERSION
    known = {_camel(a.name) for a in attrs.fields(SchedulerConfiguration)}
    for key in sorted(set(out) - known):
        del out[key]
        warnings.append(f"{key}: not a field of {API_VERSION}; dropped")
    profile_known = {_camel(a.name) for a in attrs.fields(SchedulerProfile)}
    profiles = out.get("profiles")
    if isinstance(profiles, list):
        cleaned = []
        for i, profile in enumerate(profiles):
            if isinstance(profile, dict):
                profile = dict(profile)
                for key in sorted(set(profile) - profile_known):
                    del profile[key]
                    warnings.append(f"profiles[{i}].{key}: not a field of {API_VERSION}; dropped")
            cleaned.append(profile)
        out["profiles"] = cleaned
    return out, warnings
