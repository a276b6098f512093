"""The client's answer to a connection the server drops: against a real socket server.

The server here answers the first request of each connection and resets (or closes) the
connection on the next one before answering, as a server does whose keep-alive timeout ran
out just as the client reused the connection. A safe request (``GET``) is sent again once on a
new connection; a ``POST`` is never sent twice (it may have been carried out), and its error
says so.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from sandbox.client import SandboxClient, SandboxConnectionError


@dataclass
class DroppingServer:
    """A loopback HTTP/1.1 server that answers ``answered`` requests per connection, then
    drops the connection on the next one after reading it (``reset``: an RST, else a FIN)."""

    answered: int = 1
    reset: bool = True
    requests: list[tuple[int, str, str]] = field(default_factory=list)
    """(connection number, method, path) of every request read, in order."""
    connections: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(
                target=self._handle, args=(conn, self.connections), daemon=True
            ).start()

    def _handle(self, conn: socket.socket, number: int) -> None:
        reader = conn.makefile("rb")
        with conn, reader:
            for served in range(self.answered + 1):
                request_line = reader.readline().decode()
                if not request_line:
                    return  # the client closed it
                method, path, _ = request_line.split(" ", 2)
                length = 0
                while (line := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                reader.read(length)
                self.requests.append((number, method, path))
                if served == self.answered:
                    if self.reset:  # SO_LINGER 0: close sends an RST, not a FIN
                        conn.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                    return
                body = json.dumps({"status": "ok", "connection": number}).encode()
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )


@pytest.fixture(params=[True, False], ids=["reset", "closed"])
def server(request: pytest.FixtureRequest) -> Iterator[DroppingServer]:
    made = DroppingServer(reset=request.param)
    yield made
    made.stop()


def test_a_get_on_a_dropped_connection_is_sent_again_on_a_new_one(
    server: DroppingServer,
) -> None:
    with SandboxClient(server.url, "sbx_secret") as client:
        assert client.health()["connection"] == 1
        again = client.health()  # the pooled connection 1 is dropped under it
    assert again["connection"] == 2
    assert server.requests == [
        (1, "GET", "/v1/health"),
        (1, "GET", "/v1/health"),
        (2, "GET", "/v1/health"),
    ]


def test_a_post_on_a_dropped_connection_is_never_sent_twice(server: DroppingServer) -> None:
    with SandboxClient(server.url, "sbx_secret") as client:
        client.health()
        with pytest.raises(SandboxConnectionError, match="may have been carried out"):
            client.submit_job(["people"], source="x")
    assert server.requests == [(1, "GET", "/v1/health"), (1, "POST", "/v1/jobs")]
    assert server.connections == 1


def test_a_get_is_sent_again_only_once() -> None:
    server = DroppingServer(answered=0)  # every connection is dropped on its first request
    try:
        with SandboxClient(server.url, "sbx_secret") as client:
            with pytest.raises(SandboxConnectionError) as raised:
                client.health()
        assert "carried out" not in str(raised.value)  # a GET changes nothing
        assert server.requests == [(1, "GET", "/v1/health"), (2, "GET", "/v1/health")]
    finally:
        server.stop()
