"""Rate limiting cannot be bypassed nor used against the server, and forged or odd tokens are
401s: buckets are keyed by the verified identity, the header is read strictly, and 405
answers say what is allowed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jwt
import pytest

import k8sedge
from k8sedge.server import create_app
from k8sedge.server.threaded import serve_in_thread


@pytest.fixture
def limited(backend: k8sedge.MemoryBackend) -> Iterator[tuple[str, str]]:
    app = create_app(backend, rate_limit="5/minute")
    with serve_in_thread(app) as url:
        yield url, app.state.admin_token


def test_spellings_of_one_token_share_one_bucket(limited: tuple[str, str]) -> None:
    url, token = limited
    spellings = [f"Bearer {token}", f"bearer {token}", f"BEARER  {token}", f"bEaReR   {token}"]
    remaining = []
    for header in spellings:
        answer = httpx.get(f"{url}/api/v1/nodes", headers={"Authorization": header})
        assert answer.status_code == 200, header
        remaining.append(int(answer.headers["x-ratelimit-remaining"]))
    assert remaining == [4, 3, 2, 1]
    answer = httpx.get(f"{url}/api/v1/nodes", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    refused = httpx.get(f"{url}/api/v1/nodes", headers={"Authorization": f"bearer {token}"})
    assert refused.status_code == 429 and refused.json()["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1


def test_invalid_and_oversized_headers_share_the_client_bucket(limited: tuple[str, str]) -> None:
    url, token = limited
    huge = "Bearer " + "a" * 1_000_000
    statuses = []
    for header in [huge, "Bearer forged.token.here", "Basic dXNlcjpwYXNz", huge, huge]:
        statuses.append(httpx.get(f"{url}/api/v1/nodes", headers={"Authorization": header}))
    assert [a.status_code for a in statuses] == [401] * 5
    assert [a.headers["x-ratelimit-remaining"] for a in statuses] == ["4", "3", "2", "1", "0"]
    # the client's address is out of requests; a valid token has its own bucket
    assert httpx.get(f"{url}/api/v1/health").status_code == 429
    answer = httpx.get(f"{url}/api/v1/nodes", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer a b",
        "Bearer Bearer x",
        "Token abc",
        "Bearer a,b",
        "bearer,abc",
    ],
)
def test_malformed_authorization_is_401(served: object, header: str) -> None:
    url = served.url  # type: ignore[attr-defined]
    answer = httpx.get(f"{url}/api/v1/nodes", headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.json()["code"] == "UNAUTHORIZED" and answer.json()["error"] is True


def test_two_authorization_headers_are_401(served: object) -> None:
    url, token = served.url, served.token  # type: ignore[attr-defined]
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    answer = httpx.get(f"{url}/api/v1/nodes", headers=headers)
    assert answer.status_code == 401


def _signed(backend: k8sedge.MemoryBackend, **claims: object) -> str:
    now = int(backend.cluster.clock.now())
    base: dict[str, object] = {
        "sub": "admin",
        "scope": "admin",
        "iat": now,
        "exp": now + 60,
        "jti": "j1",
        "iss": "k8sedge",
    }
    base.update(claims)
    return jwt.encode(base, backend.cluster.tokens.secret, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": "9999999999"},
        {"exp": 10**400},
        {"exp": 1e308},
        {"exp": True},
        {"iat": "now"},
        {"exp": 2**62},
        {"jti": 5},
        {"alg_none": True},
    ],
)
def test_forged_and_absurd_tokens_are_401(served: object, claims: dict[str, object]) -> None:
    backend = served.backend  # type: ignore[attr-defined]
    if claims.pop("alg_none", False):
        token = jwt.encode({"sub": "admin", "scope": "admin"}, key=None, algorithm="none")
    else:
        token = _signed(backend, **claims)
    answer = httpx.get(
        f"{served.url}/api/v1/nodes",  # type: ignore[attr-defined]
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 401 and answer.json()["code"] == "UNAUTHORIZED"


def test_a_well_formed_signed_token_is_accepted(served: object) -> None:
    token = _signed(served.backend)  # type: ignore[attr-defined]
    answer = httpx.get(
        f"{served.url}/api/v1/nodes",  # type: ignore[attr-defined]
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200


def test_405_lists_every_allowed_method(served: object) -> None:
    http = served.http  # type: ignore[attr-defined]
    answer = http.patch("/api/v1/nodes")
    assert answer.status_code == 405 and answer.json()["code"] == "METHOD_NOT_ALLOWED"
    assert set(answer.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    answer = http.post("/api/v1/nodes/abc")
    assert set(answer.headers["allow"].split(", ")) == {"DELETE", "GET", "HEAD"}


def test_facade_405_carries_allow(kube: object) -> None:
    http = kube.http  # type: ignore[attr-defined]
    answer = http.put("/api/v1/namespaces/default/configmaps", json={})
    assert answer.status_code == 405 and answer.json()["kind"] == "Status"
    assert answer.headers["allow"] == "DELETE, GET, POST"  # deletecollection
    answer = http.post("/version")
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"


def test_revoked_and_expired_tokens_stay_401(served: object, clock: k8sedge.ManualClock) -> None:
    http = served.http  # type: ignore[attr-defined]
    node = http.post("/api/v1/nodes", json={"name": "n", "address": "a"}).json()
    token = http.post(
        "/api/v1/security/tokens", json={"node_id": node["id"], "expiration": "1h"}
    ).json()["token"]
    url = f"{served.url}/api/v1/nodes/{node['id']}"  # type: ignore[attr-defined]
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    clock.advance(2 * 3600)
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
