"""The httpx client and transports under pywa: one stdlib connection per thread, an optional redirect.

`whatsapp_service.WhatsAppService` builds its client on `PerThreadTransport`, wrapped in a
`RedirectTransport` when the base URL is not Meta's own (the fake Graph API in tests, a proxy).
"""

from __future__ import annotations

import base64
import http.client
import select
import socket
import ssl
import threading
import time
import urllib.request

import httpx

GRAPH_API_HOST = "graph.facebook.com"
KEEPALIVE_SECONDS = 30.0  # a kept-alive connection idle longer is replaced (httpx's keepalive_expiry before)


class RedirectTransport(httpx.BaseTransport):
    """Sends every request to another scheme/host/port, keeping its path and query.

    pywa pins the session's base_url to https://graph.facebook.com/v{version}, so the
    redirect happens below the client, on each outgoing request.
    """

    def __init__(self, base_url: str, inner: httpx.BaseTransport) -> None:
        target = httpx.URL(base_url)
        self._scheme, self._host, self._port = target.scheme, target.host, target.port
        self._path_prefix = target.path.rstrip("/")
        self._netloc = target.netloc.decode("ascii")
        self._targets: dict[bytes, httpx.URL] = {}
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Forward `request` to the target, with a Host header that matches it."""
        # The request is re-addressed in place and each target URL built once: httpx's URL
        # parsing was a tenth of a reply's CPU in the benchmark (docs/scale.md).
        path = request.url.raw_path
        url = self._targets.get(path)
        if url is None:
            url = request.url.copy_with(scheme=self._scheme, host=self._host, port=self._port,
                                        path=self._path_prefix + request.url.path)
            if len(self._targets) < 1024:  # a handful of endpoints; media ids could make more
                self._targets[path] = url
        request.url = url
        request.headers["Host"] = self._netloc
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport's connection pool."""
        self._inner.close()


class _Connection:
    """One thread's connection to one origin, with when it was last used."""

    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self.connection, self.idle_since = connection, time.monotonic()

    def usable(self) -> bool:
        """False when idle too long or the server has closed it (readable while idle: EOF or junk)."""
        sock = self.connection.sock
        if sock is None or time.monotonic() - self.idle_since > KEEPALIVE_SECONDS:
            return False
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return False
        poller = select.poll()  # not select.select: a descriptor above 1023 is fine
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)


