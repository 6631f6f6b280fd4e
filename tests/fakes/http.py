"""A threaded HTTP server on 127.0.0.1 with scripted responses and a log of the requests it saw."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Canned:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request arrived


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a run killed or timed out mid-request) is no error of the server's, and its
        traceback would land in whichever test captures stderr then; anything else is still printed."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class LoopbackServer:
    """Subclasses implement `answer(seen) -> Canned`; `script` answers first, in order, when not empty."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.script: list[Canned] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:  # the client went away mid-request (a killed run): nothing to answer
                    self.close_connection = True
                    return
                seen = Seen(self.command, self.path, dict(self.headers), body, time.monotonic())
                with server._lock:
                    server.requests.append(seen)
                    canned = server.script.pop(0) if server.script else None
                if canned is None:
                    canned = server.answer(seen)
                self.send_response(canned.status)
                headers = {"Content-Type": "application/octet-stream", **canned.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in canned.headers:  # a canned length may lie, as broken servers do
                    self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)
                if canned.headers.get("Connection") == "close":
                    self.close_connection = True

            do_GET = _handle
            do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, seen: Seen) -> Canned:
        raise NotImplementedError

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
