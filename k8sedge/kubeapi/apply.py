"""Server-side apply and the ``managedFields`` of every write, as kube-apiserver's field
manager (structured-merge-diff) does them.

- ``apply``: the applied configuration is merged into the live object (associative lists by
  their keys, sets by value, atomic lists and maps whole); fields this manager applied before
  and no longer applies are removed unless another manager owns them; a field whose value
  changes while another manager owns it is a conflict (409, upstream's message) unless
  ``force`` takes it over. The manager's ``Apply`` entry then owns exactly what it applied.
- ``track_update``: a create, replace or patch makes its manager (``Update``) own what it
  added or changed; other managers lose those fields.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from ..errors import ConflictError
from .fields import (
    Path,
    field_set,
    from_fields_v1,
    item_element,
    kind_schema,
    list_keys,
    path_string,
    remove_at,
    to_fields_v1,
    value_at,
)
from .schema import resolve

__all__ = ["apply", "track_update"]

Entry = dict[str, Any]


def _entries(obj: dict[str, Any]) -> list[Entry]:
    managed = (obj.get("metadata") or {}).get("managedFields")
    return [dict(e) for e in managed or () if isinstance(e, dict)]


def _identity(entry: Entry) -> tuple[str, str, str]:
    return (
        str(entry.get("manager", "")),
        str(entry.get("operation", "")),
        str(entry.get("subresource", "")),
    )


def _entry(
    manager: str, operation: str, api_version: str, now: str, fields: set[Path], sub: str
) -> Entry:
    entry: Entry = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": to_fields_v1(fields),
    }
    if sub:
        entry["subresource"] = sub
    return entry


def _store(obj: dict[str, Any], entries: list[tuple[Entry, set[Path]]], mine: Entry | None) -> None:
    kept: list[Entry] = []
    for entry, fields in entries:
        if fields:
            kept.append({**entry, "fieldsV1": to_fields_v1(fields)})
    if mine is not None:
        kept.append(mine)
    obj.setdefault("metadata", {})["managedFields"] = kept


def track_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    now: str,
    subresource: str | None = None,
) -> None:
    """Record an ``Update`` by ``manager`` in ``new``'s ``managedFields`` (in place)."""
    api_version, kind = str(new.get("apiVersion") or ""), str(new.get("kind") or "")
    schema = kind_schema(api_version, kind)
    scope = "status" if subresource == "status" else "main"
    new_set = field_set(new, schema, scope)
    old_set = field_set(old, schema, scope) if old is not None else {}
    changed = {p for p in new_set if p not in old_set}
    for path, leaf in new_set.items():
        if leaf and path in old_set:
            before, after = value_at(old, path, schema)[1], value_at(new, path, schema)[1]
            if before != after:
                changed.add(path)
    removed = set(old_set) - set(new_set)
    me = (manager, "Update", subresource or "")
    entries: list[tuple[Entry, set[Path]]] = []
    mine: set[Path] = set()
    for entry in _entries(old or new):
        fields = from_fields_v1(entry.get("fieldsV1"))
        if _identity(entry) == me:
            mine = fields
            continue
        entries.append((entry, fields - changed - removed))
    owned = (mine | changed) - removed
    own = _entry(manager, "Update", api_version, now, owned, subresource or "") if owned else None
    _store(new, entries, own)


def _merge(live: Any, config: Any, schema: dict[str, Any]) -> Any:
    schema = resolve(schema)
    if isinstance(config, dict) and isinstance(live, dict):
        if schema.get("x-kubernetes-map-type") == "atomic":
            return copy.deepcopy(config)
        out = dict(live)
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, value in config.items():
            sub = properties.get(key) if key in properties else extra
            out[key] = _merge(live.get(key), value, sub if isinstance(sub, dict) else {})
        return out
    if isinstance(config, list) and isinstance(live, list):
        keys = list_keys(schema)
        if keys is None:
            return copy.deepcopy(config)
        item_schema = resolve(schema.get("items") or {})
        merged = list(live)
        index = {item_element(item, keys, schema): i for i, item in enumerate(merged)}
        for item in config:
            element = item_element(item, keys, schema)
            if element in index:
                merged[index[element]] = _merge(merged[index[element]], item, item_schema)
            else:
                index[element] = len(merged)
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(config)


def _manager_label(entry: Entry) -> str:
    label = orjson.dumps(str(entry.get("manager", ""))).decode()
    if entry.get("subresource"):
        label += f' with subresource "{entry["subresource"]}"'
    if entry.get("operation") == "Update":
        label += f" using {entry.get('apiVersion', '')}"
        if entry.get("time"):
            label += f" at {entry['time']}"
    return label


def _conflict(conflicts: list[tuple[Entry, Path]], plural: str, name: str) -> ConflictError:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {_manager_label(entry)}",
            "field": path_string(path),
        }
        for entry, path in conflicts
    ]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {_manager_label(entry)}: "
            f"{path_string(path)}"
        )
    else:
        by_manager: dict[str, list[Path]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(_manager_label(entry), []).append(path)
        lines = []
        for label in sorted(by_manager):
            lines.append(f"conflicts with {label}:")
            lines += [f"- {path_string(p)}" for p in by_manager[label]]
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return ConflictError(
        message, {"reason": "Conflict", "kind": plural, "name": name, "causes": causes}
    )


def apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    manager: str,
    now: str,
    *,
    force: bool,
    plural: str,
    subresource: str | None = None,
) -> dict[str, Any]:
    """The object after ``manager`` applies ``config`` to ``live`` (``None``: create);
    ``ConflictError`` (409) for fields other managers own, unless ``force``."""
    api_version, kind = str(config.get("apiVersion") or ""), str(config.get("kind") or "")
    schema = kind_schema(api_version, kind)
    scope = "status" if subresource == "status" else "main"
    applied = field_set(config, schema, scope)
    base = copy.deepcopy(live) if live is not None else {}
    merged = _merge(base, config, schema)
    me = (manager, "Apply", subresource or "")
    entries = [(e, from_fields_v1(e.get("fieldsV1"))) for e in _entries(base)]
    before = next((f for e, f in entries if _identity(e) == me), set())
    others = [(e, f) for e, f in entries if _identity(e) != me]
    conflicts: list[tuple[Entry, Path]] = []
    modified: set[Path] = set()
    for path, leaf in applied.items():
        if not leaf or live is None:
            continue
        found, current = value_at(live, path, schema)
        if found and current != value_at(config, path, schema)[1]:
            modified.add(path)
    for entry, fields in others:
        conflicts += [(entry, p) for p in sorted(fields & modified)]
    if conflicts and not force:
        raise _conflict(conflicts, plural, str((config.get("metadata") or {}).get("name", "")))
    others = [(e, f - modified) for e, f in others] if force else others
    owned_elsewhere: set[Path] = set().union(*(f for _, f in others)) if others else set()
    for path in sorted(before - set(applied) - owned_elsewhere, key=len, reverse=True):
        remove_at(merged, path, schema)
    _store(
        merged, others, _entry(manager, "Apply", api_version, now, set(applied), subresource or "")
    )
    return dict(merged)