class PerThreadTransport(httpx.BaseTransport):
    """One kept-alive `http.client` connection per thread and origin, behind a cap on concurrent requests.

    Not httpx's own transport: httpcore and h11 were a third of a send's CPU here (docs/scale.md §7,
    fifth round: a send's CPU 0.38 → 0.26 ms). Not a shared pool either: httpcore 1.0.9's collapses when
    many threads wait on it (each freed connection is offered to every queued request, in O(n*m)
    passes) and can close a connection another thread is still using (encode/httpcore#1110). A sync
    client sends one request at a time per thread, so one connection per thread needs no sharing.

    Failures are raised as httpx's own transport raises them (tests/unit/graph_api/
    test_stdlib_transport.py runs both against the same servers), so pywa and `whatsapp_service`
    classify them as before. A kept-alive connection the server has closed, or idle past
    KEEPALIVE_SECONDS, is replaced before anything is written to it; nothing is ever retried
    after the first byte was written (without an idempotency key, retrying is the caller's
    decision, made from the SendResult).
    """

    def __init__(self, max_concurrent_requests: int, ssl_context: ssl.SSLContext | None = None,
                 proxy: str | None = None) -> None:
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        self._proxy = _tunnel_proxy(proxy) if proxy else None
        self._slots = threading.BoundedSemaphore(max_concurrent_requests)
        self._local = threading.local()
        self._all: dict[tuple[threading.Thread, tuple], _Connection] = {}  # (thread, origin): its connection
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` on this thread's connection to its origin once a request slot is free."""
        timeouts = request.extensions.get("timeout", {})
        if not self._slots.acquire(timeout=timeouts.get("pool")):
            raise httpx.PoolTimeout("no free request slot", request=request)
        try:
            return self._send(request, timeouts)
        finally:
            self._slots.release()

    def _send(self, request: httpx.Request, timeouts: dict) -> httpx.Response:
        url = request.url
        origin = (url.scheme, url.host, url.port)
        connections = self._local.__dict__.setdefault("connections", {})
        held = connections.get(origin)
        if held is None or not held.usable():
            if held is not None:
                held.connection.close()
            held = connections[origin] = self._open(request, origin, timeouts)
        connection = held.connection
        body = request.read()
        headers = request.headers.raw
        if "Transfer-Encoding" in request.headers:  # a stream of unknown length, read whole above
            headers = [(name, value) for name, value in headers if name.lower() != b"transfer-encoding"]
            headers.append((b"Content-Length", str(len(body)).encode("ascii")))
        phase = "write"
        try:
            connection.putrequest(request.method, url.raw_path.decode("ascii"), skip_host=True,
                                  skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body or None)
            phase = "read"
            connection.sock.settimeout(timeouts.get("read"))
            answer = connection.getresponse()
            content = answer.read()
        except BaseException as error:
            connection.close()
            del connections[origin]
            converted = _as_httpx(error, phase, request)
            if converted is error:
                raise
            raise converted from error
        if answer.will_close:
            connection.close()
            del connections[origin]
        held.idle_since = time.monotonic()
        return httpx.Response(answer.status, headers=answer.msg.items(), stream=httpx.ByteStream(content),
                              extensions={"http_version": b"HTTP/1.1",
                                          "reason_phrase": answer.reason.encode("ascii", "replace")})

    def _open(self, request: httpx.Request, origin: tuple, timeouts: dict) -> _Connection:
        scheme, host, port = origin
        if scheme == "https" and self._proxy is not None:
            # Through the proxy's CONNECT tunnel; TLS, its SNI and the certificate check are still the Graph API's.
            proxy_host, proxy_port, proxy_headers = self._proxy
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                proxy_host, proxy_port, timeout=timeouts.get("connect"), context=self._ssl_context)
            connection.set_tunnel(host, port, headers=proxy_headers)
        elif scheme == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=timeouts.get("connect"), context=self._ssl_context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeouts.get("connect"))
        try:
            connection.connect()
        except BaseException as error:
            connection.close()
            converted = _as_httpx(error, "connect", request)
            if converted is error:
                raise
            raise converted from error
        connection.sock.settimeout(timeouts.get("write"))
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        held = _Connection(connection)
        with self._lock:  # close the connections of threads that have ended
            ended = [key for key in self._all if not key[0].is_alive()]
            closing = [self._all.pop(key) for key in ended]
            self._all[threading.current_thread(), origin] = held
        for each in closing:
            each.connection.close()
        return held

    def close(self) -> None:
        """Close every thread's connections."""
        with self._lock:
            held, self._all = list(self._all.values()), {}
        for each in held:
            each.connection.close()


def _tunnel_proxy(proxy: str) -> tuple[str, int, dict[str, str]]:
    """An http:// proxy URL as (host, port, CONNECT headers); credentials in the URL become Proxy-Authorization."""
    url = httpx.URL(proxy)
    if url.scheme != "http" or not url.host:
        # The scheme only: the URL may carry the proxy's password.
        raise ValueError(f"HTTPS_PROXY must be an http:// URL (a proxy that tunnels with CONNECT), not {url.scheme}://…")
    headers = {}
    if url.username or url.password:
        credentials = f"{url.username}:{url.password}".encode()
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    return url.host, url.port or 80, headers


def graph_api_proxy(base_url: str | None) -> str | None:
    """The proxy the environment names for Meta's Graph API (HTTPS_PROXY / ALL_PROXY, minus NO_PROXY), else None.

    Only for Meta's own address: a base URL elsewhere (the fake Graph API, a reverse proxy) is reached
    directly. httpx reads these variables only for a client without a transport of its own, and ours
    always has one, so they are read here.
    """
    if needs_redirect(base_url):
        return None
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get("https") or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass_environment(GRAPH_API_HOST, proxies):
        return None
    return proxy


def _as_httpx(error: BaseException, phase: str, request: httpx.Request) -> BaseException:
    """The httpx exception its own transport raises for `error` in `phase` (connect, write or read)."""
    if not isinstance(error, (OSError, http.client.HTTPException)):
        return error
    if isinstance(error, TimeoutError):
        kind = {"connect": httpx.ConnectTimeout, "write": httpx.WriteTimeout, "read": httpx.ReadTimeout}[phase]
        return kind(str(error) or "timed out", request=request)
    if isinstance(error, http.client.RemoteDisconnected):
        return httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
    if isinstance(error, http.client.HTTPException):
        return httpx.RemoteProtocolError(f"{type(error).__name__}: {error}", request=request)
    kind = {"connect": httpx.ConnectError, "write": httpx.WriteError, "read": httpx.ReadError}[phase]
    return kind(str(error), request=request)


def needs_redirect(base_url: str | None) -> bool:
    """False for no base URL or Meta's own, so production requests go straight out."""
    if not base_url:
        return False
    url = httpx.URL(base_url)
    is_meta = url.scheme == "https" and url.host == GRAPH_API_HOST and url.port is None
    return not (is_meta and url.path in ("", "/"))


class _NoCookieJar(httpx.Cookies):
    """A cookie jar that keeps nothing: the Graph API authenticates by token and needs no cookie back."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Read no Set-Cookie header (httpx's jar parses every response's headers: ~6% of a reply's CPU)."""


class GraphClient(httpx.Client):
    """httpx's client, merging each endpoint pywa asks for with the base URL once, keeping no cookies.

    pywa calls the same few endpoints (`/{phone id}/messages`); httpx parses and joins the
    URL anew on every request. The memo is keyed by the endpoint and belongs to the base URL
    it was merged with (pywa sets `base_url` after building the client).
    """

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._merged: dict[str, tuple[httpx.URL, httpx.URL]] = {}
        self._cookies = _NoCookieJar()  # httpx's `cookies` setter would wrap it in a plain jar

    def _merge_url(self, url: httpx.URL | str) -> httpx.URL:
        if not isinstance(url, str):
            return super()._merge_url(url)
        known = self._merged.get(url)
        if known is not None and known[0] is self._base_url:
            return known[1]
        merged = super()._merge_url(url)
        if len(self._merged) < 256:
            self._merged[url] = (self._base_url, merged)
        return merged
