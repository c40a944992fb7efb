"""Patches: JSON merge patch (RFC 7386), strategic merge for the common cases, JSON patch
(RFC 6902)."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import BadRequestError, ConflictError

__all__ = ["apply_patch", "json_patch", "merge_patch", "strategic_merge_patch"]

# list fields merged by a key, as the strategic merge patch does for the common kinds
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "volumes": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "tolerations": "key",
    "conditions": "type",
    "imagePullSecrets": "name",
}


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any, field: str | None = None) -> Any:
    if isinstance(patch, dict):
        result = dict(target) if isinstance(target, dict) else {}
        for key, value in patch.items():
            if key.startswith("$"):
                continue
            if value is None:
                result.pop(key, None)
            else:
                result[key] = strategic_merge_patch(result.get(key), value, key)
        return result
    if isinstance(patch, list) and field in _MERGE_KEYS and isinstance(target, list):
        key = _MERGE_KEYS[field]
        merged = [dict(item) if isinstance(item, dict) else item for item in target]
        for item in patch:
            if not isinstance(item, dict) or key not in item:
                merged.append(item)
                continue
            for i, existing in enumerate(merged):
                if isinstance(existing, dict) and existing.get(key) == item[key]:
                    if item.get("$patch") == "delete":
                        merged.pop(i)
                    else:
                        merged[i] = strategic_merge_patch(existing, item)
                    break
            else:
                if item.get("$patch") != "delete":
                    merged.append({k: v for k, v in item.items() if not k.startswith("$")})
        return merged
    return copy.deepcopy(patch)


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise BadRequestError(f"invalid JSON pointer {path!r}", {"path": path})
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, list):
            doc = doc[int(part)]
        elif isinstance(doc, dict):
            doc = doc[part]
        else:
            raise KeyError(part)
    return doc


def json_patch(doc: Any, operations: Any) -> Any:
    """RFC 6902: add, remove, replace, move, copy, test."""
    if not isinstance(operations, list):
        raise BadRequestError("a JSON patch is an array of operations", {"body": "not an array"})
    doc = copy.deepcopy(doc)
    for op in operations:
        try:
            kind, parts = op["op"], _pointer(op["path"])
            if kind == "test":
                if _walk(doc, parts) != op["value"]:
                    raise ConflictError(f"test failed at {op['path']}", {"path": op["path"]})
                continue
            if kind in ("move", "copy"):
                value = copy.deepcopy(_walk(doc, _pointer(op["from"])))
                if kind == "move":
                    doc = json_patch(doc, [{"op": "remove", "path": op["from"]}])
                doc = json_patch(doc, [{"op": "add", "path": op["path"], "value": value}])
                continue
            if not parts:
                if kind in ("add", "replace"):
                    doc = copy.deepcopy(op["value"])
                    continue
                raise BadRequestError("cannot remove the whole document", {"path": ""})
            parent = _walk(doc, parts[:-1])
            last = parts[-1]
            if kind == "add":
                if isinstance(parent, list):
                    parent.insert(len(parent) if last == "-" else int(last), op["value"])
                else:
                    parent[last] = op["value"]
            elif kind == "remove":
                del parent[int(last) if isinstance(parent, list) else last]
            elif kind == "replace":
                index = int(last) if isinstance(parent, list) else last
                if isinstance(parent, dict) and last not in parent:
                    raise KeyError(last)
                parent[index] = op["value"]
            else:
                raise BadRequestError(f"unknown JSON patch operation {kind!r}", {"op": kind})
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise BadRequestError(
                f"cannot apply JSON patch operation {op!r}: {exc}", {"patch": str(op)}
            ) from None
    return doc


def apply_patch(content_type: str, target: dict[str, Any], patch: Any) -> dict[str, Any]:
    kind = content_type.split(";")[0].strip()
    if kind == "application/json-patch+json":
        result = json_patch(target, patch)
    elif kind == "application/merge-patch+json":
        result = merge_patch(target, patch)
    elif kind == "application/strategic-merge-patch+json":
        result = strategic_merge_patch(target, patch)
    else:
        raise BadRequestError(f"unsupported patch type {kind!r}", {"content-type": kind})
    if not isinstance(result, dict):
        raise BadRequestError("the patched object is not an object", {"patch": "invalid"})
    return result
