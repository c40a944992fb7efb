"""Field sets and ``managedFields``, as structured-merge-diff computes them for the API server.

A field set is a set of paths; a path element is ``f:<field>``, ``k:<json of key fields>``
(an item of an associative list: ``x-kubernetes-list-type: map``, or a strategic-merge key),
or ``v:<json value>`` (an item of a set). What a set holds follows SMD's ``ToFieldSet``:
scalars, atomic lists and maps, associative list items, map keys. ``managedFields`` records
which manager (and operation: ``Apply`` or ``Update``) owns each field; they are kept
in ``FieldsV1`` form (a trie of path elements, ``.`` for a node that is itself a member).
"""

from __future__ import annotations

from typing import Any

import orjson

from .schema import definitions, kind_definition, resolve

__all__ = [
    "Path",
    "field_set",
    "from_fields_v1",
    "path_string",
    "to_fields_v1",
    "value_at",
]

Path = tuple[str, ...]
# fields the API server owns, never tracked per manager (SMD's stripped metadata)
_STRIPPED = {
    ("f:apiVersion",),
    ("f:kind",),
    ("f:metadata", "f:name"),
    ("f:metadata", "f:namespace"),
    ("f:metadata", "f:uid"),
    ("f:metadata", "f:resourceVersion"),
    ("f:metadata", "f:generation"),
    ("f:metadata", "f:creationTimestamp"),
    ("f:metadata", "f:selfLink"),
    ("f:metadata", "f:managedFields"),
    ("f:metadata", "f:deletionTimestamp"),
    ("f:metadata", "f:deletionGracePeriodSeconds"),
}


def kind_schema(api_version: str, kind: str) -> dict[str, Any]:
    """The schema of a kind (``{}`` for a kind without one: every field granular)."""
    name = kind_definition(api_version, kind)
    return definitions()[name] if name else {}


def _child(schema: dict[str, Any], key: str) -> tuple[dict[str, Any] | None, bool]:
    """The schema of ``key`` in an object, and whether ``key`` is a declared field."""
    properties = schema.get("properties")
    if isinstance(properties, dict) and key in properties:
        return resolve(properties[key]), True
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return resolve(extra), False
    return None, False


def list_keys(schema: dict[str, Any]) -> list[str] | None:
    """The key fields of an associative list, ``[]`` for a set, ``None`` if atomic."""
    kind = schema.get("x-kubernetes-list-type")
    if kind == "map":
        return list(schema.get("x-kubernetes-list-map-keys") or [])
    if kind == "set":
        return []
    if kind is None and "merge" in str(schema.get("x-kubernetes-patch-strategy") or ""):
        key = schema.get("x-kubernetes-patch-merge-key")
        return [key] if key else []
    return None


def item_element(item: Any, keys: list[str], schema: dict[str, Any]) -> str:
    """The path element of a list item (``k:{...}`` or ``v:...``)."""
    if not keys or not isinstance(item, dict):
        return "v:" + orjson.dumps(item, option=orjson.OPT_SORT_KEYS).decode()
    item_schema = resolve(schema.get("items") or {})
    values = {}
    for key in keys:
        if key in item:
            values[key] = item[key]
        else:
            default = resolve(((item_schema.get("properties") or {}).get(key)) or {}).get("default")
            if default is not None:
                values[key] = default
    return "k:" + orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()


def field_set(obj: Any, schema: dict[str, Any], scope: str = "main") -> dict[Path, bool]:
    """Every path of ``obj`` a manager can own -> whether it is a leaf (a value compared as a
    whole). ``scope``: ``main`` leaves ``status`` out, ``status`` keeps only ``status``."""
    out: dict[Path, bool] = {}
    _walk(obj, resolve(schema), (), out)
    kept: dict[Path, bool] = {}
    for path, leaf in out.items():
        if path[:2] in _STRIPPED or path[:1] in _STRIPPED or not path:
            continue
        if (scope == "status") != (path[0] == "f:status"):
            continue
        kept[path] = leaf
    return kept


