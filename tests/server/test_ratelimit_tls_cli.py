"""Rate limiting, TLS on a real socket, and the ``k8sedge serve`` command."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import trustme

import k8sedge
from k8sedge import ManualClock
from k8sedge.backends.http import SyncASGITransport
from k8sedge.server import create_app, parse_rate_limit
from k8sedge.server.threaded import serve_in_thread


def test_token_bucket_headers_and_429(memory_backend: k8sedge.MemoryBackend) -> None:
    clock = ManualClock(1_800_000_000.0)
    app = create_app(memory_backend, rate_limit="5/second", rate_clock=clock.now)
    admin = {"Authorization": f"Bearer {app.state.admin_token}"}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        remaining = []
        for _ in range(5):
            response = http.get("/api/v1/nodes", headers=admin)
            assert response.status_code == 200
            assert response.headers["x-ratelimit-limit"] == "5"
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
        assert remaining == [4, 3, 2, 1, 0]
        assert int(response.headers["x-ratelimit-reset"]) == 1_800_000_001  # full again in 1 s
        refused = http.get("/api/v1/nodes", headers=admin)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["code"] == "RATE_LIMITED" and refused.json()["error"] is True
        # another token (here: no token, keyed by address) has its own bucket
        assert http.get("/api/v1/health").status_code == 200
        clock.advance(0.2)  # one token back
        assert http.get("/api/v1/nodes", headers=admin).status_code == 200
        assert http.get("/api/v1/nodes", headers=admin).status_code == 429
        # errors carry the headers too
        assert "x-ratelimit-remaining" in http.get("/api/v1/missing").headers


def test_rate_limit_parsing() -> None:
    assert parse_rate_limit("600/minute").capacity == 600  # type: ignore[union-attr]
    assert parse_rate_limit("50/second").rate == 50  # type: ignore[union-attr]
    assert parse_rate_limit("off") is None
    for bad in ("600", "10/fortnight", "-1/second", "0/second"):
        with pytest.raises(ValueError):
            parse_rate_limit(bad)


def test_http_backend_raises_rate_limited(memory_backend: k8sedge.MemoryBackend) -> None:
    clock = ManualClock(1_800_000_000.0)
    app = create_app(memory_backend, rate_limit="2/minute", rate_clock=clock.now)
    backend = k8sedge.HttpBackend(
        "http://t",
        token=app.state.admin_token,
        transport=SyncASGITransport(app),
        retry=k8sedge.RetryPolicy(attempts=1),
    )
    with k8sedge.Client(backend) as client:
        client.edge.nodes.list()
        client.edge.nodes.list()
        with pytest.raises(k8sedge.RateLimitedError) as info:
            client.edge.nodes.list()
        assert info.value.retry_after == 30.0


def test_tls_with_a_throwaway_ca(memory_backend: k8sedge.MemoryBackend, tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(cafile))
    app = create_app(memory_backend, rate_limit="off")
    with serve_in_thread(app, ssl_certfile=str(certfile), ssl_keyfile=str(keyfile)) as url:
        assert url.startswith("https://")
        with k8sedge.connect(url, token=app.state.admin_token, verify=str(cafile)) as client:
            assert client.edge.health().status == "healthy"
            client.edge.nodes.register(name="tls-node", address="10.0.0.1")
            assert client.edge.nodes.list().pagination.total == 1
        with (
            k8sedge.connect(
                url, token=app.state.admin_token, retry=k8sedge.RetryPolicy(attempts=1)
            ) as untrusting,
            pytest.raises(k8sedge.TransportError),
        ):
            untrusting.edge.health()  # the system trust store does not know the throwaway CA


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_prints_an_admin_token_and_serves() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "K8SEDGE_ADMIN_TOKEN"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "k8sedge",
            "serve",
            "--port",
            str(port),
            "--rate-limit",
            "off",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert f"http://127.0.0.1:{port}" in lines[0]
        printed = re.search(r"connect\('([^']+)'", lines[1])
        assert printed is not None
        token = lines[3].strip()
        assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", token)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                health = httpx.get(f"{url}/api/v1/health")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.05)
        assert health.status_code == 200
        assert httpx.get(f"{url}/api/v1/nodes").status_code == 401
        ok = httpx.get(f"{url}/api/v1/nodes", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        # the URL it prints is what connect() takes, with or without /api/v1
        for base in (printed.group(1), printed.group(1) + "/api/v1"):
            with k8sedge.connect(base, token=token) as client:
                assert client.edge.health().status == "healthy"
                assert client.edge.nodes.list().pagination.total == 0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)


def test_serve_rejects_bad_options() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "k8sedge", "serve", "--rate-limit", "lots"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2 and "invalid rate limit" in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "k8sedge", "serve", "--certfile", "x.pem"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2 and "--keyfile" in out.stderr


def test_heartbeats_are_rate_limited_and_authenticated(
    memory_backend: k8sedge.MemoryBackend,
) -> None:
    """Heartbeats take the fast path in front of the middleware: the same bucket per token,
    the same headers and 429, the same 401/403 bodies."""
    clock = ManualClock(1_800_000_000.0)
    app = create_app(memory_backend, rate_limit="3/second", rate_clock=clock.now)
    with k8sedge.Client(backend=memory_backend) as client:
        mine = client.edge.nodes.register(name="beat-1", address="10.0.0.1")
        other = client.edge.nodes.register(name="beat-2", address="10.0.0.2")
        token = client.edge.tokens.generate(mine.id, "1h").token
    node = {"Authorization": f"Bearer {token}"}
    beat = {"heartbeat": True}
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        answers = [http.put(f"/api/v1/nodes/{mine.id}/status", json=beat, headers=node)]
        answers += [http.put(f"/api/v1/nodes/{mine.id}/status", json=beat, headers=node)]
        assert [a.status_code for a in answers] == [200, 200]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1"]
        assert answers[0].headers["x-ratelimit-limit"] == "3"
        # the token's bucket is one across routes: a read takes the last token
        assert http.get(f"/api/v1/nodes/{mine.id}", headers=node).status_code == 200
        refused = http.put(f"/api/v1/nodes/{mine.id}/status", json=beat, headers=node)
        assert refused.status_code == 429 and refused.json()["code"] == "RATE_LIMITED"
        assert refused.headers["retry-after"] == "1"
        clock.advance(1.0)
        forbidden = http.put(f"/api/v1/nodes/{other.id}/status", json=beat, headers=node)
        assert forbidden.status_code == 403 and forbidden.json()["code"] == "FORBIDDEN"
        assert "x-ratelimit-remaining" in forbidden.headers
        anonymous = http.put(f"/api/v1/nodes/{mine.id}/status", json=beat)
        assert anonymous.status_code == 401 and anonymous.json()["error"] is True
        forged = {"Authorization": f"Bearer {token[:-4]}AAAA"}
        bad = http.put(f"/api/v1/nodes/{mine.id}/status", json=beat, headers=forged)
        assert bad.status_code == 401 and "invalid token" in bad.json()["message"]


def test_heartbeat_fast_path_answers_a_bug_in_the_dialect(
    memory_backend: k8sedge.MemoryBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception on the fast path is the edge API's 500 body, not a dropped
    connection (a fault injected into the backend)."""
    app = create_app(memory_backend, rate_limit="off")
    admin = {"Authorization": f"Bearer {app.state.admin_token}"}
    with k8sedge.Client(backend=memory_backend) as client:
        node = client.edge.nodes.register(name="beat-3", address="10.0.0.3")

    def broken(*args: object) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(app.heartbeat, "method", broken)  # type: ignore[attr-defined]
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://t") as http:
        answer = http.put(
            f"/api/v1/nodes/{node.id}/status", json={"heartbeat": True}, headers=admin
        )
        assert answer.status_code == 500
        assert answer.json()["code"] == "INTERNAL_ERROR"
        assert http.get("/api/v1/health").status_code == 200


def test_serve_runs_the_event_loop_uvicorn_is_told_to() -> None:
    """``serve`` runs its servers in a loop of its own: it must be uvloop where installed
    (it once ran the default asyncio loop whatever uvicorn's ``loop`` option said)."""
    import asyncio

    import uvicorn
    import uvloop

    from k8sedge.__main__ import _loop_factory, _uvicorn_options

    options = _uvicorn_options(
        type(
            "Args",
            (),
            {"access_log": False, "log_level": "info", "certfile": None, "keyfile": None},
        )()
    )
    assert options["loop"] == "uvloop" and options["http"] == "httptools"
    factory = _loop_factory(uvicorn.Config(lambda: None, **options))
    with asyncio.Runner(loop_factory=factory) as runner:
        assert isinstance(runner.get_loop(), uvloop.Loop)
