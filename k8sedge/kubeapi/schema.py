"""The Kubernetes v1.32 object schemas: OpenAPI definitions of every kind the facade serves.

They come from the ``kubernetes-validate`` package (the upstream OpenAPI definitions, kept
per Kubernetes release as JSON Schema), read once when first needed and put back into
OpenAPI's form: one ``type`` (nullability dropped), ``$ref`` by definition name, and
apimachinery's ``Quantity`` (a string) and ``IntOrString`` (``format: int-or-string``) as
kube-apiserver publishes them. The same definitions drive the OpenAPI documents, strict field
validation (``fieldValidation=Strict``) and server-side apply's field sets.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import orjson

from ..errors import BadRequestError

__all__ = [
    "KUBE_VERSION",
    "definitions",
    "kind_definition",
    "reachable",
    "resolve",
    "unknown_fields",
]

KUBE_VERSION = "1.32"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_INTSTR = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"


def _source() -> bytes:
    """``_definitions.json`` of the release the facade claims (else the nearest newer one)."""
    from importlib import resources

    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    names = sorted(
        (p.name for p in root.iterdir() if p.name.endswith("-local")),
        key=lambda n: tuple(int(x) for x in n[1:].split("-")[0].split(".")),
    )
    wanted = f"v{KUBE_VERSION}.0-local"
    chosen = wanted if wanted in names else next((n for n in names if n > wanted), names[-1])
    return root.joinpath(chosen, "_definitions.json").read_bytes()


def _openapi(node: Any, name: str = "") -> Any:
    """JSON Schema (draft 2020-12, nullable types) back to OpenAPI's schema form."""
    if isinstance(node, list):
        return [_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            out[key] = types[0] if types else "object"
        elif key == "$ref" and isinstance(value, str):
            out[key] = value.rsplit("/", 1)[-1]
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                prop: {k: v for k, v in _openapi(schema, prop).items()}
                for prop, schema in value.items()
            }
        else:
            out[key] = _openapi(value)
    if name in ("apiVersion", "kind"):
        out.pop("enum", None)  # added by the JSON Schema conversion, not upstream's
    return out


@functools.cache
def definitions() -> dict[str, dict[str, Any]]:
    """Every v1.32 definition by name (``io.k8s.api.apps.v1.Deployment``)."""
    raw = orjson.loads(_source())
    defs: dict[str, dict[str, Any]] = {
        name: _openapi(schema) for name, schema in raw["$defs"].items()
    }
    defs[_QUANTITY] = {
        "description": "Quantity is a fixed-point representation of a number. It provides "
        "convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and "
        "AsInt64() accessors.",
        "type": "string",
    }
    defs[_INTSTR] = {
        "description": "IntOrString is a type that can hold an int32 or a string.  When used in "
        "JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  "
        "This allows you to have, for example, a JSON field that can accept a name or number.",
        "format": "int-or-string",
        "type": "string",
    }
    return defs


@functools.cache
def _by_kind() -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            group, version = gvk.get("group", ""), gvk.get("version", "")
            api_version = f"{group}/{version}" if group else version
            # a kind registered in several groups (DeleteOptions) keeps its own group's name
            if (api_version, gvk["kind"]) not in found or name.startswith("io.k8s.api."):
                found[(api_version, gvk["kind"])] = name
    return found


def kind_definition(api_version: str, kind: str) -> str | None:
    """The definition name of a kind (``apps/v1``, ``Deployment``), or ``None``."""
    return _by_kind().get((api_version, kind))


def resolve(schema: dict[str, Any] | None) -> dict[str, Any]:
    """A schema with its ``$ref`` (or ``allOf`` of one ref) followed."""
    seen = 0
    while schema is not None and seen < 8:
        ref = schema.get("$ref")
        if ref is None and len(schema.get("allOf") or ()) == 1:
            ref = schema["allOf"][0].get("$ref")
        if ref is None:
            return schema
        schema = definitions().get(ref)
        seen += 1
    return schema or {}


def reachable(names: list[str]) -> list[str]:
    """The definitions ``names`` refer to, transitively (``names`` included), sorted."""
    defs, seen, todo = definitions(), set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        todo.extend(_refs(defs[name]))
    return sorted(seen)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def unknown_fields(obj: Any, api_version: str, kind: str, *, drop: bool = False) -> list[str]:
    """Paths of fields the kind does not have (``spec.replics``), as strict decoding finds
    them (at most ``MAX_REPORTED``); with ``drop``, every one of them is also removed from
    ``obj``, as the API server's decoder drops them. ``[]`` for a kind without a schema."""
    name = kind_definition(api_version, kind)
    if name is None:
        return []
    found: list[str] = []
    _walk(obj, definitions()[name], "", found, drop)
    return found


MAX_REPORTED = 50


def _walk(value: Any, schema: dict[str, Any], path: str, found: list[str], drop: bool) -> None:
    schema = resolve(schema)
    if len(found) >= MAX_REPORTED and not drop:
        return
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        unknown = []
        for key, item in value.items():
            if key.startswith("$"):
                continue  # strategic merge patch directives
            where = f"{path}.{key}" if path else key
            if properties is not None and key in properties:
                _walk(item, properties[key], where, found, drop)
            elif isinstance(extra, dict):
                _walk(item, extra, where, found, drop)
            elif properties is not None and not (path == "" and key in ("apiVersion", "kind")):
                unknown.append(key)
                if len(found) < MAX_REPORTED:
                    found.append(where)
        if drop:
            for key in unknown:
                del value[key]
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{i}]", found, drop)


def strict_error(kind: str, api_version: str, fields: list[str]) -> BadRequestError:
    """400 ``BadRequest`` naming the unknown fields, as kube-apiserver's strict decoding."""
    shown = ", ".join(f'unknown field "{f}"' for f in fields)
    version = api_version.rpartition("/")[2]
    return BadRequestError(
        f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding '
        f"error: {shown}",
        {"reason": "BadRequest"},
    )
