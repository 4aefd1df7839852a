"""A subscriber's endpoint for outbound-webhook tests: a real HTTP server in a thread.

It records every POST (headers and raw body) and answers `status` (200 unless told
otherwise); `stop()` takes it off the network (connections are refused) and `start()` puts
it back on the same port, as a receiver that was down and came back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One POST the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """Records POSTs on 127.0.0.1:<port> and answers `status`."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.status = 200
        self.headers: dict[str, str] = {}  # extra response headers (a Retry-After, say)
        self.received: list[Received] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/whatsapp"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        # Polling for shutdown every 0.05 s (serve_forever's default 0.5 s made each stop() wait up to half a second).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
