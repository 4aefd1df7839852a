"""Outbound: sending the queue's due rows at the Graph API's speed.

Owns the processor (claim, render, send, record; the recording itself in `recording`),
pacing (token bucket, per-recipient gap, backoff) and the dispatch of the chatbot's replies
right after a commit (on PostgreSQL claimed and recorded by `reply_statements`, one
autocommitted statement each).

May import: `scheduler`, `database_models`, `whatsapp_service`, `campaigns`, `config`,
`runtime.metrics`, `integrations` (outbound webhook events). Never `inbound`, `web` or `cli`.
"""
