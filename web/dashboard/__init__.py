"""The operator dashboard blueprint (`/dashboard`): login, session, CSRF, and the analytics page.

Server-rendered Jinja pages (templates/dashboard/) with inline SVG charts (web/dashboard/charts.py);
no JavaScript but the inbox's. Access needs a login with ADMIN_API_TOKEN (in development, the printed
development token), kept in Flask's signed, HttpOnly, SameSite session cookie and recorded
server-side (web/dashboard/sessions.py), checked on every request, so logging out ends the
session for every copy of the cookie at once. Every POST carries a per-session CSRF token
checked here. Failed logins are throttled per client address (in this process) and per browser
session (in the signed cookie, which every worker can read): see docs/dashboard.md.
One module per job: `login` (session, CSRF, login/logout, the guard), `throttle` (failed
logins), `page` (error page, template context, security headers), `overview` with `dates` and
`kpis` (the analytics page, its date range and its view model), `inbox_pages` over `inbox_list`
and `inbox`, with `conversation_pages` over `conversations` and `saved_replies_pages` (the team
inbox; static/inbox.js, its only script, adds live updates), `charts` (SVG), `sessions` (the
server-side login record), `language` (the Persian/English switch; translations and formats are `web.i18n`'s),
`contacts_pages` over `contacts_queries` (the contacts list, export, a contact's page, edits and
opt-out), `contacts_import` (CSV upload, preview, commit) and `contacts_messages` (import and
edit problems in the interface language); the campaigns:
`campaign_pages` (list, a campaign's page and controls, CSV), `campaign_builder` (estimate, preview,
schedule) over `campaign_form`, `campaign_queries` and `campaign_labels`;
`webhooks_page`: outbound webhook subscriptions and their deliveries (`integrations`).
Importing this package registers every page on `blueprint.dashboard`.

May import the services (and `campaigns`, `language`, `analytics.funnels`' stage definitions), `scheduler`,
`database_models` and `runtime`; only `webhook_handler` imports it.
"""

from __future__ import annotations

from web.dashboard import (  # each registers its views on the blueprint
    campaign_pages,  # the campaigns' pages, with the builder (campaign_builder)
    contacts_pages,  # the contacts' pages, with the upload (contacts_import)
    conversation_pages,  # the inbox's actions on a conversation
    inbox_pages,
    language,
    login,
    overview,
    page,
    saved_replies_pages,  # the team's saved replies
    webhooks_page,  # outbound webhook subscriptions and their deliveries
)
from web.dashboard.blueprint import dashboard

__all__ = ["campaign_pages", "contacts_pages", "dashboard", "inbox_pages", "language", "login", "overview", "page",
           "webhooks_page", "conversation_pages", "saved_replies_pages"]
