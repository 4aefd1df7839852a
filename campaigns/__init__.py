"""Campaigns: contacts and what `broadcast_service` builds on.

Owns who a contact is (by number or business-scoped user id: `identity`, which finds or
creates the contact, over `webhook_identity`, which reads it from a payload, and
`contact_merge`, which folds two contacts into one), the one writer of a contact's marketing
choice with its source, reason and history (`opt_out`), contacts (number
normalisation, upsert, CSV import in any spreadsheet encoding with English or Persian headers,
and its write-free parse for previews: `contacts`), the encodings spreadsheets write and formula-safe CSV
cells (`spreadsheet`), placeholders (`personalisation`),
per-campaign reports (`reports`), a campaign's status from its rows (`lifecycle`), who an audience is
(`recipients`, shared by scheduling and the estimate) and the 24-hour rule with the builder's estimate
and preview (`estimate`; the processor sends by the same `send_route`).

May import: `database_models`, each other and `integrations` (outbound webhook events). Never
`inbound`, `outbound`, `web`, `cli` or `runtime.context`.
"""
