"""Fixtures for the seed-parity tests: a counting HTTP server, and a bucket on ``mediaproc serve`` for
the CLI runs on the OSS provider (the suite's ``cli`` fixture runs the CLI).

The HTTP server is stdlib ``http.server`` on 127.0.0.1 in a thread. It counts the body bytes it
sends per path, and for the over-the-cap cases it *holds* the rest of the body until the client
hangs up (or 10 s pass): a client that stops at its cap hangs up and the count stays at what it
was given; a client that reads on gets everything and the count shows it. That makes "never read
past the cap" observable without any timing assertion.
"""

from __future__ import annotations

import select
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from support.cli import CliResult as CliResult  # one definition for the suite; the tests here import it from here

DATA = Path(__file__).resolve().parents[1] / "data"
HOLD_SECONDS = 10.0
REGION = "cn-hangzhou"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    length: bool = True  # send Content-Length
    hold_after: int | None = None  # send this many body bytes, then wait for the client to hang up
    location: str | None = None
    content_type: str = "application/octet-stream"


@dataclass
class Served:
    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)  # body bytes sent per path
    hits: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str, query: str = "") -> str:
        return f"{self.base}{path}" + (f"?{query}" if query else "")

    def add(self, path: str, **kw: Any) -> str:
        self.routes[path] = Route(**kw)
        return self.url(path)


def _client_gone(sock: socket.socket, timeout: float) -> bool:
    """Wait until the peer closes (True) or ``timeout`` passes (False)."""
    readable, _w, _x = select.select([sock], [], [], timeout)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # close-delimited bodies when there is no Content-Length

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with served.lock:
                served.hits[path] = served.hits.get(path, 0) + 1
            route = served.routes.get(path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "9")
                self.end_headers()
                self.wfile.write(b"not found")
                return
            self.send_response(route.status)
            if route.location:
                self.send_header("Location", route.location)
            self.send_header("Content-Type", route.content_type)
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.flush()
            body = route.body
            try:
                if route.hold_after is not None:
                    first = body[: route.hold_after]
                    self._send(path, first)
                    if _client_gone(self.connection, HOLD_SECONDS):
                        return
                    body = body[route.hold_after :]
                self._send(path, body)
            except (BrokenPipeError, ConnectionResetError):
                return

        def _send(self, path: str, data: bytes) -> None:
            for i in range(0, len(data), 64 * 1024):
                chunk = data[i : i + 64 * 1024]
                self.wfile.write(chunk)
                self.wfile.flush()
                with served.lock:
                    served.sent[path] = served.sent.get(path, 0) + len(chunk)

    return Handler


@pytest.fixture
def http_server() -> Iterator[Served]:
    served = Served(base="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    server.daemon_threads = True
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder every temporary file of this test goes to (so leftovers can be seen)."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@dataclass
class OssBucket:
    """A bucket on the emulator, and the environment that points mediaproc at it."""

    emulator: Any
    bucket: str

    def env(self) -> dict[str, str]:
        return self.emulator.oss_cli_env(self.bucket)

    def sdk(self) -> Any:
        import oss2

        auth = oss2.AuthV4(self.emulator.access_key_id, self.emulator.access_key_secret)
        return oss2.Bucket(auth, self.emulator.url, self.bucket, region=REGION)

    def keys(self, prefix: str = "") -> list[str]:
        import oss2

        return [o.key for o in oss2.ObjectIteratorV2(self.sdk(), prefix=prefix)]

    def get(self, key: str) -> bytes:
        return self.sdk().get_object(key).read()

    def uri(self, key: str) -> str:
        return f"oss://{self.bucket}/{key}"


@pytest.fixture
def oss(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> OssBucket:
    """A fresh bucket on ``mediaproc serve``; mediaproc's (clean, see ``isolated_env``) environment points at it."""
    env = OssBucket(emulator, f"mp-{uuid.uuid4().hex[:12]}")
    for name, value in env.env().items():
        monkeypatch.setenv(name, value)
    env.sdk().create_bucket()
    return env
