"""The ceiling for bench/webhook_load.py: a Flask app whose POST /webhook only reads the body and answers 200.

Served by the same gunicorn configuration as the real app
(`gunicorn -c gunicorn.conf.py 'bench.bare_app:create_app()'`), it measures what this
machine's gunicorn + Flask + client can do with no signature check, no JSON and no
database, so the real app's throughput can be quoted as a ratio of it.
"""

from __future__ import annotations

from flask import Flask, Response, request


def create_app() -> Flask:
    """The bare app: POST /webhook reads the body; GET /healthz answers."""
    app = Flask(__name__)

    @app.post("/webhook")
    def receive() -> Response:
        request.get_data(cache=False)
        return Response("OK", status=200, mimetype="text/plain")

    @app.get("/healthz")
    def health() -> Response:
        return Response('{"status": "ok"}', mimetype="application/json")

    return app
