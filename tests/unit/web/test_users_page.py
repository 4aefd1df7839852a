"""Roles and the users page: an agent sees the inbox and contacts only; an admin manages operators."""

from __future__ import annotations

import pytest
from dashboard_testing import log_in, make_operator, operator_id, post_form
from sqlalchemy import select

from database_models import AuditEvent, Operator
from web.dashboard.access import admin_required

AGENT_PAGES = ["/dashboard", "/dashboard/inbox", "/dashboard/contacts", "/dashboard/orders"]
ADMIN_PAGES = ["/dashboard/users", "/dashboard/audit", "/dashboard/campaigns", "/dashboard/campaigns/new",
               "/dashboard/webhooks", "/dashboard/orders/import", "/dashboard/templates"]
# The endpoints of the admin's pages, by name; every one must carry admin_required.
# An orders upload may notify customers, so it is the admins'.
ADMIN_ENDPOINTS = ("campaign", "webhook", "users", "audit", "orders_import", "orders_upload", "templates")
AGENT_ENDPOINTS = {"overview", "login", "logout", "inbox_list", "conversation", "contacts_list", "contact_page",
                   "contact_edit", "contact_opt_out", "contacts_import", "account", "account_password",
                   "orders_list"}


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_agent_is_refused_admin_pages_with_a_403_page(agent, path):
    answer = agent.get(path)
    assert answer.status_code == 403
    assert "Only an admin may open this page." in answer.get_data(as_text=True)


def test_an_agent_cannot_post_to_admin_pages_either(app, agent, db):
    answer = post_form(agent, "/dashboard/users", {"username": "mallory", "password": "long enough password",
                                                   "password_again": "long enough password", "role": "admin"},
                       page="/dashboard/inbox")
    assert answer.status_code == 403
    assert db.scalars(select(Operator).where(Operator.username == "mallory")).first() is None
    db.commit()


def test_the_403_page_reads_in_persian(app):
    make_operator(app, "agent", "test-agent-password", "agent")
    client = app.test_client()
    assert log_in(client, "test-agent-password", "agent").status_code == 302
    page = client.get("/dashboard/users")
    assert page.status_code == 403 and "فقط مدیر می‌تواند این صفحه را باز کند." in page.get_data(as_text=True)


@pytest.mark.parametrize("path", AGENT_PAGES)
def test_an_agent_works_in_the_inbox_and_contacts_and_the_nav_hides_the_rest(agent, path):
    page = agent.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for hidden in ('href="/dashboard/users"', 'href="/dashboard/campaigns"', 'href="/dashboard/webhooks"',
                   'href="/dashboard/audit"', 'href="/dashboard/orders/import"'):
        assert hidden not in html


def test_an_admin_sees_every_page_in_the_nav(logged_in):
    html = logged_in.get("/dashboard").get_data(as_text=True)
    for shown in ("/dashboard/users", "/dashboard/campaigns", "/dashboard/webhooks", "/dashboard/audit"):
        assert f'href="{shown}"' in html
    for path in ADMIN_PAGES:
        assert logged_in.get(path).status_code == 200, path


def test_every_admin_page_is_marked_admin_only_and_no_agent_page_is(app):
    views = {rule.endpoint.removeprefix("dashboard."): app.view_functions[rule.endpoint]
             for rule in app.url_map.iter_rules() if rule.endpoint.startswith("dashboard.")}
    admin_only = {name for name, view in views.items() if getattr(view, "admin_only", False)}
    assert {name for name in views if name.startswith(ADMIN_ENDPOINTS)} == admin_only
    assert AGENT_ENDPOINTS <= set(views) - admin_only
    assert getattr(admin_required(lambda: None), "admin_only", False)


def test_an_admin_creates_an_agent_who_then_logs_in(logged_in, app, db):
    answer = post_form(logged_in, "/dashboard/users", {"username": "Sara", "display_name": "Sara K.", "role": "agent",
                                                       "password": "sara's password", "password_again":
                                                       "sara's password"}, page="/dashboard/users")
    assert answer.status_code == 302
    listed = logged_in.get("/dashboard/users").get_data(as_text=True)
    assert "sara can log in now." in listed and 'data-operator="sara"' in listed and "Sara K." in listed
    sara = app.test_client()
    assert log_in(sara, "sara's password", "sara").status_code == 302
    assert sara.get("/dashboard/users").status_code == 403
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "operator.created")).one()
    db.commit()
    assert (event.operator_id, event.subject_id) == (operator_id(app, "admin"), str(operator_id(app, "sara")))


@pytest.mark.parametrize(("fields", "message"), [
    ({"username": "admin", "role": "agent"}, "An operator with that username exists already."),
    ({"username": "sara", "role": "owner"}, "Choose a role: admin or agent."),
    ({"username": "sara", "role": "agent", "password": "short", "password_again": "short"},
     "The password needs at least 8 characters."),
    ({"username": "sara", "role": "agent", "password_again": "something else"}, "The two passwords are not the same."),
    ({"username": "sara karimi", "role": "agent"}, "A username has 2 to 64 characters"),
])
def test_a_refused_operator_is_explained_and_nothing_is_written(logged_in, app, db, fields, message):
    form = {"password": "long enough password", "password_again": "long enough password", **fields}
    answer = post_form(logged_in, "/dashboard/users", form, page="/dashboard/users")
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    assert "long enough password" not in answer.get_data(as_text=True)
    assert [name for name in db.scalars(select(Operator.username))] == ["admin"]
    db.commit()


def test_an_admin_cannot_disable_themself_nor_the_last_admin(logged_in, app):
    admin = operator_id(app, "admin")
    answer = post_form(logged_in, f"/dashboard/users/{admin}/disable", page="/dashboard/users")
    assert answer.status_code == 302
    assert "You cannot disable your own account." in logged_in.get("/dashboard/users").get_data(as_text=True)
    assert logged_in.get("/dashboard").status_code == 200


def test_enabling_and_unknown_operators(logged_in, app):
    make_operator(app, "sara", "test-agent-password", "agent")
    sara = operator_id(app, "sara")
    post_form(logged_in, f"/dashboard/users/{sara}/disable", page="/dashboard/users")
    assert 'data-state="disabled"' in logged_in.get("/dashboard/users").get_data(as_text=True)
    post_form(logged_in, f"/dashboard/users/{sara}/enable", page="/dashboard/users")
    assert log_in(app.test_client(), "test-agent-password", "sara").status_code == 302
    for action in ("disable", "enable", "password"):
        assert post_form(logged_in, f"/dashboard/users/999999/{action}", page="/dashboard/users").status_code == 404


def test_the_users_page_reads_in_persian(persian):
    html = persian.get("/dashboard/users").get_data(as_text=True)
    assert "<h1>کاربران</h1>" in html and "افزودن اپراتور" in html and "مدیر" in html
