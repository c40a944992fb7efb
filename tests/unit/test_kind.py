"""``k8sedge.kind``: a fake ``kind`` executable records the CLI calls; the real lifecycle
test needs Docker and is marked ``kind``."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

import k8sedge
from k8sedge import kind

FAKE_KIND = """#!/bin/sh
echo "$@" >> "$FAKE_KIND_LOG"
case "$1 $2" in
  "get clusters") printf 'alpha\\nbeta\\n' ;;
  "create cluster")
    echo "Creating cluster \\"$4\\" ..."
    echo " ✓ Ensuring node image (kindest/node:v1.32.0) 🖼"
    echo " ✓ Starting control-plane 🕹️"
    [ "$4" = "broken" ] && { echo "ERROR: failed to create cluster"; exit 1; }
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


@pytest.fixture
def fake_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    binary = tmp_path / "bin" / "kind"
    binary.parent.mkdir()
    binary.write_text(FAKE_KIND)
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_KIND_LOG", str(log))
    return log


def test_lifecycle_through_the_cli(fake_kind: Path, tmp_path: Path) -> None:
    progress = io.StringIO()
    client = kind.create_cluster("edge-lab", kubeconfig=tmp_path / "kc.yaml", progress=progress)
    assert isinstance(client.backend, k8sedge.backends.kubernetes.KubernetesBackend)
    client.close()
    shown = progress.getvalue().splitlines()
    assert any("Starting control-plane" in line and line.startswith("[") for line in shown)
    assert kind.list_clusters() == ["alpha", "beta"]
    kind.delete_cluster("edge-lab", progress=None)
    calls = fake_kind.read_text().splitlines()
    assert calls[0].startswith(
        f"create cluster --name edge-lab --kubeconfig {tmp_path / 'kc.yaml'}"
    )
    assert calls[-1] == "delete cluster --name edge-lab"
    with pytest.raises(k8sedge.UnsupportedError, match="failed to create cluster"):
        kind.create_cluster("broken", kubeconfig=tmp_path / "b.yaml", progress=None)
    with pytest.raises(k8sedge.BadRequestError):
        kind.create_cluster("no spaces allowed", progress=None)


@pytest.mark.kind
@pytest.mark.skipif(
    not kind.docker_available(),
    reason="no Docker engine answers here (docker info fails), so kind cannot start a cluster",
)
def test_real_kind_cluster() -> None:  # pragma: no cover - needs Docker
    client = kind.create_cluster("k8sedge-test")
    try:
        sim = client.simulator
        assert any(n.name.startswith("k8sedge-test") for n in sim.nodes.list())
    finally:
        client.close()
        kind.delete_cluster("k8sedge-test")
