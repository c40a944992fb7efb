"""The http SDK fails clearly against hostile servers: an answer that is not JSON is a
k8sedge error (never a ``JSONDecodeError``), and the per-attempt deadline holds when a
server drips its answer one byte at a time."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

import k8sedge
from k8sedge.backends.http import RetryPolicy
from k8sedge.errors import InternalError, TransportError

NO_RETRY = RetryPolicy(attempts=1)


class HostileServer:
    """A socket server on 127.0.0.1 answering every request with ``answer``, optionally
    one byte at a time (``drip`` seconds apart), until stopped."""

    def __init__(self, head: bytes, body: bytes, drip: float | None = None) -> None:
        self.head, self.body, self.drip = head, body, drip
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.dripping = threading.Event()  # set while a dripped answer is being sent
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.head)
                if self.drip is None:
                    conn.sendall(self.body)
                    return
                self.dripping.set()
                for byte in self.body:
                    if self.stop.wait(self.drip):
                        return
                    conn.sendall(bytes([byte]))
                self.dripping.clear()
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def html() -> Iterator[HostileServer]:
    body = b"<html><body>502 Bad Gateway</body></html>"
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    server = HostileServer(head, body)
    yield server
    server.close()


@pytest.fixture
def dripping() -> Iterator[HostileServer]:
    body = b'{"nodes": [], "pagination": {"total": 0, "page": 1, "limit": 20, "pages": 0}}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(
        body
    )
    server = HostileServer(head, body, drip=0.2)  # ~16 s for the whole answer
    yield server
    server.close()


def test_a_non_json_answer_is_a_k8sedge_error(html: HostileServer) -> None:
    with k8sedge.connect(html.url, token="t", retry=NO_RETRY) as client:
        with pytest.raises(InternalError, match="not JSON"):
            client.edge.nodes.list()
        with pytest.raises(InternalError):
            list(client.simulator.watch(timeout=1))


def test_a_non_json_answer_is_a_k8sedge_error_async(html: HostileServer) -> None:
    async def run() -> None:
        async with k8sedge.connect_async(html.url, token="t", retry=NO_RETRY) as client:
            with pytest.raises(InternalError, match="not JSON"):
                await client.edge.nodes.list()

    asyncio.run(run())


def test_the_deadline_holds_against_a_dripping_server(dripping: HostileServer) -> None:
    client = k8sedge.connect(dripping.url, token="t", timeout=1.0, retry=NO_RETRY)
    with client, pytest.raises(TransportError, match="timed out"):
        client.edge.nodes.list()
    # the server was still dripping its answer when the client gave up
    assert dripping.dripping.is_set()


def test_the_deadline_holds_against_a_dripping_server_async(dripping: HostileServer) -> None:
    async def run() -> None:
        async with k8sedge.connect_async(
            dripping.url, token="t", timeout=1.0, retry=NO_RETRY
        ) as client:
            with pytest.raises(TransportError, match="timed out"):
                await client.edge.nodes.list()

    asyncio.run(run())
    assert dripping.dripping.is_set()


def test_retries_stop_at_the_calls_total_deadline(dripping: HostileServer) -> None:
    policy = RetryPolicy(attempts=10, max_delay=2.0, sleep=lambda _: None)
    client = k8sedge.connect(dripping.url, token="t", timeout=1.0, retry=policy)
    with client, pytest.raises(TransportError):
        client.edge.nodes.list()
    assert dripping.dripping.is_set()
