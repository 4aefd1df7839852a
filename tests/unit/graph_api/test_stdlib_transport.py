"""The stdlib transport under pywa's client (`PerThreadTransport`) behaves as httpx's own does, failure by failure.

Each case runs against a scripted raw-socket server through both transports and expects the
same answer or the same httpx exception: `whatsapp_service` classifies sends by those classes
(a timeout or a transport error is retryable), so a difference would change what is retried.
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable

import httpx
import pytest

from graph_api.transports import PerThreadTransport, graph_api_proxy

TIMEOUT = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)


def _transports() -> dict[str, Callable[[], httpx.BaseTransport]]:
    return {"httpx": lambda: httpx.HTTPTransport(retries=0), "stdlib": lambda: PerThreadTransport(10)}


class ScriptedServer:
    """Accepts connections on 127.0.0.1 and hands each to `handle(connection, index)` in a thread."""

    def __init__(self, handle: Callable[[socket.socket, int], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handle, self.accepted = handle, 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            index, self.accepted = self.accepted, self.accepted + 1
            threading.Thread(target=self._run, args=(connection, index), daemon=True).start()

    def _run(self, connection: socket.socket, index: int) -> None:
        with connection:
            self.handle(connection, index)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/messages"

    def close(self) -> None:
        self.listener.close()


def read_request(connection: socket.socket) -> bytes:
    """One request (headers and a Content-Length body) off the connection; b"" when the client closed it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += connection.recv(65536)
    return data


def answer(body: bytes = b'{"ok": true}', extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n" + extra + b"\r\n" + body)


@pytest.fixture(params=sorted(_transports()))
def client_for(request):
    """A factory of httpx clients on the transport named by the parameter, closed after the test."""
    clients: list[httpx.Client] = []

    def build() -> httpx.Client:
        client = httpx.Client(transport=_transports()[request.param](), timeout=TIMEOUT)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def test_a_kept_alive_connection_serves_the_next_request(client_for):
    def handle(connection, _index):
        while read_request(connection):
            connection.sendall(answer())

    server = ScriptedServer(handle)
    client = client_for()
    assert [client.post(server.url, json={"n": n}).json() for n in range(3)] == [{"ok": True}] * 3
    assert server.accepted == 1
    server.close()


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending(client_for):
    answered = threading.Event()

    def handle(connection, _index):  # answers one request, then closes the kept-alive connection
        if read_request(connection):
            connection.sendall(answer())
            answered.set()

    server = ScriptedServer(handle)
    client = client_for()
    assert client.post(server.url, json={}).status_code == 200
    answered.wait(2)
    threading.Event().wait(0.1)  # the server's FIN reaches the client
    assert client.post(server.url, json={}).status_code == 200  # not an error: nothing was sent on the dead one
    assert server.accepted == 2
    server.close()


def test_connection_close_is_honoured(client_for):
    def handle(connection, _index):
        if read_request(connection):
            connection.sendall(answer(extra=b"Connection: close\r\n"))

    server = ScriptedServer(handle)
    client = client_for()
    assert [client.get(server.url).status_code for _ in range(2)] == [200, 200]
    assert server.accepted == 2
    server.close()


def test_a_server_that_closes_without_answering_is_a_remote_protocol_error(client_for):
    def handle(connection, _index):
        read_request(connection)

    server = ScriptedServer(handle)
    with pytest.raises(httpx.RemoteProtocolError):
        client_for().post(server.url, json={})
    server.close()


def test_a_slow_answer_is_a_read_timeout(client_for):
    release = threading.Event()

    def handle(connection, _index):
        read_request(connection)
        release.wait(5)

    server = ScriptedServer(handle)
    with pytest.raises(httpx.ReadTimeout):
        client_for().post(server.url, json={})
    release.set()
    server.close()


def test_a_refused_connection_is_a_connect_error(client_for):
    spare = socket.create_server(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()
    with pytest.raises(httpx.ConnectError):
        client_for().post(f"http://127.0.0.1:{port}/v1/messages", json={})


def test_5xx_answers_and_gzip_and_chunked_bodies_reach_the_caller_as_httpx_reads_them(client_for):
    compressed = gzip.compress(b'{"error": {"code": 2}}')

    def handle(connection, index):
        read_request(connection)
        if index == 0:
            connection.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                               b"Content-Encoding: gzip\r\nContent-Length: " + str(len(compressed)).encode()
                               + b"\r\nConnection: close\r\n\r\n" + compressed)
        else:
            connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                               b"5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n")

    server = ScriptedServer(handle)
    client = client_for()
    failed = client.post(server.url, json={})
    assert (failed.status_code, failed.json(), failed.reason_phrase) == (503, {"error": {"code": 2}},
                                                                         "Service Unavailable")
    assert client.post(server.url, json={}).json() == {"a": 1}
    server.close()


def test_a_body_of_unknown_length_is_sent_whole(client_for):
    received: list[bytes] = []

    def handle(connection, _index):
        data = b""
        while not data.endswith(b"0\r\n\r\n") and b"ab-cd" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
        received.append(data)
        connection.sendall(answer(extra=b"Connection: close\r\n"))

    server = ScriptedServer(handle)
    assert client_for().post(server.url, content=iter([b"ab", b"-cd"])).status_code == 200
    assert b"ab" in received[0] and b"cd" in received[0]
    server.close()


