"""The package surface: exports, typing marker, a light import, connect's URLs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import k8sedge


def test_all_is_sorted_complete_and_importable() -> None:
    assert k8sedge.__all__ == sorted(k8sedge.__all__)
    for name in k8sedge.__all__:
        assert getattr(k8sedge, name) is not None, name


def test_py_typed_ships() -> None:
    assert (Path(k8sedge.__file__).parent / "py.typed").exists()


def test_import_is_light() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import k8sedge; "
        "print(time.perf_counter() - t); "
        "print(any(m in sys.modules for m in ('numpy', 'starlette', 'kubernetes', 'httpx', 'jwt')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, heavy = out.stdout.split()
    assert heavy == "False"
    assert float(seconds) < 1.0  # the 0.3 s budget is measured in bench/, not asserted here


def test_connect_urls() -> None:
    with k8sedge.connect("memory://?grace_period=5&rollout_interval=0&seed=3") as client:
        assert isinstance(client.backend, k8sedge.MemoryBackend)
        assert client.backend.cluster.nodes.grace_period == 5.0
    with pytest.raises(k8sedge.UnsupportedError):
        k8sedge.connect("ftp://example")
    with pytest.raises(k8sedge.UnsupportedError):
        k8sedge.connect("memory://?colour=blue")


def test_error_bodies() -> None:
    error = k8sedge.NotFoundError("node 'x' not found", {"node_id": "x"})
    assert error.to_body() == {
        "error": True,
        "code": "NOT_FOUND",
        "message": "node 'x' not found",
        "details": {"node_id": "x"},
    }
    assert isinstance(error, k8sedge.K8sEdgeError)
    assert k8sedge.errors.error_for_code("CONFLICT") is k8sedge.ConflictError
    assert k8sedge.errors.error_for_code(None, 429) is k8sedge.RateLimitedError
    assert k8sedge.errors.error_for_code("WHATEVER", 418) is k8sedge.BadRequestError


def test_errors_are_also_the_matching_builtins() -> None:
    with pytest.raises(LookupError):
        k8sedge.connect().edge.nodes.get("nope")
    with pytest.raises(ValueError, match="page"):
        k8sedge.connect().edge.nodes.list(page=0)
    assert issubclass(k8sedge.UnsupportedError, NotImplementedError)


def test_a_quantity_is_built_as_its_repr_shows() -> None:
    assert k8sedge.Quantity("500m") == k8sedge.Quantity.parse("500m")
    assert repr(k8sedge.Quantity("8Gi")) == "Quantity('8Gi')"
    assert eval(repr(k8sedge.Quantity("1.5")), {"Quantity": k8sedge.Quantity}) == k8sedge.Quantity(
        "1.5"
    )


def test_a_url_without_a_scheme_gets_a_hint() -> None:
    with pytest.raises(k8sedge.UnsupportedError, match=r"did you mean 'http://localhost:8443'"):
        k8sedge.connect("localhost:8443")


def test_version_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from k8sedge.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"k8sedge {k8sedge.__version__}"