def _walk(value: Any, schema: dict[str, Any], path: Path, out: dict[Path, bool]) -> None:
    if isinstance(value, dict):
        if schema.get("x-kubernetes-map-type") == "atomic":
            out[path] = True
            return
        for key, item in value.items():
            sub, declared = _child(schema, key)
            here = (*path, f"f:{key}")
            _walk(item, sub or {}, here, out)
            if item is None or (isinstance(item, dict) and not item) or not declared:
                out.setdefault(here, not isinstance(item, dict) or not item)
        return
    if isinstance(value, list):
        keys = list_keys(schema)
        if keys is None:
            out[path] = True
            return
        item_schema = resolve(schema.get("items") or {})
        for item in value:
            here = (*path, item_element(item, keys, schema))
            if keys and isinstance(item, dict):
                _walk(item, item_schema, here, out)
                out.setdefault(here, False)
            else:
                out[here] = True
        return
    out[path] = True


def value_at(obj: Any, path: Path, schema: dict[str, Any]) -> tuple[bool, Any]:
    """``(found, value)`` at ``path`` in ``obj``."""
    node, current = obj, resolve(schema)
    for element in path:
        if element.startswith("f:"):
            if not isinstance(node, dict) or element[2:] not in node:
                return False, None
            node = node[element[2:]]
            current = _child(current, element[2:])[0] or {}
        else:
            if not isinstance(node, list):
                return False, None
            keys = list_keys(current) or []
            match = [i for i in node if item_element(i, keys, current) == element]
            if not match:
                return False, None
            node, current = match[0], resolve(current.get("items") or {})
    return True, node


def remove_at(obj: Any, path: Path, schema: dict[str, Any]) -> None:
    """Delete what ``path`` names from ``obj`` (in place), if it is there."""
    if not path:
        return
    found, parent = value_at(obj, path[:-1], schema)
    if not found:
        return
    last = path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif isinstance(parent, list):
        _, parent_schema = _schema_at(schema, path[:-1])
        keys = list_keys(parent_schema) or []
        parent[:] = [i for i in parent if item_element(i, keys, parent_schema) != last]


def _schema_at(schema: dict[str, Any], path: Path) -> tuple[bool, dict[str, Any]]:
    current = resolve(schema)
    for element in path:
        if element.startswith("f:"):
            current = _child(current, element[2:])[0] or {}
        else:
            current = resolve(current.get("items") or {})
    return True, current


def to_fields_v1(paths: set[Path] | dict[Path, bool]) -> dict[str, Any]:
    """A field set as ``FieldsV1`` JSON."""
    root: dict[str, Any] = {}
    members: set[Path] = set(paths)
    for path in sorted(members):
        node = root
        for element in path:
            node = node.setdefault(element, {})
    for path in members:
        node = root
        for element in path:
            node = node[element]
        if node and "." not in node:
            node["."] = {}
    return root


def from_fields_v1(fields: Any, prefix: Path = ()) -> set[Path]:
    """``FieldsV1`` JSON as a field set."""
    out: set[Path] = set()
    if not isinstance(fields, dict):
        return out
    for key, sub in fields.items():
        if key == ".":
            out.add(prefix)
        elif isinstance(sub, dict) and sub:
            out |= from_fields_v1(sub, (*prefix, key))
        else:
            out.add((*prefix, key))
    return out


def path_string(path: Path) -> str:
    """SMD's ``Path.String()``: ``.spec.containers[name="c"].image``."""
    out = ""
    for element in path:
        kind, rest = element[:2], element[2:]
        if kind == "f:":
            out += "." + rest
        elif kind == "k:":
            keys = orjson.loads(rest)
            out += "[" + ",".join(f"{k}={orjson.dumps(v).decode()}" for k, v in keys.items()) + "]"
        else:
            out += f"[={rest}]"
    return out
