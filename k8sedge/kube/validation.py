"""Validation of Kubernetes objects before anything is stored, as the API server does.

Names are DNS-1123 subdomains (upper case accepted, and namespaces are subdomains rather than
the API server's labels, as kube-scheduler's test cases use both: "nodeA", "subteam1.team1"),
label keys and values
and annotations follow apimachinery's rules, every field the cluster reads has the right
type (checked by reading the object the way the scheduler and the controllers will), and
workload kinds have a selector that matches their template and replicas within the cluster's
``Limits``. A refusal is ``InvalidError`` (HTTP 422 ``Invalid`` on the facade, 400 on the
documented APIs) whose ``details["causes"]`` name each field, as a ``Status`` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..errors import BadRequestError
from ..limits import INT32_MAX, Limits
from .kinds import KindInfo, kind_info

__all__ = ["InvalidError", "check_api_server_names", "validate_object"]

# Names may hold upper-case letters, which the API server refuses: kube-scheduler's own test
# cases (and simulator scenarios written from them) name nodes "nodeA", "machine1".
_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?"
_DNS_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
# what the API server itself accepts (the Kubernetes facade holds names to it)
_LOWER_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_STRICT_LABEL = re.compile(rf"^{_LOWER_LABEL}$")
_STRICT_SUBDOMAIN = re.compile(rf"^{_LOWER_LABEL}(\.{_LOWER_LABEL})*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_MAX_ANNOTATIONS = 256 * 1024
_WORKLOADS = ("deployments", "replicasets", "statefulsets", "daemonsets", "jobs")


class InvalidError(BadRequestError):
    """An object the API server would refuse; ``causes`` lists ``(field, message)``."""

    def __init__(self, info: KindInfo, name: str, causes: list[tuple[str, str]]) -> None:
        shown = ", ".join(f"{field}: {message}" for field, message in causes[:5])
        super().__init__(
            f'{info.kind} "{name}" is invalid: {shown}',
            {
                **{field: message for field, message in causes},
                "kind": info.kind,
                "name": name,
                "causes": [
                    {"reason": "FieldValueInvalid", "message": message, "field": field}
                    for field, message in causes
                ],
            },
        )
        self.causes = causes


def _dns_problem(value: str) -> str | None:
    if len(value) > 253:
        return f"Invalid value: {value[:80]!r}: must be no more than 253 characters"
    if not _DNS_SUBDOMAIN.match(value):
        return (
            f"Invalid value: {value[:80]!r}: an RFC 1123 subdomain must consist of alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character"
        )
    return None


def _qualified_name_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or _dns_problem(prefix)):
        return f"Invalid value: {key[:80]!r}: prefix part must be a DNS-1123 subdomain"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (
            f"Invalid value: {key[:80]!r}: name part must consist of alphanumeric characters, "
            "'-', '_' or '.', start and end with an alphanumeric character, and be at most "
            "63 characters"
        )
    return None


def _label_value_problem(value: str) -> str | None:
    if value and (len(value) > 63 or not _QUALIFIED_NAME.match(value)):
        return (
            f"Invalid value: {value[:80]!r}: a valid label must be an empty string or consist "
            "of alphanumeric characters, '-', '_' or '.', start and end with an alphanumeric "
            "character, and be at most 63 characters"
        )
    return None


def _string_map(value: Any, field: str) -> Iterator[tuple[str, str]]:
    if not isinstance(value, dict):
        yield field, "must be an object of strings"
        return
    for key, item in value.items():
        if not isinstance(item, str):
            yield f"{field}[{key}]", "must be a string"


def _metadata(info: KindInfo, obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    metadata = obj.get("metadata")
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        yield "metadata", "must be an object"
        return
    for key in ("name", "generateName", "namespace", "resourceVersion", "uid"):
        value = metadata.get(key)
        if value is not None and not isinstance(value, str):
            yield f"metadata.{key}", "must be a string"
    name = metadata.get("name")
    if isinstance(name, str) and name:
        problem = _dns_problem(name)
        if problem:
            yield "metadata.name", problem
    namespace = metadata.get("namespace")
    if info.namespaced and isinstance(namespace, str) and namespace:
        problem = _dns_problem(namespace)
        if problem:
            yield "metadata.namespace", problem
    labels = metadata.get("labels")
    if labels is not None:
        problems = list(_string_map(labels, "metadata.labels"))
        yield from problems
        if not problems:
            for key, value in labels.items():
                problem = _qualified_name_problem(key) or _label_value_problem(value)
                if problem:
                    yield f"metadata.labels[{key[:80]}]", problem
    annotations = metadata.get("annotations")
    if annotations is not None:
        problems = list(_string_map(annotations, "metadata.annotations"))
        yield from problems
        if not problems:
            size = 0
            for key, value in annotations.items():
                size += len(key) + len(value)
                problem = _qualified_name_problem(key)
                if problem:
                    yield f"metadata.annotations[{key[:80]}]", problem
            if size > _MAX_ANNOTATIONS:
                yield "metadata.annotations", f"Too long: at most {_MAX_ANNOTATIONS} bytes"
    finalizers = metadata.get("finalizers")
    if finalizers is not None and (
        not isinstance(finalizers, list) or not all(isinstance(f, str) for f in finalizers)
    ):
        yield "metadata.finalizers", "must be an array of strings"
    owners = metadata.get("ownerReferences")
    if owners is not None and (
        not isinstance(owners, list) or not all(isinstance(o, dict) for o in owners)
    ):
        yield "metadata.ownerReferences", "must be an array of objects"


def _objects(obj: dict[str, Any], *fields: str) -> Iterator[tuple[str, str]]:
    for field in fields:
        value = obj.get(field)
        if value is not None and not isinstance(value, dict):
            yield field, "must be an object"


def _count(spec: dict[str, Any], field: str, path: str, cap: int) -> Iterator[tuple[str, str]]:
    value = spec.get(field)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        yield path, "must be an integer"
    elif value < 0:
        yield path, "must be greater than or equal to 0"
    elif value > min(cap, INT32_MAX):
        yield path, f"must be less than or equal to {min(cap, INT32_MAX)} (the server's cap)"


def _reads(field: str, read: Any, *args: Any) -> Iterator[tuple[str, str]]:
    """Read the object as the cluster will; a wrong type anywhere is a cause, not a crash."""
    try:
        read(*args)
    except BadRequestError as exc:
        yield field, exc.message
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        yield field, f"Invalid value: {type(exc).__name__}: {str(exc)[:200]}"


def _pod_spec(spec: Any, field: str) -> Iterator[tuple[str, str]]:
    from .translate import pod_request

    if spec is None:
        return
    if not isinstance(spec, dict):
        yield field, "must be an object"
        return
    for key in ("containers", "initContainers", "tolerations", "volumes"):
        items = spec.get(key)
        if items is not None and (
            not isinstance(items, list) or not all(isinstance(i, dict) for i in items)
        ):
            yield f"{field}.{key}", "must be an array of objects"
            return
    for key in ("nodeSelector", "overhead", "affinity"):
        if spec.get(key) is not None and not isinstance(spec[key], dict):
            yield f"{field}.{key}", "must be an object"
            return
    if spec.get("nodeSelector") is not None:
        yield from _string_map(spec["nodeSelector"], f"{field}.nodeSelector")
    for key in ("nodeName", "schedulerName", "priorityClassName", "hostname"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            yield f"{field}.{key}", "must be a string"
    priority = spec.get("priority")
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
        yield f"{field}.priority", "must be an integer"
    yield from _reads(field, pod_request, {"metadata": {}, "spec": spec})


def _selector_matches(selector: Any, labels: dict[str, Any]) -> bool:
    from .translate import label_selector

    parsed = label_selector(selector)
    return parsed is None or parsed.matches(labels)


def _workload(plural: str, spec: dict[str, Any], limits: Limits) -> Iterator[tuple[str, str]]:
    from .translate import label_selector

    if plural == "jobs":
        yield from _count(spec, "parallelism", "spec.parallelism", limits.max_replicas)
        yield from _count(spec, "completions", "spec.completions", limits.max_replicas)
    else:
        yield from _count(spec, "replicas", "spec.replicas", limits.max_replicas)
    template = spec.get("template")
    if template is not None and not isinstance(template, dict):
        yield "spec.template", "must be an object"
        return
    template = template or {}
    template_meta = template.get("metadata") or {}
    if not isinstance(template_meta, dict):
        yield "spec.template.metadata", "must be an object"
        return
    labels = template_meta.get("labels") or {}
    problems = list(_string_map(labels, "spec.template.metadata.labels"))
    yield from problems
    yield from _pod_spec(template.get("spec"), "spec.template.spec")
    selector = spec.get("selector")
    if plural == "jobs" and selector is None:
        return
    if selector is None:
        yield "spec.selector", "Required value"
        return
    if not isinstance(selector, dict):
        yield "spec.selector", "must be an object"
        return
    causes = list(_reads("spec.selector", label_selector, selector))
    yield from causes
    if causes or problems:
        return
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        yield "spec.selector", "Invalid value: empty selector is invalid for deployment"
    elif not _selector_matches(selector, labels):
        yield (
            "spec.template.metadata.labels",
            "Invalid value: `selector` does not match template `labels`",
        )


def _node(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    from .translate import node_allocatable, node_images, node_taints

    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if isinstance(spec, dict) and spec.get("taints") is not None:
        taints = spec["taints"]
        if not isinstance(taints, list) or not all(isinstance(t, dict) for t in taints):
            yield "spec.taints", "must be an array of objects"
            return
    if isinstance(status, dict):
        for key in ("capacity", "allocatable"):
            if status.get(key) is not None and not isinstance(status[key], dict):
                yield f"status.{key}", "must be an object"
                return
        images = status.get("images")
        if images is not None and (
            not isinstance(images, list) or not all(isinstance(i, dict) for i in images)
        ):
            yield "status.images", "must be an array of objects"
            return
    yield from _reads("status", node_allocatable, obj)
    yield from _reads("spec.taints", node_taints, obj)
    yield from _reads("status.images", node_images, obj)


def _volume(plural: str, obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    from ..engine.volumes import _storage, _terms

    spec = obj.get("spec") or {}
    if not isinstance(spec, dict):
        return
    for key in ("capacity", "resources", "nodeAffinity", "claimRef"):
        if spec.get(key) is not None and not isinstance(spec[key], dict):
            yield f"spec.{key}", "must be an object"
            return
    if plural == "persistentvolumes":
        yield from _reads("spec.nodeAffinity", _terms, obj)
        yield from _reads("spec.capacity", _storage, obj, "capacity")
    else:
        requests = (spec.get("resources") or {}).get("requests")
        if requests is not None and not isinstance(requests, dict):
            yield "spec.resources.requests", "must be an object"
            return
        yield from _reads("spec.resources", _storage, obj, "requests")
    modes = spec.get("accessModes")
    if modes is not None and (
        not isinstance(modes, list) or not all(isinstance(m, str) for m in modes)
    ):
        yield "spec.accessModes", "must be an array of strings"


def _causes(plural: str, obj: dict[str, Any], limits: Limits) -> Iterator[tuple[str, str]]:
    info = kind_info(plural)
    metadata_causes = list(_metadata(info, obj))
    yield from metadata_causes
    object_causes = list(_objects(obj, "spec", "status"))
    yield from object_causes
    if metadata_causes or object_causes:
        return
    for key in ("apiVersion", "kind"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            yield key, "must be a string"
    spec = obj.get("spec") or {}
    if plural == "pods":
        yield from _pod_spec(spec, "spec")
    elif plural in _WORKLOADS:
        yield from _workload(plural, spec, limits)
    elif plural == "nodes":
        yield from _node(obj)
    elif plural in ("persistentvolumes", "persistentvolumeclaims"):
        yield from _volume(plural, obj)
    elif plural in ("configmaps", "secrets"):
        for key in ("data", "stringData", "binaryData"):
            if obj.get(key) is not None:
                yield from _string_map(obj[key], key)
    elif plural in ("services", "poddisruptionbudgets", "cronjobs"):
        from .kindchecks import kind_causes

        yield from kind_causes(plural, obj)
    elif plural == "priorityclasses":
        value = obj.get("value", 0)
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > INT32_MAX:
            yield "value", "must be a 32-bit integer"


def check_api_server_names(plural: str, obj: Any) -> None:
    """Raise ``InvalidError`` for a name the API server refuses that the cluster accepts:
    upper case, or a namespace that is not an RFC 1123 label (ValidateObjectMeta's rules).
    The Kubernetes facade checks this; the SDK's lenient names serve scenarios written from
    kube-scheduler's own test cases."""
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(metadata, dict):
        return
    info = kind_info(plural)
    causes = []
    name = metadata.get("name")
    label = info.plural == "namespaces"
    if isinstance(name, str) and name:
        problem = _strict_problem(name, label)
        if problem:
            causes.append(("metadata.name", problem))
    namespace = metadata.get("namespace")
    if info.namespaced and isinstance(namespace, str) and namespace:
        problem = _strict_problem(namespace, label=True)
        if problem:
            causes.append(("metadata.namespace", problem))
    if causes:
        raise InvalidError(info, name if isinstance(name, str) else "", causes)


def _strict_problem(value: str, label: bool) -> str | None:
    limit, pattern, kind = (
        (63, _STRICT_LABEL, "label") if label else (253, _STRICT_SUBDOMAIN, "subdomain")
    )
    if len(value) <= limit and pattern.match(value):
        return None
    if len(value) > limit:
        return f"Invalid value: {value[:80]!r}: must be no more than {limit} characters"
    extra = "" if label else " or '.'"
    return (
        f"Invalid value: {value[:80]!r}: a lowercase RFC 1123 {kind} must consist of lower case "
        f"alphanumeric characters, '-'{extra}, and must start and end with an alphanumeric "
        "character"
    )


def validate_object(plural: str, obj: Any, limits: Limits | None = None) -> None:
    """Raise ``InvalidError`` (or ``BadRequestError`` for a body that is not an object) if
    ``obj`` may not be stored as a ``plural``."""
    info = kind_info(plural)
    if not isinstance(obj, dict):
        raise BadRequestError(f"a {info.kind} must be a JSON object", {"body": "not an object"})
    causes = list(_causes(info.plural, obj, limits or Limits()))
    if causes:
        metadata = obj.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        raise InvalidError(info, name if isinstance(name, str) else "", causes)
