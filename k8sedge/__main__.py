"""The ``k8sedge`` command line: ``demo`` and ``serve``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ._version import __version__


def _uvicorn_server() -> type:
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - without the server extra
        return object
    return uvicorn.Server


_LOOPBACK = ("127.0.0.1", "localhost", "::1")
GRACEFUL_SHUTDOWN = 2.0  # seconds open requests (watches) get after SIGTERM


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in _LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from .server import create_app, parse_rate_limit
        from .surfaces import all_surfaces
    except ImportError as exc:  # pragma: no cover - depends on the install
        print(
            f"k8sedge serve needs the server extra: pip install 'k8sedge[server]' ({exc})",
            file=sys.stderr,
        )
        return 2
    if bool(args.certfile) != bool(args.keyfile):
        print("--certfile and --keyfile go together", file=sys.stderr)
        return 2
    try:
        parse_rate_limit(args.rate_limit)
        from .backends.memory import MemoryBackend
        from .limits import Limits

        limits = Limits(max_replicas=args.max_replicas, max_import_objects=args.max_import_objects)
        if args.max_body < 1 or args.kube_max_body < 1:
            raise ValueError("--max-body and --kube-max-body must be positive")
        if not 0 <= args.job_run_time < 10**9:
            raise ValueError("--job-run-time must be a number of seconds, 0 or more")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    admin_token = args.admin_token or os.environ.get("K8SEDGE_ADMIN_TOKEN") or None
    from .errors import K8sEdgeError

    try:
        backend = MemoryBackend(
            limits=limits, data_dir=args.data_dir, job_run_time=args.job_run_time
        )
    except (K8sEdgeError, OSError) as exc:
        print(f"k8sedge serve: {exc}", file=sys.stderr)
        return 2
    if args.data_dir is not None:
        print(_loaded_line(args.data_dir, backend.cluster), flush=True)
    app = create_app(
        backend,
        admin_token=admin_token,
        rate_limit=args.rate_limit,
        max_body=args.max_body,
    )
    scheme = "https" if args.certfile else "http"
    surfaces = ", ".join(s.name for s in all_surfaces())
    print(f"k8sedge serving {surfaces} on {scheme}://{args.host}:{args.port}", flush=True)
    print(f"    connect with: k8sedge.connect('{scheme}://{args.host}:{args.port}', token=...)")
    if admin_token is None:
        print("admin token (send it as 'Authorization: Bearer <token>'):", flush=True)
        print(f"    {app.state.admin_token}", flush=True)
    common = _uvicorn_options(args)
    servers = [_Server(uvicorn.Config(app, host=args.host, port=args.port, **common))]
    if args.kube_port is not None:
        from .kubeapi import create_kube_app, write_kubeconfig

        # Kubernetes clients send credentials only over TLS (clientcmd), so on loopback
        # without TLS the facade, like the real simulator's API server, asks for none; on
        # any other address it is never open: it requires the admin token.
        exposed = not _is_loopback(args.host)
        kube_token = app.state.admin_token if args.certfile or exposed else None
        if exposed and not args.certfile:
            print(
                f"the Kubernetes API facade listens on {args.host}, not a loopback address, "
                "without TLS: it requires the admin token (kubectl sends tokens only over "
                "TLS: give --certfile and --keyfile to use kubectl from another machine)",
                file=sys.stderr,
                flush=True,
            )
        kube_app = create_kube_app(
            app.state.backend.cluster, token=kube_token, max_body=args.kube_max_body
        )
        servers.append(
            _Server(uvicorn.Config(kube_app, host=args.host, port=args.kube_port, **common))
        )
        path = write_kubeconfig(
            args.kubeconfig, f"{scheme}://{args.host}:{args.kube_port}", kube_token
        )
        print(
            f"Kubernetes API on {scheme}://{args.host}:{args.kube_port}; kubeconfig: {path}",
            flush=True,
        )
    # what start-up built lives as long as the server: keep it out of every collection
    gc.collect()
    gc.freeze()
    try:
        with asyncio.Runner(loop_factory=_loop_factory(servers[0].config)) as runner:
            runner.run(_run_all(servers, backend.cluster))
    finally:
        backend.cluster.close()  # the last writes reach the data directory
    return 0


def _loaded_line(data_dir: str, cluster: Any) -> str:
    """What ``serve --data-dir`` found: a new directory, or counts of what it restored."""
    durability = cluster.durability
    if durability is None or durability.data.created:
        return f"data directory {data_dir}: new; every change is kept here"
    counts = ", ".join(f"{kind}: {n}" for kind, n in sorted(durability.loaded.items()) if n)
    return f"data directory {data_dir}: loaded {counts or 'an empty cluster'}"


def _uvicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    """How ``serve`` runs uvicorn: uvloop and httptools where installed (the ``server`` extra
    installs both), and no line per request unless ``--access-log``."""
    import importlib.util

    def have(module: str) -> bool:
        return importlib.util.find_spec(module) is not None

    return {
        "loop": "uvloop" if have("uvloop") else "asyncio",
        "http": "httptools" if have("httptools") else "h11",
        "access_log": args.access_log,
        "log_level": args.log_level,
        "lifespan": "off",
        "ssl_certfile": args.certfile,
        "ssl_keyfile": args.keyfile,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN,
    }


def _loop_factory(config: Any) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop uvicorn's ``loop`` option names (uvloop where installed): the servers
    run in one loop of our own, so uvicorn's ``run()`` never gets to choose it."""
    get_loop_factory = getattr(config, "get_loop_factory", None)
    if get_loop_factory is not None:  # uvicorn >= 0.36
        factory: Callable[[], asyncio.AbstractEventLoop] | None = get_loop_factory()
        return factory
    config.setup_event_loop()  # older uvicorn: sets the event loop policy
    return None


