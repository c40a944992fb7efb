"""``k8sedge.kind`` shows its progress as a bar (on where someone watches, quiet in scripts),
or as kind's step lines on a given stream."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from k8sedge import kind

FAKE_KIND = """#!/bin/sh
case "$1 $2" in
  "create cluster")
    echo " ✓ Ensuring node image (kindest/node:v1.32.0)"
    echo " ✓ Starting control-plane"
    c="kind-$4"
    {
      echo "apiVersion: v1"
      echo "kind: Config"
      echo "clusters: [{name: $c, cluster: {server: 'http://127.0.0.1:1'}}]"
      echo "users: [{name: $c, user: {}}]"
      echo "contexts: [{name: $c, context: {cluster: $c, user: $c}}]"
      echo "current-context: $c"
    } > "$6"
    ;;
  "delete cluster") echo "Deleting cluster \\"$4\\" ..." ;;
esac
"""


@pytest.fixture(autouse=True)
def fake_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "bin" / "kind"
    binary.parent.mkdir()
    binary.write_text(FAKE_KIND)
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")


def test_a_bar_counts_kinds_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = kind.create_cluster("lab", kubeconfig=tmp_path / "kc.yaml", progress=True)
    client.close()
    err = capsys.readouterr().err
    assert "creating kind cluster lab" in err and "2step" in err.replace(" ", "")
    assert "Starting control-plane" in err


def test_quiet_in_scripts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("K8SEDGE_PROGRESS", raising=False)
    kind.create_cluster("lab", kubeconfig=tmp_path / "kc.yaml").close()  # stderr: not a TTY
    kind.delete_cluster("lab")
    assert capsys.readouterr().err == ""
    kind.create_cluster("lab", kubeconfig=tmp_path / "kc.yaml", progress=False).close()
    assert capsys.readouterr().err == ""
