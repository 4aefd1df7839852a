"""Inbound: a verified webhook envelope becomes idempotent rows.

Owns reading Meta's envelope (`envelope`: changes, message text, status items, clean
values), writing every entry/change/item of it (`ingestion`), the shapes beyond a
customer's text (`shapes`: echoes, history, edits and revokes; `events`: flow replies, call
permissions, payments, orders; `preferences`: `user_preferences` items; `values`: clean values
out of untrusted JSON), the PostgreSQL fast paths (`status_writer` for status-only webhooks,
`text_writer` for one customer's plain text, stored and answered in two round trips; the chatbot
reached through a protocol, never imported) and real-shaped sample envelopes (`sample_payloads`).

Also `signatures` (X-Hub-Signature-256), `statements` (the per-dialect inserts) and
`status_shortcut` (the WSGI fast path in front of Flask).

May import: `database_models`, `campaigns` (contacts, their identity and opt-out), `queueing` (the
queue's status moves), `integrations` (outbound webhook events), `runtime.metrics` and
`config`. Never `web`, `cli`, `runtime.context` or `outbound`.
"""
