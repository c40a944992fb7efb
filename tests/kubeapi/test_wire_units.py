"""The facade's wire pieces on their own: protobuf (envelope, apimachinery's special
encodings, Go's pointer and value fields), media types, OpenAPI documents, field sets and
server-side apply conflicts."""

from __future__ import annotations

import json

import httpx
import pytest

import k8sedge
from k8sedge.errors import ConflictError
from k8sedge.kubeapi import create_kube_app
from k8sedge.kubeapi.apply import apply
from k8sedge.kubeapi.fields import from_fields_v1, path_string, to_fields_v1
from k8sedge.kubeapi.protobuf import (
    MAGIC,
    PROTOBUF,
    decode,
    encode,
    format_duration,
    parse_duration,
    parse_time,
    watch_frame,
)
from k8sedge.kubeapi.tables import human_duration
from k8sedge.server.threaded import serve_in_thread

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "p",
        "namespace": "default",
        "labels": {"app": "web"},
        "creationTimestamp": "2024-05-01T10:20:30Z",
    },
    "spec": {
        "containers": [
            {
                "name": "c",
                "image": "nginx",
                "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}},
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
            }
        ],
        "terminationGracePeriodSeconds": 0,
        "tolerations": [{"key": "k", "operator": "Exists", "tolerationSeconds": 5}],
    },
}


def test_protobuf_round_trip_keeps_the_object() -> None:
    raw = encode(POD)
    assert raw.startswith(MAGIC)
    back = decode(raw)
    assert back == {**POD, "status": back.get("status", {})} or back == POD
    assert back["spec"]["terminationGracePeriodSeconds"] == 0  # a pointer: zero is set
    assert back["spec"]["containers"][0]["resources"]["requests"] == {
        "cpu": "250m",
        "memory": "64Mi",
    }


def test_value_fields_at_zero_are_unset_and_special_types_convert() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 0,
            "minReadySeconds": 0,  # a Go value field: zero means unset (omitempty)
            "paused": False,
            "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
        },
    }
    back = decode(encode(deployment))
    assert back["spec"]["replicas"] == 0
    assert "minReadySeconds" not in back["spec"] and "paused" not in back["spec"]
    assert back["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%", "maxUnavailable": 1}
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"k": "aGk="},
    }
    assert decode(encode(secret))["data"] == {"k": "aGk="}
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "e"},
        "eventTime": "2024-05-01T10:20:30.123456Z",
        "reason": "Scheduled",
    }
    assert decode(encode(event))["eventTime"] == "2024-05-01T10:20:30.123456Z"


@pytest.mark.parametrize(
    ("text", "nanos", "shown"),
    [
        # Go's time.ParseDuration and Duration.String() (src/time/time_test.go cases)
        ("0", 0, "0s"),
        ("1h2m3s", 3723 * 10**9, "1h2m3s"),
        ("1.5s", 1_500_000_000, "1.5s"),
        ("100ms", 100_000_000, "100ms"),
        ("-2m", -120 * 10**9, "-2m0s"),
        ("90m", 5400 * 10**9, "1h30m0s"),
    ],
)
def test_go_durations(text: str, nanos: int, shown: str) -> None:
    assert parse_duration(text) == nanos
    assert format_duration(nanos) == shown


def test_times_and_human_durations() -> None:
    assert parse_time("1970-01-01T00:00:01.5Z") == (1, 500_000_000)
    assert parse_time("2024-01-01T01:00:00+01:00")[0] == parse_time("2024-01-01T00:00:00Z")[0]
    # apimachinery pkg/util/duration duration_test.go TestHumanDuration
    for seconds, shown in [
        (0, "0s"),
        (119, "119s"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600, "3h"),
        (7 * 3600 + 1800, "7h30m"),
        (50 * 3600, "2d2h"),
        (30 * 86400, "30d"),
        (3 * 365 * 86400, "3y"),
    ]:
        assert human_duration(seconds) == shown


def test_watch_frames_are_length_prefixed_watch_events() -> None:
    frame = watch_frame("ADDED", encode(POD))
    size = int.from_bytes(frame[:4], "big")
    assert size == len(frame) - 4
    from google.protobuf import message_factory

    from k8sedge.kubeapi.protobuf import _pool

    event_type = message_factory.GetMessageClass(
        _pool().FindMessageTypeByName("k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent")
    )
    event = event_type.FromString(frame[4:])
    assert event.type == "ADDED" and decode(event.object.raw)["metadata"]["name"] == "p"


def test_fields_v1_and_paths() -> None:
    paths = {
        ("f:spec", "f:replicas"),
        ("f:metadata", "f:labels"),
        ("f:metadata", "f:labels", "f:app"),
        ("f:spec", "f:containers", 'k:{"name":"c"}', "f:image"),
    }
    fields = to_fields_v1(paths)
    assert fields["f:metadata"]["f:labels"] == {".": {}, "f:app": {}}
    assert from_fields_v1(fields) == paths
    assert path_string(("f:spec", "f:containers", 'k:{"name":"c"}', "f:image")) == (
        '.spec.containers[name="c"].image'
    )


