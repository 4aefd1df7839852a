"""The operator dashboard blueprint (`/dashboard`): login, session, CSRF, and the analytics page.

Server-rendered Jinja pages (templates/dashboard/) with inline SVG charts (web/dashboard/charts.py);
no JavaScript but the inbox's. Access needs an operator's login (username and password, `accounts`), kept in
Flask's signed, HttpOnly, SameSite session cookie and recorded server-side
(web/dashboard/sessions.py), checked on every request, so logging out, disabling the operator
or a new password ends the session for every copy of the cookie at once. Every POST carries a
per-session CSRF token checked here. Failed logins are throttled per client address (in this
process), per browser session (in the signed cookie) and per account (in the audit trail): see
docs/dashboard.md. An agent sees the overview, the inbox and the contacts; the rest is an
admin's (`access.admin_required`).
One module per job: `login` (session, CSRF, login/logout, the guard), `throttle` (failed
logins), `access` (roles), `users_page` (operators), `account_page` (one's own password),
`audit_page` (the audit trail), `page` (error page, template context, security headers), `overview` with `dates` and
`kpis` (the analytics page, its date range and its view model), `inbox_pages` over `inbox_list`
and `inbox`, with `conversation_pages` over `conversations` and `saved_replies_pages` (the team
inbox; static/inbox.js, its only script, adds live updates), `charts` (SVG), `sessions` (the
server-side login record),
`language` (the Persian/English switch; translations and formats are `web.i18n`'s),
`contacts_pages` over `contacts_queries` (the contacts list, export, a contact's page, edits and
opt-out), `contacts_import` (CSV upload, preview, commit) and `contacts_messages` (import and
edit problems in the interface language); the campaigns:
`campaign_pages` (list, a campaign's page and controls, CSV), `campaign_builder` (estimate, preview,
schedule) over `campaign_form`, `campaign_queries` and `campaign_labels`;
`webhooks_page`: outbound webhook subscriptions and their deliveries (`integrations`);
`orders_pages` (the orders list, a contact's orders panel) and `orders_import` (CSV upload, preview, commit);
`uploads`: the files both imports keep between upload and commit;
`templates_page` (the synced message templates) and `inbox_templates` (a thread's template and file
sends), both over `template_picker`, the picker the campaign builder shares.
Importing this package registers every page on `blueprint.dashboard`.

May import the services (and `campaigns`, `language`, `analytics.funnels`' stage definitions), `scheduler`,
`database_models` and `runtime`; only `webhook_handler` imports it.
"""

from __future__ import annotations

from web.dashboard import (  # each registers its views on the blueprint
    account_page,  # the operator's own account: a new password
    audit_page,  # the audit trail (admins)
    campaign_pages,  # the campaigns' pages, with the builder (campaign_builder)
    contacts_pages,  # the contacts' pages, with the upload (contacts_import)
    conversation_pages,  # the inbox's actions on a conversation
    inbox_pages,
    inbox_templates,  # the thread's "send a template" and "send a file"
    language,
    login,
    orders_pages,  # the shop's orders, with the upload (orders_import) and the panel beside a conversation
    overview,
    page,
    saved_replies_pages,  # the team's saved replies
    templates_page,  # the synced message templates, and their sync
    users_page,  # the operators (admins)
    webhooks_page,  # outbound webhook subscriptions and their deliveries
)
from web.dashboard.blueprint import dashboard

__all__ = ["account_page", "audit_page", "campaign_pages", "contacts_pages", "conversation_pages", "dashboard",
           "inbox_pages", "inbox_templates", "language", "login", "orders_pages", "overview", "page",
           "saved_replies_pages", "templates_page", "users_page", "webhooks_page"]
