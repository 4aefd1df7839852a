"""Integrations: outbound webhooks to the shop's other systems.

Owns operators' subscriptions (`subscriptions`: create, list, delete, URL checks), the
outbox of events written in the transaction that produced them (`outbox`: the one
INSERT … SELECT and the short-lived "anyone subscribed?" cache; `events`: one function per
event type, each called from one line at its emission site; `status_sql`: the same event
inside the PostgreSQL status-only statement), the signature (`signing`) and the delivery by
the processor (`delivery`: claims, POSTs with httpx, retries with backoff for a day).

At the level of the services: may import `database_models`, `config` and the runtime leaves
(`runtime.metrics`, `runtime.app_logging`); never `web`, `cli`, `webhook_handler` or the
services that emit events (inbound, campaigns, chatbot_service, …), which import it.
"""
