"""Runtime: what every process (web worker, cron processor, Celery worker, CLI) shares.

`context` is the one per-process assembler: it builds the engine, sessions, sender,
processor, chatbot and reply dispatcher from a `Config`, and so sits above all of them.
`app_logging` (JSON logs) and `metrics` (Prometheus) are leaves everything may import: they
import no project module, or the arrows would run both ways.
"""
