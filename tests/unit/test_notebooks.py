"""The notebooks in notebooks/ run top to bottom in a real IPython kernel (nbclient), each
checking what it shows in its last cell's ``assert``s; and they are committed with their
outputs (plots included), small enough to read in a diff."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SURFACES = {"edge", "simulator", "pool", "mlbench", "cello", "scheduler-comparison"}


def test_one_notebook_per_surface_and_the_comparison() -> None:
    assert {p.stem for p in NOTEBOOKS} >= SURFACES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_with_its_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "run it and save it with its outputs"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert "assert" in code[-1].source, "the last cell asserts what the notebook showed"
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, "a notebook shows (plots), not prints"
    assert path.stat().st_size < 200_000, "keep outputs small (modest figures, dpi 72)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the kernel imports this checkout's k8sedge, draws with matplotlib's inline (Agg) backend
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.delenv("K8SEDGE_PROGRESS", raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=60,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # jupyter_client's own
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as exc:
            pytest.fail(f"{path.name}: {exc}", pytrace=False)
    assert time.perf_counter() - started < 60
