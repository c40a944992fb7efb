"""Everything a user reaches is documented: every name of ``k8sedge.__all__``, every public
method of the surface facades and of the models, and the async client documents the same
methods as the sync client (its generated stub carries each method's first paragraph)."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from typing import Any

import pytest

import k8sedge
from k8sedge._stubgen import STUB_PATH, _facades, _methods, summary
from k8sedge.surfaces import REGISTRY, get_surface

# Public methods of classes in k8sedge.__all__ whose modules belong to other work in this
# wave (the memory cluster, the engine, the clock, quantities, the http and kubernetes
# backends, the comparison); they get their docstrings there.
ELSEWHERE = {
    "AsyncHttpBackend.aclose",
    "Clock.now",
    "Cluster.apply",
    "Cluster.config",
    "Cluster.create",
    "Cluster.get",
    "Cluster.list",
    "Cluster.now",
    "Cluster.update",
    "HttpBackend.close",
    "KubernetesBackend.close",
    "ManualClock.now",
    "Quantity.format",
    "ScheduleResult.evaluated_nodes",
    "ScheduleResult.feasible",
    "ScheduleResult.first_failure",
    "ScheduleResult.normalized_scores",
    "ScheduleResult.raw_scores",
    "ScheduleResult.scheduled",
    "SystemClock.now",
}


def _own_doc(obj: Any) -> str:
    if isinstance(obj, type):
        return (obj.__dict__.get("__doc__") or "").strip()
    return (getattr(obj, "__doc__", None) or "").strip()


def _public_members(cls: type) -> list[tuple[str, Any]]:
    out = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            out.append((name, member.fget))
        elif isinstance(member, classmethod | staticmethod):
            out.append((name, member.__func__))
        elif inspect.isfunction(member):
            out.append((name, member))
    return out


def test_every_public_name_has_a_docstring() -> None:
    missing = [
        name
        for name in k8sedge.__all__
        if not name.startswith("__") and not _own_doc(getattr(k8sedge, name))
    ]
    assert not missing, f"no docstring: {missing}"


def test_every_public_method_of_a_public_class_has_a_docstring() -> None:
    missing = []
    for name in k8sedge.__all__:
        cls = getattr(k8sedge, name)
        if not isinstance(cls, type):
            continue
        for method, fn in _public_members(cls):
            if not (fn.__doc__ or "").strip() and f"{name}.{method}" not in ELSEWHERE:
                missing.append(f"{name}.{method}")
    assert not missing, f"no docstring: {missing}"


@pytest.mark.parametrize("surface", list(REGISTRY))
def test_every_facade_and_facade_method_has_a_docstring(surface: str) -> None:
    missing = []
    for cls in _facades(get_surface(surface).api):
        if not _own_doc(cls):
            missing.append(cls.__name__)
        missing += [f"{cls.__name__}.{m}" for m, fn in _methods(cls) if not summary(fn)]
    assert not missing, f"no docstring: {missing}"


def _stub_docs() -> dict[str, dict[str, str]]:
    tree = ast.parse(STUB_PATH.read_text())
    out: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = {
                item.name: ast.get_docstring(item) or ""
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    return out


@pytest.mark.parametrize("surface", list(REGISTRY))
def test_the_async_client_documents_the_same_methods(surface: str) -> None:
    stub = _stub_docs()
    for cls in _facades(get_surface(surface).api):
        twin = stub[f"Async{cls.__name__}"]
        sync = {name: summary(fn) for name, fn in _methods(cls)}
        assert set(twin) == set(sync), cls.__name__
        for name, doc in sync.items():
            assert twin[name] == doc, f"Async{cls.__name__}.{name}: run python -m k8sedge._stubgen"


def test_the_cli_help_is_plain_text() -> None:
    """No reStructuredText markup (double backquotes, roles) in what ``--help`` prints."""
    for args in ([], ["demo"], ["serve"], ["kubeconfig"]):
        done = subprocess.run(
            [sys.executable, "-m", "k8sedge", *args, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "``" not in done.stdout and ":func:" not in done.stdout, done.stdout