def self_signed(tmp_path_factory, name: str, alternative_name: str) -> tuple[str, str]:
    """A self-signed certificate (openssl) for `name`, as (certificate, key) paths."""
    openssl = shutil.which("openssl")
    if openssl is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but openssl is not installed (Debian: openssl)")
        pytest.skip("openssl is not installed")
    directory = tmp_path_factory.mktemp("tls")
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName={alternative_name}",
                    "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
                   check=True, capture_output=True)
    return str(directory / "cert.pem"), str(directory / "key.pem")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1."""
    return self_signed(tmp_path_factory, "localhost", "IP:127.0.0.1")


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "untrusted"])
def test_tls_is_verified_and_its_connection_kept_alive(certificate, trusted):
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*certificate)

    def handle(connection, _index):
        try:
            with server_context.wrap_socket(connection, server_side=True) as tls:
                while read_request(tls):
                    tls.sendall(answer())
        except (ssl.SSLError, OSError):
            pass  # the client refused the certificate

    server = ScriptedServer(handle)
    client_context = ssl.create_default_context(cafile=certificate[0] if trusted else None)
    url = server.url.replace("http://", "https://")
    for transport in (httpx.HTTPTransport(verify=client_context, retries=0), PerThreadTransport(4, client_context)):
        with httpx.Client(transport=transport, timeout=TIMEOUT) as client:
            if trusted:
                assert [client.post(url, json={}).json() for _ in range(2)] == [{"ok": True}] * 2
            else:
                with pytest.raises(httpx.ConnectError):
                    client.post(url, json={})
    assert server.accepted == 2  # one kept-alive connection per transport, or one refused each
    server.close()


@pytest.fixture(scope="module")
def graph_certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for graph.facebook.com."""
    return self_signed(tmp_path_factory, "graph.facebook.com", "DNS:graph.facebook.com")


class TunnellingProxy(ScriptedServer):
    """A CONNECT proxy on 127.0.0.1 that tunnels every request to `target_port` and notes what it was asked."""

    def __init__(self, target_port: int, password: str | None = None) -> None:
        self.target_port, self.password, self.asked = target_port, password, []
        super().__init__(self._tunnel)

    def _tunnel(self, connection: socket.socket, _index: int) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = connection.recv(4096)
            if not chunk:
                return
            head += chunk
        self.asked.append(head.decode("latin-1"))
        if self.password is not None and f"Proxy-Authorization: Basic {self.password}" not in self.asked[-1]:
            connection.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            return
        with socket.create_connection(("127.0.0.1", self.target_port)) as upstream:
            connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

            def pump(source: socket.socket, sink: socket.socket) -> None:
                try:
                    while data := source.recv(65536):
                        sink.sendall(data)
                except OSError:
                    pass
                finally:
                    sink.close()

            threading.Thread(target=pump, args=(upstream, connection), daemon=True).start()
            pump(connection, upstream)


def test_meta_is_reached_through_the_proxys_tunnel_with_its_own_certificate_checked(graph_certificate):
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*graph_certificate)
    served_names = []

    def handle(connection, _index):
        with server_context.wrap_socket(connection, server_side=True) as tls:
            while request := read_request(tls):
                served_names.append(request.split(b"\r\n")[0])
                tls.sendall(answer())

    graph = ScriptedServer(handle)
    proxy = TunnellingProxy(graph.port, password="c2hvcDpzZWNyZXQ=")  # shop:secret
    transport = PerThreadTransport(4, ssl.create_default_context(cafile=graph_certificate[0]),
                                   proxy=f"http://shop:secret@127.0.0.1:{proxy.port}")
    with httpx.Client(transport=transport, timeout=TIMEOUT) as client:
        answers = [client.post("https://graph.facebook.com/v21.0/123/messages", json={}).json() for _ in range(2)]
    assert answers == [{"ok": True}] * 2
    assert served_names == [b"POST /v21.0/123/messages HTTP/1.1"] * 2
    assert len(proxy.asked) == 1 and proxy.asked[0].startswith("CONNECT graph.facebook.com:443 HTTP/1.")
    graph.close(), proxy.close()


def test_a_proxy_that_refuses_the_tunnel_is_a_connect_error(graph_certificate):
    proxy = TunnellingProxy(target_port=1, password="x")  # asks for credentials the URL does not carry
    transport = PerThreadTransport(4, ssl.create_default_context(cafile=graph_certificate[0]),
                                   proxy=f"http://127.0.0.1:{proxy.port}")
    with httpx.Client(transport=transport, timeout=TIMEOUT) as client, pytest.raises(httpx.ConnectError, match="407"):
        client.post("https://graph.facebook.com/v21.0/123/messages", json={})
    assert len(proxy.asked) == 1
    proxy.close()


def test_the_environments_proxy_applies_to_meta_only(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert graph_api_proxy(None) is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.shop.example:3128")
    assert graph_api_proxy(None) == "http://proxy.shop.example:3128"
    assert graph_api_proxy("https://graph.facebook.com") == "http://proxy.shop.example:3128"
    assert graph_api_proxy("http://127.0.0.1:9000") is None  # the fake Graph API or a reverse proxy: direct
    monkeypatch.setenv("NO_PROXY", "localhost,.facebook.com")
    assert graph_api_proxy(None) is None


def test_a_proxy_that_cannot_tunnel_is_refused_when_the_service_starts():
    with pytest.raises(ValueError, match="HTTPS_PROXY must be an http:// URL") as refused:
        PerThreadTransport(4, proxy="socks5://shop:s3cret@127.0.0.1:1080")
    assert "s3cret" not in str(refused.value)  # the error names the scheme, never the proxy's password
