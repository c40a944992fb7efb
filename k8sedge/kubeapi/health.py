"""``/healthz``, ``/livez`` and ``/readyz``, as kube-apiserver answers them: ``ok``, each
check with ``?verbose``, one check by its path (``/readyz/etcd``), 404 for an unknown one."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import PlainTextResponse, Response

from ..memory import Cluster

__all__ = ["answer"]

_CHECKS = {
    "healthz": ["ping", "log", "etcd", "poststarthook/start-kube-apiserver-informers"],
    "livez": ["ping", "log", "etcd", "poststarthook/start-kube-apiserver-informers"],
    "readyz": [
        "ping",
        "log",
        "etcd",
        "etcd-readiness",
        "informer-sync",
        "poststarthook/start-kube-apiserver-informers",
        "shutdown",
    ],
}


def _passes(check: str, cluster: Cluster) -> bool:
    if check == "shutdown":
        return not cluster.closing
    return True  # the store is in memory: it answers whenever the server does


def answer(path: str, params: Mapping[str, str], cluster: Cluster) -> Response:
    """The answer to a health path."""
    endpoint, _, single = path.strip("/").partition("/")
    checks = _CHECKS[endpoint]
    if single:
        if single not in checks:
            return PlainTextResponse("404 page not found\n", status_code=404)
        ok = _passes(single, cluster)
        return PlainTextResponse("ok" if ok else f"{single} failed", status_code=200 if ok else 500)
    excluded = set(params.getlist("exclude")) if hasattr(params, "getlist") else set()
    results = [(c, _passes(c, cluster)) for c in checks if c not in excluded]
    healthy = all(ok for _, ok in results)
    if "verbose" not in params and healthy:
        return PlainTextResponse("ok")
    lines = [
        f"[{'+' if ok else '-'}]{c} {'ok' if ok else 'failed: reason withheld'}"
        for c, ok in results
    ]
    lines += [f"[+]{c} excluded: ok" for c in checks if c in excluded]
    lines.append(f"{endpoint} check {'passed' if healthy else 'failed'}")
    return PlainTextResponse("\n".join(lines) + "\n", status_code=200 if healthy else 500)
