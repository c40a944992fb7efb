"""The ``k8sedge`` command line: ``demo`` and ``serve``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any

from ._version import __version__


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
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    admin_token = args.admin_token or os.environ.get("K8SEDGE_ADMIN_TOKEN") or None
    app = create_app(admin_token=admin_token, rate_limit=args.rate_limit)
    scheme = "https" if args.certfile else "http"
    surfaces = ", ".join(s.name for s in all_surfaces())
    print(f"k8sedge serving {surfaces} on {scheme}://{args.host}:{args.port}", flush=True)
    print(f"    connect with: k8sedge.connect('{scheme}://{args.host}:{args.port}', token=...)")
    if admin_token is None:
        print("admin token (send it as 'Authorization: Bearer <token>'):", flush=True)
        print(f"    {app.state.admin_token}", flush=True)
    options = _uvicorn_options(args)
    servers = [uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, **options))]
    if args.kube_port is not None:
        from .kubeapi import create_kube_app, write_kubeconfig

        # Kubernetes clients send credentials only over TLS (clientcmd): without TLS the
        # facade, like the real simulator's API server, asks for none.
        kube_token = app.state.admin_token if args.certfile else None
        kube_app = create_kube_app(app.state.backend.cluster, token=kube_token)
        servers.append(
            uvicorn.Server(uvicorn.Config(kube_app, host=args.host, port=args.kube_port, **options))
        )
        path = write_kubeconfig(
            args.kubeconfig, f"{scheme}://{args.host}:{args.kube_port}", kube_token
        )
        print(
            f"Kubernetes API on {scheme}://{args.host}:{args.kube_port}; kubeconfig: {path}",
            flush=True,
        )

    async def run_all() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    asyncio.run(run_all())
    return 0


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
    }


def _kubeconfig(args: argparse.Namespace) -> int:
    from .kubeapi import write_kubeconfig

    path = write_kubeconfig(args.out, args.server, args.token)
    print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="k8sedge",
        description="k8sedge: edge clusters, scheduling experiments and cluster pools.",
    )
    parser.add_argument("--version", action="version", version=f"k8sedge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="a short tour of the edge API on the memory backend")
    serve = commands.add_parser("serve", help="serve the documented HTTP APIs (memory backend)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
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
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log a line per request (off by default: it costs a third of the throughput)",
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
