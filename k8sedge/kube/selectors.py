"""Kubernetes label selectors (``=``, ``==``, ``!=``, ``in``, ``notin``, ``key``, ``!key``)
and field selectors (``metadata.name``, ``metadata.namespace``, ``spec.nodeName``, …)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import BadRequestError

__all__ = ["parse_field_selector", "parse_label_selector"]

Matcher = Callable[[dict[str, Any]], bool]
_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ = re.compile(r"^\s*([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([\w./-]+)\s*$")


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return parts


def _label_test(labels: dict[str, str], key: str, op: str, values: frozenset[str]) -> bool:
    if op == "in":
        return labels.get(key) in values
    if op == "notin":
        return labels.get(key) not in values
    if op == "=":
        return key in labels and labels[key] in values
    if op == "!=":
        return labels.get(key) not in values
    if op == "exists":
        return key in labels
    return key not in labels  # "!"


def parse_label_selector(text: str | None) -> Matcher:
    """A predicate over objects for a ``labelSelector`` string; bad syntax is 400."""
    if not text or not text.strip():
        return lambda obj: True
    requirements: list[tuple[str, str, frozenset[str]]] = []
    for part in _split(text):
        if m := _SET.match(part):
            key, op, raw = m.groups()
            values = frozenset(v.strip() for v in raw.split(",") if v.strip())
            requirements.append((key, op, values))
        elif m := _EQ.match(part):
            key, op, value = m.groups()
            requirements.append((key, "!=" if op == "!=" else "=", frozenset({value})))
        elif m := _EXISTS.match(part):
            negate, key = m.groups()
            requirements.append((key, "!" if negate else "exists", frozenset()))
        else:
            raise BadRequestError(
                f"unable to parse requirement: {part.strip()!r}", {"labelSelector": text}
            )

    def matches(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(_label_test(labels, key, op, values) for key, op, values in requirements)

    return matches


# boolean fields the API server selects on, with the value they have when absent
_BOOLEANS = {"spec.unschedulable": "false", "spec.hostNetwork": "false"}


def _field(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"  # as Go prints them (spec.unschedulable=true)
    return _BOOLEANS.get(path, "") if value is None else str(value)


def parse_field_selector(text: str | None) -> Matcher:
    """A predicate for a ``fieldSelector`` (``=``, ``==``, ``!=`` on dotted paths)."""
    if not text or not text.strip():
        return lambda obj: True
    requirements: list[tuple[str, bool, str]] = []
    for part in _split(text):
        m = re.match(r"^\s*([\w.]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if m is None:
            raise BadRequestError(
                f"invalid field selector {part.strip()!r}", {"fieldSelector": text}
            )
        path, op, value = m.groups()
        requirements.append((path, op != "!=", value))

    def matches(obj: dict[str, Any]) -> bool:
        return all((_field(obj, path) == value) == equal for path, equal, value in requirements)

    return matches
