"""`/dashboard/webhooks`: outbound webhook subscriptions, and per subscription its recent deliveries.

Operators subscribe a URL to events (the secret is shown once, on the page that answers the
creation), see each event's attempts, last status code and next retry, and unsubscribe.
Admins only; subscribing and unsubscribing are recorded in the audit trail. The
work is `integrations.subscriptions`'; every POST carries the session's CSRF token (`login`).
"""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from integrations.outbox import EVENT_TYPES
from integrations.subscriptions import (
    SubscriptionError,
    create_subscription,
    delete_subscription,
    get_subscription,
    list_subscriptions,
    recent_deliveries,
)
from runtime.context import platform
from web.dashboard.access import admin_required
from web.dashboard.blueprint import dashboard
from web.dashboard.operators import record_action

logger = logging.getLogger("web.dashboard.webhooks")
_SUBSCRIPTION = "<int(min=1, max=2147483647):subscription_id>"


def event_labels() -> dict[str, str]:
    """What each event type means, in the interface language."""
    return {
        "message.received": _("A customer wrote"),
        "message.status": _("A sent message was delivered, read or failed"),
        "conversation.handoff": _("A conversation was handed to a person"),
        "broadcast.completed": _("A broadcast finished"),
        "contact.opted_out": _("A contact opted out"),
    }


def _refusal(error: SubscriptionError) -> str:
    """The service's refusal in the interface language."""
    if error.field == "url" and error.reason == "private":
        return _("That address is on this machine or a private network. Webhooks go only to public addresses "
                 "unless WEBHOOK_ALLOW_PRIVATE_URLS is set.")
    if error.field == "url":
        return _("Enter an http or https address with no user name or password in it.")
    if error.field == "events":
        return _("Choose at least one event.")
    return _("The description is too long.")


@dashboard.get("/dashboard/webhooks", endpoint="webhooks")
@admin_required
def webhooks_page() -> str:
    """Every subscription and the form to add one."""
    with platform().session_factory() as db:
        subscriptions = list_subscriptions(db)
    return render_template("dashboard/webhooks.html", subscriptions=subscriptions, event_types=EVENT_TYPES,
                           event_labels=event_labels(), created=None, form={})


@dashboard.post("/dashboard/webhooks", endpoint="webhooks_create")
@admin_required
def create_webhook() -> str | tuple[str, int]:
    """Subscribe a URL; the answer shows the secret, this once."""
    form = {"url": request.form.get("url", ""), "description": request.form.get("description", "").strip(),
            "events": request.form.getlist("events")}
    created, status = None, 201
    with platform().session_factory() as db:
        try:
            created = create_subscription(db, form["url"], form["events"], form["description"] or None,
                                          allow_private=platform().config.webhook_allow_private_urls)
            record_action(db, "webhook.created", "webhook", created.id, events=form["events"])
            db.commit()
        except SubscriptionError as error:
            flash(_refusal(error), "error")
            db.rollback()
            status = 400
        subscriptions = list_subscriptions(db)
    # Rendered after the session closed: on SQLite the page's inbox count would wait for its lock.
    if created is not None:
        logger.info("webhook subscription created", extra={"event": "dashboard.webhook_created",
                                                           "subscription_id": created.id})
    return render_template("dashboard/webhooks.html", subscriptions=subscriptions, event_types=EVENT_TYPES,
                           event_labels=event_labels(), created=created, form={} if created else form), status


@dashboard.get(f"/dashboard/webhooks/{_SUBSCRIPTION}", endpoint="webhook_deliveries")
@admin_required
def webhook_deliveries(subscription_id: int) -> str:
    """One subscription's newest events: status, attempts, last answer, next retry."""
    with platform().session_factory() as db:
        subscription = get_subscription(db, subscription_id)
        if subscription is None:
            abort(404, _("There is no such webhook subscription."))
        deliveries = recent_deliveries(db, subscription_id)
    return render_template("dashboard/webhooks_deliveries.html", subscription=subscription, deliveries=deliveries,
                           event_labels=event_labels())


@dashboard.post(f"/dashboard/webhooks/{_SUBSCRIPTION}/delete", endpoint="webhook_delete")
@admin_required
def delete_webhook(subscription_id: int) -> Response:
    """Unsubscribe: the subscription and its events go."""
    with platform().session_factory() as db:
        deleted = delete_subscription(db, subscription_id)
        if deleted:
            record_action(db, "webhook.deleted", "webhook", subscription_id)
        db.commit()
    if not deleted:
        abort(404, _("There is no such webhook subscription."))
    logger.info("webhook subscription deleted", extra={"event": "dashboard.webhook_deleted",
                                                       "subscription_id": subscription_id})
    flash(_("Unsubscribed: nothing more is sent to that address."), "success")
    return redirect(url_for("dashboard.webhooks"))
