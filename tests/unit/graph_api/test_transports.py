"""The httpx client under pywa keeps no cookies: the Graph API authenticates by token."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from graph_api.transports import GraphClient


class _SetsCookies(BaseHTTPRequestHandler):
    seen_cookies: list[str | None] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).seen_cookies.append(self.headers.get("Cookie"))
        self.send_response(200)
        self.send_header("Set-Cookie", "session=abc; Path=/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_a_set_cookie_is_neither_kept_nor_sent_back():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SetsCookies)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # shutdown() waits a poll
    thread.start()
    try:
        with GraphClient(base_url=f"http://127.0.0.1:{server.server_address[1]}") as client:
            assert client.get("/v1/messages").status_code == 200
            assert client.get("/v1/messages").status_code == 200
            assert len(client.cookies) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert _SetsCookies.seen_cookies == [None, None]
