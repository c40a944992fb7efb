"""kind clusters (Kubernetes in Docker) through the ``kind`` CLI, for machines with Docker.

``create_cluster`` runs ``kind create cluster`` with a progress display, writes the
cluster's kubeconfig to a file of its own and returns a client connected to it through the
kubernetes backend. The display is a progress bar (``k8sedge._progress``: on in a notebook
or a terminal, quiet in scripts; ``K8SEDGE_PROGRESS`` decides otherwise) whose steps are
kind's; given a stream (``progress=sys.stderr``) it writes kind's step lines there instead,
with elapsed time, and ``progress=False`` shows nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from . import _progress
from ._client import Client, connect
from .errors import BadRequestError, UnsupportedError

__all__ = ["create_cluster", "delete_cluster", "docker_available", "list_clusters"]


def _kind() -> str:
    binary = shutil.which("kind")
    if binary is None:
        raise UnsupportedError("the kind CLI is not installed (https://kind.sigs.k8s.io)")
    return binary


def docker_available() -> bool:
    """Whether a Docker engine answers (kind needs one)."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _lines(stream: TextIO) -> Callable[[str], None]:
    start = time.monotonic()

    def show(line: str) -> None:
        text = line.strip()
        if text:
            stream.write(f"[{time.monotonic() - start:6.1f}s] {text}\n")
            stream.flush()

    return show


@contextmanager
def _display(progress: TextIO | bool | None, description: str) -> Iterator[Callable[[str], None]]:
    """A function shown each of kind's output lines: a stream's writer, or a progress bar
    that counts kind's finished steps (``✓``) and shows the current one."""
    if progress is False:
        yield lambda line: None
        return
    if progress is not None and progress is not True:
        yield _lines(progress)
        return
    with _progress.bar(description, progress=progress or None, unit="step") as shown:

        def show(line: str) -> None:
            text = line.strip()
            if not text:
                return
            step = text.lstrip("•✓✗ ").strip()
            if text.startswith("✓"):
                shown.update(1)
            shown.set_postfix_str(step[:60])

        yield show


def list_clusters() -> list[str]:
    """The names of the kind clusters on this machine."""
    out = subprocess.run([_kind(), "get", "clusters"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise UnsupportedError(f"kind get clusters failed: {out.stderr.strip()}")
    return [
        line.strip()
        for line in out.stdout.splitlines()
        if line.strip() and not line.startswith("No kind clusters")
    ]


def create_cluster(
    name: str = "k8sedge",
    *,
    image: str | None = None,
    kubeconfig: str | os.PathLike[str] | None = None,
    wait: str = "120s",
    progress: TextIO | bool | None = None,
) -> Client:
    """Create a kind cluster and return a client on it (``kubernetes://kind-<name>``).

    ``progress``: None shows a progress bar where someone is watching (a notebook, a
    terminal), ``True`` always, ``False`` never; a stream gets kind's step lines."""
    if not name or not name.replace("-", "").isalnum():
        raise BadRequestError("a kind cluster name is letters, digits and dashes", {"name": name})
    path = Path(kubeconfig or Path.home() / ".kube" / f"kind-{name}.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        _kind(),
        "create",
        "cluster",
        "--name",
        name,
        "--kubeconfig",
        str(path),
        "--wait",
        wait,
    ]
    if image:
        command += ["--image", image]
    lines = []
    with (
        _display(progress, f"creating kind cluster {name}") as show,
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            show(line)
    if process.returncode != 0:
        raise UnsupportedError(
            f"kind create cluster {name!r} failed: {''.join(lines[-5:]).strip()}"
        )
    return connect(f"kubernetes://kind-{name}", kubeconfig=str(path))


def delete_cluster(name: str = "k8sedge", *, progress: TextIO | bool | None = None) -> None:
    """Delete a kind cluster (``progress`` as for ``create_cluster``)."""
    with _display(progress, f"deleting kind cluster {name}") as show:
        out = subprocess.run(
            [_kind(), "delete", "cluster", "--name", name],
            capture_output=True,
            text=True,
            check=False,
        )
        for line in (out.stdout + out.stderr).splitlines():
            show(line)
    if out.returncode != 0:
        raise UnsupportedError(f"kind delete cluster {name!r} failed: {out.stderr.strip()}")
