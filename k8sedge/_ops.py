"""Operations declared once, as data.

A surface's *service* is a ``typing.Protocol`` whose methods are its operations. ``@op`` puts
the wire on each: HTTP method, path, success status, auth scope, summary, and how the
arguments travel (path parameters by name, attrs models as the JSON body, ``fields`` as keys
of a JSON body, the rest as query parameters). ``operations(Service)`` reads the protocol
once into ``Op`` records; the server's routes, ``/openapi.json`` and the http client (sync
and async) are all derived from those records, and every backend implements the protocol.

Special cases are hooks on an op, not code elsewhere: ``codecs`` (a body that is not a
model, e.g. one metrics sample or a batch), ``render`` (a success body other than the
result, e.g. the heartbeat's short answer), ``client_query`` (what the SDK always asks for),
``stream`` (the list-watch), ``action`` (Cello's one path dispatched on ``action``),
``other_methods`` (Cello answers GET and POST alike), the ``params`` source (every parameter
of a request as one mapping: Cello's raw filters).

An operation whose result is ``Binary`` answers raw bytes (a download) instead of JSON; an
argument with ``sources={"x": "base_url"}`` is filled in by the server with its own URL
(never sent by the client: links in an answer, such as a router root's).
"""

from __future__ import annotations

import enum
import inspect
import re
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
from attrs import field, frozen

__all__ = [
    "NON_EMPTY",
    "Binary",
    "Op",
    "Param",
    "Scope",
    "Source",
    "op",
    "operations",
]

F = TypeVar("F", bound=Callable[..., Any])
NO_DEFAULT: Any = inspect.Parameter.empty


class Scope(enum.StrEnum):
    """Who may call: anyone, an admin, or an admin or the node named by ``node_id``."""

    PUBLIC = "public"
    ADMIN = "admin"
    NODE = "node"


class Source(enum.StrEnum):
    """Where an argument travels."""

    PATH = "path"
    QUERY = "query"
    BODY = "body"  # the whole JSON body
    FIELD = "field"  # one key of a JSON (or form) body
    ANY = "any"  # a body key or a query parameter (Cello reads both)
    PARAMS = "params"  # every parameter as one mapping: the body's object, or a GET's query
    BASE_URL = "base_url"  # the server's own URL, filled in by the server (not sent)


class _NonEmpty:
    """``Annotated[str, NON_EMPTY]``: an empty string is a bad request."""

    def __repr__(self) -> str:
        return "NON_EMPTY"


NON_EMPTY = _NonEmpty()


@frozen
class Binary:
    """A binary answer (a download): served as its bytes with ``media_type`` and, given a
    ``filename``, ``Content-Disposition: attachment; filename=…``; read back the same way."""

    content: bytes
    media_type: str = "application/octet-stream"
    filename: str | None = None


@frozen
class Param:
    """One argument of an operation."""

    name: str  # the service method's argument
    source: Source
    annotation: Any  # the resolved type (``Annotated`` stripped)
    default: Any = NO_DEFAULT
    wire: str = ""  # its name on the wire (default: ``name``)
    non_empty: bool = False
    codec: Any = None  # an encode/decode/schema object, for bodies that are not models

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT

    @property
    def key(self) -> str:
        return self.wire or self.name


@frozen
class Op:
    """One operation of a surface: its method, path, arguments, result and documentation."""

    name: str
    method: str
    path: str
    params: tuple[Param, ...]
    result: Any  # the resolved return annotation
    status: int = 200
    scope: Scope = Scope.ADMIN
    summary: str = ""
    list_key: str | None = None  # a ``Page`` answers ``{list_key: [...], "pagination": …}``
    action: str | None = None
    blocking: bool = False  # may take long: servers run it off the event loop
    local: bool = False  # not on the wire (e.g. minting an admin token)
    stream: Any = None  # hooks for streamed answers (the list-watch)
    render: Callable[[Any, Mapping[str, str]], Any] | None = None
    client_query: Mapping[str, str] = field(factory=dict)
    # a ``Location`` header for the answer, from the result and the path parameters
    location: Callable[[Any, Mapping[str, str]], str] | None = None
    statuses: tuple[int, ...] = ()  # other documented answers (e.g. 409, 410)
    aliases: tuple[str, ...] = ()  # other paths the server answers (the real systems' spellings)
    other_methods: tuple[str, ...] = ()  # other methods the server answers (Cello: GET and POST)

    @property
    def body_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.source in (Source.BODY, Source.FIELD))

    @property
    def idempotent(self) -> bool:
        return self.method in ("GET", "PUT", "DELETE", "HEAD", "OPTIONS")


@frozen
class _Declaration:
    method: str
    path: str
    options: dict[str, Any]


def op(method: str = "", path: str = "", **options: Any) -> Callable[[F], F]:
    """Declare the wire of a service method (see the module docstring for the options:
    ``status``, ``scope``, ``summary``, ``list_key``, ``fields``, ``wire``, ``codecs``,
    ``render``, ``client_query``, ``location``, ``stream``, ``action``, ``blocking``,
    ``local``, ``statuses``, ``aliases``, ``other_methods``, ``sources``)."""

    def mark(fn: F) -> F:
        fn.__k8sedge_op__ = _Declaration(method, path, options)  # type: ignore[attr-defined]
        return fn

    return mark


_CACHE: dict[type, tuple[Op, ...]] = {}


def operations(service: type) -> tuple[Op, ...]:
    """The operations a service protocol declares, in declaration order."""
    cached = _CACHE.get(service)
    if cached is None:
        cached = _CACHE[service] = tuple(_read(service))
    return cached


def _read(service: type) -> list[Op]:
    ops: list[Op] = []
    for name, fn in vars(service).items():
        declaration: _Declaration | None = getattr(fn, "__k8sedge_op__", None)
        if declaration is None:
            continue
        hints = typing.get_type_hints(fn, include_extras=True)
        options = dict(declaration.options)
        fields = set(options.pop("fields", ()))
        wire = dict(options.pop("wire", {}))
        codecs = dict(options.pop("codecs", {}))
        sources = dict(options.pop("sources", {}))
        path_names = _path_params(declaration.path)
        params = []
        for parameter in list(inspect.signature(fn).parameters.values())[1:]:
            annotation = hints.get(parameter.name, Any)
            non_empty = False
            if typing.get_origin(annotation) is typing.Annotated:
                base, *extras = typing.get_args(annotation)
                non_empty = any(e is NON_EMPTY for e in extras)
                annotation = base
            if parameter.name in sources:
                source = Source(sources[parameter.name])
            elif parameter.name in path_names:
                source = Source.PATH
            elif parameter.name in fields:
                source = Source.FIELD
            elif parameter.name in codecs or _is_model(annotation):
                source = Source.BODY
            else:
                source = Source.QUERY
            params.append(
                Param(
                    name=parameter.name,
                    source=source,
                    annotation=annotation,
                    default=parameter.default,
                    wire=wire.get(parameter.name, ""),
                    non_empty=non_empty,
                    codec=codecs.get(parameter.name),
                )
            )
        ops.append(
            Op(
                name=name,
                method=declaration.method,
                path=declaration.path,
                params=tuple(params),
                result=hints.get("return", Any),
                **options,
            )
        )
    return ops


def _path_params(path: str) -> set[str]:
    """Names of the path's parameters (``{name}``, also inside a segment: ``{name}.zip``)."""
    return set(re.findall(r"\{([^}:]+)(?::[^}]*)?\}", path))


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and attrs.has(annotation)
