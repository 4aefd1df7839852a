"""The httpx client and transports under pywa: one connection per thread, an optional redirect.

`whatsapp_service.WhatsAppService` builds its client on `PerThreadTransport`, wrapped in a
`RedirectTransport` when the base URL is not Meta's own (the fake Graph API in tests, a proxy).
"""

from __future__ import annotations

import threading

import httpx

GRAPH_API_HOST = "graph.facebook.com"


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


class PerThreadTransport(httpx.BaseTransport):
    """A one-connection pool per thread, behind a cap on concurrent requests.

    httpcore 1.0.9's shared pool collapses when many threads wait on it (each freed
    connection is offered to every queued request, in O(n*m) passes) and can close a
    connection another thread is still using (encode/httpcore#1110): a sent message then
    looks like a connection error and invites a duplicate. A sync client sends one
    request at a time per thread, so one connection per thread needs no sharing at all.
    """

    def __init__(self, max_concurrent_requests: int) -> None:
        self._ssl_context = httpx.create_ssl_context()  # ~17 ms each: build it once, share it
        self._slots = threading.BoundedSemaphore(max_concurrent_requests)
        self._local = threading.local()
        self._pools: list[tuple[threading.Thread, httpx.HTTPTransport]] = []
        self._lock = threading.Lock()

    def _own_pool(self) -> httpx.HTTPTransport:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            # No transport-level retries: without an idempotency key, retrying is the
            # caller's decision, made from the SendResult.
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=30.0)
            pool = self._local.pool = httpx.HTTPTransport(verify=self._ssl_context, limits=limits, retries=0)
            with self._lock:  # close the pools of threads that have ended
                ended = [p for thread, p in self._pools if not thread.is_alive()]
                self._pools = [(t, p) for t, p in self._pools if t.is_alive()]
                self._pools.append((threading.current_thread(), pool))
            for ended_pool in ended:
                ended_pool.close()
        return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` on this thread's connection once a request slot is free."""
        wait = request.extensions.get("timeout", {}).get("pool")
        if not self._slots.acquire(timeout=wait):
            raise httpx.PoolTimeout("no free request slot", request=request)
        try:
            return self._own_pool().handle_request(request)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            pools, self._pools = self._pools, []
        for _, pool in pools:
            pool.close()


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
