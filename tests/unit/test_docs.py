"""Every ```python block of README.md and docs/**/*.md runs, in order, one namespace per file.

A failing block fails the test naming its file and line. Blocks that cannot run on their own
would not be written as ```python — and there are none: every example runs. Snippets that
need a server start one in-process (``k8sedge.testing.served()``, ``serve_in_thread``).
Shell blocks (```sh) are not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w[\w-]*)?\s*$")


def python_blocks(path: Path) -> Iterator[tuple[int, str]]:
    """(line of the block's first code line, code) for each ```python block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i].strip())
        if match is None:
            i += 1
            continue
        language = match.group(1) or ""
        start = i + 1
        end = start
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if language == "python":
            # keep the file's line numbers in tracebacks
            yield start + 1, "\n" * start + "\n".join(lines[start:end]) + "\n"
        i = end + 1


def test_the_docs_have_python_blocks() -> None:
    counted = {p.relative_to(ROOT).as_posix(): len(list(python_blocks(p))) for p in FILES}
    assert counted["README.md"] >= 1
    assert sum(counted.values()) >= 35, counted


WITH_CODE = [p for p in FILES if any(python_blocks(p))]


@pytest.mark.parametrize("path", WITH_CODE, ids=[p.relative_to(ROOT).as_posix() for p in WITH_CODE])
def test_every_python_block_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K8SEDGE_PROGRESS", "0")
    monkeypatch.chdir(os.environ.get("TMPDIR", "/tmp"))
    blocks = list(python_blocks(path))
    name = path.relative_to(ROOT).as_posix()
    namespace: dict[str, object] = {"__name__": f"docs:{name}"}
    for line, code in blocks:
        failure = None
        try:
            exec(compile(code, str(path), "exec"), namespace)
        except Exception as exc:
            failure = traceback.format_exception(type(exc), exc, exc.__traceback__, chain=False)
        if failure is not None:
            trace = "".join(failure[:1] + failure[2:])  # without this module's frame
            pytest.fail(f"{name}:{line}: the block does not run:\n{trace}", pytrace=False)


def test_the_testing_pages_pytest_example_passes(tmp_path: Path) -> None:
    """docs/testing.md's ``test_fleet.py`` passes under pytest with the k8sedge plugin."""
    code = next(c for _, c in python_blocks(ROOT / "docs" / "testing.md") if "test_fleet.py" in c)
    (tmp_path / "test_fleet.py").write_text(code.lstrip("\n"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_fleet.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
