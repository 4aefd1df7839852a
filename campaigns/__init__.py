"""Campaigns: contacts and what `broadcast_service` builds on.

Owns who a contact is (by number or business-scoped user id: `identity`), contacts (number
normalisation, upsert, CSV import: `contacts`), the encodings spreadsheets write and formula-safe CSV
cells (`spreadsheet`), placeholders (`personalisation`),
per-campaign reports (`reports`) and a campaign's status from its rows (`lifecycle`).

May import: `database_models`, each other and `integrations` (outbound webhook events). Never
`inbound`, `outbound`, `web`, `cli` or `runtime.context`.
"""
