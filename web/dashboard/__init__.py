"""The operator dashboard blueprint (`/dashboard`): login, session, CSRF, and the analytics page.

Server-rendered Jinja pages (templates/dashboard/) with inline SVG charts (web/dashboard/charts.py);
no JavaScript. Access needs a login with ADMIN_API_TOKEN (in development, the printed
development token), kept in Flask's signed, HttpOnly, SameSite session cookie and recorded
server-side (web/dashboard/sessions.py), checked on every request, so logging out ends the
session for every copy of the cookie at once. Every POST carries a per-session CSRF token
checked here. Failed logins are throttled per client address (in this process) and per browser
session (in the signed cookie, which every worker can read): see docs/dashboard.md.
One module per job: `login` (session, CSRF, login/logout, the guard), `throttle` (failed
logins), `page` (error page, template context, security headers), `overview` with `dates` and
`kpis` (the analytics page, its date range and its view model), `inbox_pages` over `inbox`'s
queries (the handoff inbox), `charts` (SVG), `sessions` (the server-side login record),
`language` (the Persian/English switch; translations and formats are `web.i18n`'s).
`webhooks_page`: outbound webhook subscriptions and their deliveries (`integrations`).
Importing this package registers every page on `blueprint.dashboard`.

May import the services, `scheduler`, `database_models` and `runtime`; only `webhook_handler`
imports it.
"""

from __future__ import annotations

import web.dashboard.webhooks_page  # noqa: F401  (registers the outbound webhook pages)
from web.dashboard import inbox_pages, language, login, overview, page  # each registers its views on the blueprint
from web.dashboard.blueprint import dashboard

__all__ = ["dashboard", "inbox_pages", "language", "login", "overview", "page"]
