"""Metrics windows and JWT tokens — on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

import k8sedge
from k8sedge import ManualClock

from .helpers import register


def test_node_metrics_downsample_into_aligned_buckets(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    clock.set(datetime(2023, 7, 1, 12, 0, 0, tzinfo=UTC))
    node = register(any_client, "edge-node-1")
    base = clock.now()
    # two samples per 5-minute bucket: minute 0 and minute 1, values 10*i and 10*i+2
    for i in range(6):
        for offset, extra in ((0, 0.0), (60, 2.0)):
            any_client.edge.metrics.record(
                node.id,
                timestamp=datetime.fromtimestamp(base + i * 300 + offset, UTC),
                cpu_usage=10.0 * i + extra,
                memory_usage=3.0,
                network={"rx_bytes": 1000, "tx_bytes": 500},
            )
    clock.set(base + 29 * 60)
    result = any_client.edge.metrics.node(node.id, timeframe="30m", resolution="5m")
    assert (result.node_id, result.node_name) == (node.id, "edge-node-1")
    assert (result.timeframe, result.resolution) == ("30m", "5m")
    cpu = result.metrics["cpu_usage"]
    assert [p.value for p in cpu] == [1.0, 11.0, 21.0, 31.0, 41.0, 51.0]
    assert [p.timestamp.minute for p in cpu] == [0, 5, 10, 15, 20, 25]
    assert all(p.timestamp.second == 0 for p in cpu)
    assert [p.value for p in result.metrics["memory_usage"]] == [3.0] * 6
    assert result.metrics["network_rx_bytes"][0].value == 1000.0
    # a shorter window only sees its own buckets
    recent = any_client.edge.metrics.node(node.id, timeframe="10m", resolution="5m")
    assert [p.value for p in recent.metrics["cpu_usage"]] == [41.0, 51.0]


def test_all_metrics_aggregate_sum_over_count(
    any_client: k8sedge.Client, clock: ManualClock
) -> None:
    a = register(any_client, "a")
    b = register(any_client, "b")
    clock.advance(1800)  # mid-hour: the 1h window's single bucket holds every sample
    now = clock.now()
    # node a: three samples of 10; node b: one sample of 50 -> mean is 20, not 30
    any_client.edge.metrics.record_batch(
        a.id,
        [
            {"timestamp": datetime.fromtimestamp(now - s, UTC).isoformat(), "cpu_usage": 10.0}
            for s in (1, 2, 3)
        ],
    )
    any_client.edge.metrics.record(b.id, cpu_usage=50.0, memory_usage=1.0)
    result = any_client.edge.metrics.all(timeframe="1h", resolution="1h")
    assert result.nodes_count == 2
    assert [p.value for p in result.aggregated["cpu_usage_avg"]] == [20.0]
    assert result.nodes[a.id].cpu_usage_avg == 10.0
    assert result.nodes[a.id].memory_usage_avg is None
    assert result.nodes[b.id].name == "b"
    assert result.nodes[b.id].memory_usage_avg == 1.0
    any_client.edge.nodes.delete(b.id)
    assert any_client.edge.metrics.all("1h", "1h").nodes_count == 1


@pytest.mark.parametrize(
    ("timeframe", "resolution", "field"),
    [
        ("1x", "5m", "timeframe"),
        ("1h", "5", "resolution"),
        ("5m", "1h", "resolution"),
        ("365d", "1s", "resolution"),
        ("0h", "1m", "timeframe"),
    ],
)
def test_bad_windows_are_bad_requests(
    any_client: k8sedge.Client, timeframe: str, resolution: str, field: str
) -> None:
    node = register(any_client, "n")
    with pytest.raises(k8sedge.BadRequestError) as info:
        any_client.edge.metrics.node(node.id, timeframe=timeframe, resolution=resolution)
    assert field in info.value.details
    with pytest.raises(k8sedge.BadRequestError):
        any_client.edge.metrics.all(timeframe=timeframe, resolution=resolution)


def test_metrics_for_unknown_node_and_bad_samples(any_client: k8sedge.Client) -> None:
    with pytest.raises(k8sedge.NotFoundError):
        any_client.edge.metrics.record("nope", cpu_usage=1.0)
    node = register(any_client, "n")
    with pytest.raises(k8sedge.BadRequestError) as info:
        any_client.edge.metrics.record(node.id, cpu_usage="high")  # type: ignore[arg-type]
    assert "cpu_usage" in info.value.details
    with pytest.raises(k8sedge.BadRequestError):
        any_client.edge.metrics.record(node.id, cpu_usage=-1.0)
    with pytest.raises(k8sedge.BadRequestError):
        any_client.edge.metrics.record(node.id, timestamp="yesterday")


def test_token_lifecycle(any_client: k8sedge.Client, clock: ManualClock) -> None:
    node = register(any_client, "edge-node-1")
    issued = any_client.edge.tokens.generate(node.id, expiration="1h")
    assert issued.expires_at.timestamp() == int(clock.now()) + 3600
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    assert claims["sub"] == node.id
    assert {"exp", "iat", "jti"} <= set(claims)
    assert jwt.get_unverified_header(issued.token)["alg"] == "HS256"
    valid = any_client.edge.tokens.validate(issued.token)
    assert (valid.valid, valid.node_id, valid.expires_at) == (True, node.id, issued.expires_at)
    assert any_client.edge.tokens.revoke(issued.token).message == "Token successfully revoked"
    revoked = any_client.edge.tokens.validate(issued.token)
    assert revoked.valid is False and revoked.reason == "token revoked"
    other = any_client.edge.tokens.generate(node.id, expiration="1h")
    clock.advance(3600 + 31)
    expired = any_client.edge.tokens.validate(other.token)
    assert expired.valid is False and expired.reason == "token expired"


def test_tampered_and_garbage_tokens_are_invalid(any_client: k8sedge.Client) -> None:
    node = register(any_client, "edge-node-1")
    token = any_client.edge.tokens.generate(node.id).token
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    forged = jwt.encode(
        {"sub": node.id, "exp": 2**40, "iat": 0, "jti": "x", "iss": "k8sedge"},
        "not-the-key-not-the-key-not-the-key!",
        algorithm="HS256",
    )
    none_alg = jwt.encode({"sub": node.id}, None, algorithm="none")  # type: ignore[arg-type]
    for bad in (tampered, forged, none_alg, "garbage", ""):
        result = any_client.edge.tokens.validate(bad)
        assert result.valid is False
        assert result.reason
    with pytest.raises(k8sedge.BadRequestError):
        any_client.edge.tokens.revoke("garbage")


def test_token_requests_are_checked(any_client: k8sedge.Client) -> None:
    with pytest.raises(k8sedge.NotFoundError):
        any_client.edge.tokens.generate("nope")
    node = register(any_client, "n")
    for expiration in ("forever", "0s", "400d"):
        with pytest.raises(k8sedge.BadRequestError) as info:
            any_client.edge.tokens.generate(node.id, expiration=expiration)
        assert "expiration" in info.value.details