class _Server(_uvicorn_server()):  # type: ignore[misc]
    """A uvicorn server whose signals are handled once for all servers (``_run_all``)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _run_all(servers: list[Any], cluster: Any) -> None:
    """Serve until SIGTERM or SIGINT; then open watches end, and every server stops within
    ``GRACEFUL_SHUTDOWN`` seconds (a second SIGINT stops at once)."""
    loop = asyncio.get_running_loop()

    def stop(sig: int) -> None:
        cluster.end_watches()
        for server in servers:
            if server.should_exit and sig == signal.SIGINT:
                server.force_exit = True
            server.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop, sig)
    await asyncio.gather(*(server.serve() for server in servers))


def _kubeconfig(args: argparse.Namespace) -> int:
    from .kubeapi import write_kubeconfig

    path = write_kubeconfig(args.out, args.server, args.token)
    print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from .limits import DEFAULT_MAX_BODY, DEFAULT_MAX_KUBE_BODY, Limits

    parser = argparse.ArgumentParser(
        prog="k8sedge",
        description="k8sedge: edge clusters, scheduling experiments and cluster pools.",
    )
    parser.add_argument("--version", action="version", version=f"k8sedge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="a short tour of the edge API on the memory backend")
    serve = commands.add_parser("serve", help="serve the documented HTTP APIs (memory backend)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8443, help="port (default 8443)")
    serve.add_argument("--certfile", help="TLS certificate (PEM); with --keyfile, serve HTTPS")
    serve.add_argument("--keyfile", help="TLS private key (PEM)")
    serve.add_argument(
        "--admin-token",
        help="admin bearer token (default: $K8SEDGE_ADMIN_TOKEN, "
        "else a generated admin JWT, printed at start)",
    )
    serve.add_argument(
        "--rate-limit",
        default="600/minute",
        help="per-token limit: '600/minute' (default), '50/second', or 'off'",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help="uvicorn's log level (default info)",
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log a line per request (off by default: it costs a third of the throughput)",
    )
    serve.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        help=f"largest request body in bytes (default {DEFAULT_MAX_BODY}); larger is 413",
    )
    serve.add_argument(
        "--kube-max-body",
        type=int,
        default=DEFAULT_MAX_KUBE_BODY,
        help=f"largest request body of the Kubernetes API facade (default {DEFAULT_MAX_KUBE_BODY})",
    )
    serve.add_argument(
        "--max-replicas",
        type=int,
        default=Limits().max_replicas,
        help="most replicas (pods) one workload, Deployment, StatefulSet or Job may ask for "
        f"(default {Limits().max_replicas})",
    )
    serve.add_argument(
        "--max-import-objects",
        type=int,
        default=Limits().max_import_objects,
        help=f"most objects one simulator import may carry (default {Limits().max_import_objects})",
    )
    serve.add_argument(
        "--data-dir",
        default=os.environ.get("K8SEDGE_DATA_DIR") or None,
        help="keep the cluster in this directory (SQLite) across restarts; one server per "
        "directory (default: in memory only; env K8SEDGE_DATA_DIR)",
    )
    serve.add_argument(
        "--job-run-time",
        type=float,
        default=1.0,
        help="seconds a Job's pod runs before it succeeds (default 1; per pod: the "
        "k8sedge.io/run-seconds annotation)",
    )
    serve.add_argument(
        "--kube-port",
        type=int,
        default=None,
        help="also serve the Kubernetes API facade on this port (e.g. 3131)",
    )
    serve.add_argument(
        "--kubeconfig",
        default=os.path.expanduser("~/.kube/k8sedge.json"),
        help="where to write the facade's kubeconfig",
    )
    kubeconfig = commands.add_parser("kubeconfig", help="write a kubeconfig for the facade")
    kubeconfig.add_argument("--server", default="http://127.0.0.1:3131")
    kubeconfig.add_argument("--token", default=os.environ.get("K8SEDGE_ADMIN_TOKEN"))
    kubeconfig.add_argument("--out", default=os.path.expanduser("~/.kube/k8sedge.json"))
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        run_demo()
        return 0
    if args.command == "kubeconfig":
        return _kubeconfig(args)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
