"""The declarations are the contract: every backend implements every declared operation,
every served operation is in /openapi.json, and the sync and async clients offer the same
methods with the same signatures."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import httpx
import pytest

import k8sedge
from k8sedge._facade import Facade
from k8sedge._stubgen import STUB_PATH, _facades, render
from k8sedge._wire import load
from k8sedge.server import create_app
from k8sedge.surfaces import REGISTRY, all_surfaces, get_surface
from k8sedge.transport.asgi import SyncASGITransport

SURFACES = list(REGISTRY)


def _params(fn: Any) -> list[tuple[str, str]]:
    return [(p.name, str(p.kind)) for p in list(inspect.signature(fn).parameters.values())[1:]]


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("backend", ["memory", "kubernetes"])
def test_every_operation_is_implemented(name: str, backend: str) -> None:
    surface = get_surface(name)
    implementation = load(getattr(surface, backend))
    for op in surface.ops:
        method = getattr(implementation, op.name, None)
        assert callable(method), f"{backend} {name}: {op.name} is not implemented"
        declared = getattr(surface.service, op.name)
        assert _params(method) == _params(declared), f"{backend} {name}.{op.name}: signature"


@pytest.mark.parametrize("name", SURFACES)
def test_every_operation_is_sent_over_http(name: str) -> None:
    backend = k8sedge.HttpBackend("http://127.0.0.1:9")
    service = backend.service(name)
    for op in get_surface(name).ops:
        assert callable(getattr(service, op.name))
    backend.close()


def test_local_operations_raise_unsupported_over_http() -> None:
    backend = k8sedge.HttpBackend("http://127.0.0.1:9")
    with pytest.raises(k8sedge.UnsupportedError, match="issue_admin_token"):
        backend.service("edge").issue_admin_token("1h")
    backend.close()


def test_every_served_operation_is_in_openapi() -> None:
    app = create_app(rate_limit="off")
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        paths = http.get("/openapi.json").json()["paths"]
    for surface in all_surfaces():
        for op in surface.ops:
            if op.local:
                continue
            operation = paths[op.path][op.method.lower()]
            assert str(op.status) in operation["responses"], (surface.name, op.name)
            for status in op.statuses:
                assert str(status) in operation["responses"], (surface.name, op.name, status)


def test_async_stub_is_current() -> None:
    assert STUB_PATH.read_text() == render(), "run: python -m k8sedge._stubgen"


def _stub_classes() -> dict[str, dict[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    tree = ast.parse(Path(STUB_PATH).read_text())
    return {
        node.name: {
            f.name: f for f in node.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }


@pytest.mark.parametrize("name", SURFACES)
def test_sync_and_async_facades_have_the_same_methods_and_signatures(name: str) -> None:
    stub = _stub_classes()
    for cls in _facades(get_surface(name).api):
        twin = stub[f"Async{cls.__name__}"]
        public = {
            n: f for n, f in vars(cls).items() if not n.startswith("_") and inspect.isfunction(f)
        }
        inherited = {n for n in dir(cls) if not n.startswith("_") and n not in public}
        assert set(twin) == set(public) | {n for n in inherited if n in twin}
        for method_name, fn in public.items():
            node = twin[method_name]
            params = [a.arg for a in node.args.args[1:]] + [a.arg for a in node.args.kwonlyargs]
            assert params == [p.name for p in list(inspect.signature(fn).parameters.values())[1:]]
            iterator = str(inspect.signature(fn).return_annotation).startswith("Iterator[")
            assert isinstance(node, ast.FunctionDef) == iterator, method_name
        assert issubclass(cls, Facade)


@pytest.mark.parametrize("name", SURFACES)
def test_both_clients_have_every_surface(name: str) -> None:
    sync = k8sedge.connect()
    asynchronous = k8sedge.AsyncClient(sync.backend)
    assert type(getattr(sync, name)) is type(getattr(asynchronous, name))
    assert name in dir(sync) and name in dir(asynchronous)
