"""Inbound: a verified webhook envelope becomes idempotent rows.

Owns parsing every entry/change/item of Meta's envelope (`ingestion`), the shapes beyond a
customer's text (`shapes`), the PostgreSQL status-only fast path (`status_writer`) and
real-shaped sample envelopes (`sample_payloads`).

May import: `database_models`, `queue_rules` and the standard library. Never `web`, `cli`,
`runtime.context` or the outbound queue (`scheduler`): the queue is below this package.
"""
