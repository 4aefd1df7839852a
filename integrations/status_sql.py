"""`message.status` events inside PostgreSQL's one-statement status writer (inbound/status_writer.py).

That statement inserts the new status events in a CTE named `event` (columns wamid, status,
recipient_wa_id, recipient_user_id, error_code, error_title, wa_timestamp) with the time as
parameter $7; the CTE here turns each of them into one outbox row per subscriber, with the
payload `events.status_data` builds on the general path. With no subscriber, the EXISTS is one
look at an empty table and nothing else runs.
"""

from __future__ import annotations

from database_models import EVENT_PENDING
from integrations.outbox import CONTACT_OPTED_OUT, MESSAGE_STATUS

_WANTS = f"subscription.active AND subscription.events LIKE '%,{MESSAGE_STATUS},%'"
_WANTS_OPT_OUT = f"subscription.active AND subscription.events LIKE '%,{CONTACT_OPTED_OUT},%'"
_ISO = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"


def status_events_cte(opt_out_code: int) -> str:
    """The CTEs (each preceded by a comma) to append after the writer's last CTE.

    `contact.opted_out` too, for the recipients error `opt_out_code` (131050) opts out: every
    CTE reads the snapshot from before the statement, so "not opted out yet" is what it was
    before this webhook, as `events.contacts_opting_out` sees it on the general path.
    """
    return _status_events() + _opt_out_events(opt_out_code)


def _status_events() -> str:
    return f""", status_hook AS MATERIALIZED (
    SELECT event.*, 'evt_' || substr(md5(random()::text || clock_timestamp()::text || event.wamid), 1, 24)
        AS event_id
    FROM event
    WHERE EXISTS (SELECT 1 FROM webhook_subscriptions AS subscription WHERE {_WANTS})
), status_hook_rows AS (
    INSERT INTO webhook_events (subscription_id, event_id, event_type, payload, created_at, status, attempts,
                                next_attempt_at)
    SELECT subscription.id, status_hook.event_id, '{MESSAGE_STATUS}', json_build_object(
        'message_id', (SELECT queue.id FROM scheduled_messages AS queue WHERE queue.wamid = status_hook.wamid LIMIT 1),
        'wamid', status_hook.wamid, 'status', status_hook.status,
        'recipient', json_build_object('wa_id', status_hook.recipient_wa_id,
                                       'user_id', status_hook.recipient_user_id),
        'error', CASE WHEN status_hook.error_code IS NOT NULL OR coalesce(status_hook.error_title, '') <> ''
            THEN json_build_object('code', status_hook.error_code, 'title', status_hook.error_title) END,
        'timestamp', to_char(status_hook.wa_timestamp AT TIME ZONE 'UTC', {_ISO})
    ), $7, '{EVENT_PENDING}', 0, $7
    FROM status_hook CROSS JOIN webhook_subscriptions AS subscription
    WHERE {_WANTS}
    RETURNING webhook_events.id
)"""


def _opt_out_events(code: int) -> str:
    # Driven from the webhook's few new events (index look-ups by number or BSUID), never a scan of contacts.
    return f""", opt_out_hook AS MATERIALIZED (
    SELECT DISTINCT contacts.id, contacts.wa_id, contacts.user_id, contacts.username,
        coalesce(contacts.name, contacts.profile_name) AS name
    FROM event JOIN contacts ON contacts.wa_id = event.recipient_wa_id
        OR (event.recipient_wa_id IS NULL AND contacts.user_id = event.recipient_user_id)
    WHERE event.error_code = {int(code)} AND NOT contacts.opted_out
        AND EXISTS (SELECT 1 FROM webhook_subscriptions AS subscription WHERE {_WANTS_OPT_OUT})
), opt_out_hook_ids AS MATERIALIZED (
    SELECT opt_out_hook.*,
        'evt_' || substr(md5(random()::text || clock_timestamp()::text || opt_out_hook.id::text), 1, 24) AS event_id
    FROM opt_out_hook
), opt_out_hook_rows AS (
    INSERT INTO webhook_events (subscription_id, event_id, event_type, payload, created_at, status, attempts,
                                next_attempt_at)
    SELECT subscription.id, opt_out_hook.event_id, '{CONTACT_OPTED_OUT}', json_build_object(
        'contact', json_build_object('id', opt_out_hook.id, 'wa_id', opt_out_hook.wa_id,
                                     'user_id', opt_out_hook.user_id, 'username', opt_out_hook.username,
                                     'name', opt_out_hook.name),
        'source', 'meta_error'
    ), $7, '{EVENT_PENDING}', 0, $7
    FROM opt_out_hook_ids AS opt_out_hook CROSS JOIN webhook_subscriptions AS subscription
    WHERE {_WANTS_OPT_OUT}
    RETURNING webhook_events.id
)"""
