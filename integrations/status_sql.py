"""`message.status` events inside PostgreSQL's one-statement status writer (inbound/status_writer.py).

That statement inserts the new status events in a CTE named `event` (columns wamid, status,
recipient_wa_id, recipient_user_id, error_code, error_title, wa_timestamp) with the time as
parameter $7; the CTE here turns each of them into one outbox row per subscriber, with the
payload `events.status_data` builds on the general path. With no subscriber, the EXISTS is one
look at an empty table and nothing else runs.
"""

from __future__ import annotations

from database_models import EVENT_PENDING
from integrations.outbox import MESSAGE_STATUS

_WANTS = f"subscription.active AND subscription.events LIKE '%,{MESSAGE_STATUS},%'"
_ISO = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"


def status_events_cte() -> str:
    """The CTEs (each preceded by a comma) to append after the writer's last CTE."""
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