def test_apply_conflict_messages() -> None:
    """Message format of k8s.io/apiserver ``fieldmanager/internal/conflict.go``
    (``NewConflictError``; conflict_test.go ``TestNewConflictError``)."""
    live = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "cm",
            "managedFields": [
                {
                    "manager": "a",
                    "operation": "Apply",
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {"f:x": {}, "f:y": {}}},
                },
                {
                    "manager": "b",
                    "operation": "Update",
                    "apiVersion": "v1",
                    "time": "2024-01-01T00:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {"f:x": {}}},
                },
            ],
        },
        "data": {"x": "1", "y": "2"},
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm"},
        "data": {"x": "9"},
    }
    with pytest.raises(ConflictError) as raised:
        apply(live, config, "c", "2024-01-02T00:00:00Z", force=False, plural="configmaps")
    assert raised.value.message == (
        'Apply failed with 2 conflicts: conflicts with "a":\n- .data.x\n'
        'conflicts with "b" using v1 at 2024-01-01T00:00:00Z:\n- .data.x'
    )
    causes = raised.value.details["causes"]
    assert {c["reason"] for c in causes} == {"FieldManagerConflict"}
    forced = apply(live, config, "c", "2024-01-02T00:00:00Z", force=True, plural="configmaps")
    assert forced["data"] == {"x": "9", "y": "2"}
    owners = {e["manager"]: e["fieldsV1"] for e in forced["metadata"]["managedFields"]}
    assert owners["a"] == {"f:data": {"f:y": {}}} and "b" not in owners
    assert owners["c"] == {"f:data": {"f:x": {}}}
    # a manager that stops applying a field it alone owned removes it
    again = apply(forced, {**config, "data": {}}, "a", "t", force=False, plural="configmaps")
    assert again["data"] == {"x": "9"}


def test_media_types_openapi_and_protobuf_answers() -> None:
    backend = k8sedge.MemoryBackend()
    app = create_kube_app(backend.cluster)
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as http:
        created = http.post(
            "/api/v1/namespaces/default/configmaps",
            content=encode(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "pb"},
                    "data": {"a": "1"},
                }
            ),
            headers={"content-type": PROTOBUF, "accept": f"{PROTOBUF}, application/json"},
        )
        assert created.status_code == 201 and created.headers["content-type"] == PROTOBUF
        assert decode(created.content)["data"] == {"a": "1"}
        yaml_body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\ndata: {b: '2'}\n"
        made = http.post(
            "/api/v1/namespaces/default/configmaps",
            content=yaml_body,
            headers={"content-type": "application/yaml"},
        )
        assert made.status_code == 201 and made.json()["data"] == {"b": "2"}
        odd = http.post(
            "/api/v1/namespaces/default/configmaps",
            content=b"<x/>",
            headers={"content-type": "application/xml"},
        )
        assert odd.status_code == 415 and odd.json()["reason"] == "UnsupportedMediaType"
        refused = http.get(
            "/api/v1/namespaces/default/configmaps/pb", headers={"accept": "text/html"}
        )
        assert refused.status_code == 406 and refused.json()["kind"] == "Status"
        broken = http.post(
            "/api/v1/namespaces/default/configmaps",
            content=MAGIC + b"\xff\xff",
            headers={"content-type": PROTOBUF},
        )
        assert broken.status_code == 400 and broken.json()["kind"] == "Status"
        index = http.get("/openapi/v3").json()["paths"]
        assert {"api/v1", "apis/apps/v1", "apis/batch/v1"} <= set(index)
        apps = http.get(index["apis/apps/v1"]["serverRelativeURL"]).json()
        assert "io.k8s.api.apps.v1.Deployment" in apps["components"]["schemas"]
        patch = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
        assert {"fieldValidation", "fieldManager", "force"} <= {
            p["name"] for p in patch["parameters"]
        }
        assert patch["x-kubernetes-group-version-kind"]["kind"] == "Deployment"
        swagger = http.get("/openapi/v2", headers={"accept": "application/json"}).json()
        assert swagger["swagger"] == "2.0" and "io.k8s.api.core.v1.Pod" in swagger["definitions"]
        assert http.get("/openapi/v3/apis/nothing/v1").status_code == 404
        health = http.get("/readyz", params={"verbose": "1"})
        assert health.text.endswith("readyz check passed\n")
        assert http.get("/healthz/nothing").status_code == 404
        scale = http.get("/apis/apps/v1/namespaces/default/deployments/none/scale")
        assert scale.status_code == 404
        strict = http.post(
            "/api/v1/namespaces/default/configmaps",
            params={"fieldValidation": "Strict"},
            json={"metadata": {"name": "s"}, "dta": {}},
        )
        assert strict.status_code == 400 and 'unknown field "dta"' in strict.json()["message"]
        no_manager = http.patch(
            "/api/v1/namespaces/default/configmaps/pb",
            content=json.dumps({"apiVersion": "v1", "kind": "ConfigMap"}),
            headers={"content-type": "application/apply-patch+yaml"},
        )
        assert no_manager.status_code == 400 and "fieldManager" in no_manager.json()["message"]
