"""Web: what operators see over HTTP, mounted by `webhook_handler.create_app()`.

`web.api` is the admin JSON API under `/api/` (with its OpenAPI document and `/metrics`);
`web.dashboard` is the Persian dashboard with the handoff inbox; `web.request_db` is the one
way either gets a database session in a request; `web.i18n` the interface language.

May import every service (`broadcast_service`, `chatbot_service`, `analytics_service`,
`scheduler`), `campaigns`, `language`, `database_models` and `runtime`. Nothing below the
web imports it.
"""
