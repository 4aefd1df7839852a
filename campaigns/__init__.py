"""Campaigns: what `broadcast_service` builds on.

Owns placeholders (`personalisation`), per-campaign reports (`reports`), contacts (number
normalisation, upsert, CSV import: `contacts`) and a campaign's status from its rows
(`lifecycle`).

May import: `database_models` and each other. Never `inbound`, `outbound`, `web`, `cli` or
`runtime.context`.
"""
