"""The SQLAlchemy 2.x models, their constraints and indexes: the one name every other module imports.

The models themselves live in the `models` package, one module per part of the schema
(base types and constants, operator accounts and the audit trail, contacts, contact uploads,
messages, campaigns and the queue, the inbox's notes and saved replies, dashboard sessions, orders);
this module re-exports them, so `from database_models import Contact` and Alembic's
`database_models.Base.metadata` (and `database_models.UTCDateTime` in the migrations) keep working.
"""

from __future__ import annotations

from models.accounts import (
    ROLE_ADMIN,
    ROLE_AGENT,
    ROLES,
    AuditEvent,
    Operator,
)
from models.api_requests import (
    ApiRateCounter,
    IdempotencyKey,
)
from models.base import (
    CAMPAIGN_CANCELLED,
    CAMPAIGN_COMPLETED,
    CAMPAIGN_PAUSED,
    CAMPAIGN_SCHEDULED,
    CAMPAIGN_SENDING,
    CAMPAIGN_STATUSES,
    CANCELLED,
    DELIVERED,
    DIRECTION_IN,
    DIRECTION_OUT,
    FAILED,
    NAMING_CONVENTION,
    PAUSED,
    PENDING,
    QUEUE_STATUSES,
    READ,
    SENDING,
    SENT,
    SKIPPED,
    STATE_BOT,
    STATE_HANDOFF,
    UNFINISHED_STATUSES,
    UNKNOWN,
    Base,
    TimestampMixin,
    UTCDateTime,
    utcnow,
)
from models.campaigns import (
    Broadcast,
    ScheduledMessage,
)
from models.contact_uploads import (
    ContactUpload,
)
from models.contacts import (
    Contact,
    ContactTag,
    ConversationState,
    MarketingPreference,
    OptOutEvent,
    contact_handle,
)
from models.inbox import (
    ConversationNote,
    SavedReply,
)
from models.message_templates import TEMPLATE_APPROVED, MessageTemplate
from models.messages import (
    MessageRevision,
    MessageStatusEvent,
    OrderItem,
    ReceivedMessageLog,
    UnmodelledItem,
)
from models.orders import (
    Order,
    OrderInquiry,
    OrderNotification,
    OrderUpload,
)
from models.sessions import (
    DashboardSession,
)
from models.webhooks import (
    EVENT_DELIVERED,
    EVENT_DELIVERING,
    EVENT_FAILED,
    EVENT_PENDING,
    EVENT_STATUSES,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "TEMPLATE_APPROVED",
    "MessageTemplate",
    "ROLE_ADMIN",
    "ROLE_AGENT",
    "ROLES",
    "AuditEvent",
    "Operator",
    "ContactUpload",
    "utcnow",
    "UTCDateTime",
    "NAMING_CONVENTION",
    "PENDING",
    "SENDING",
    "SENT",
    "DELIVERED",
    "READ",
    "FAILED",
    "CANCELLED",
    "SKIPPED",
    "UNKNOWN",
    "PAUSED",
    "QUEUE_STATUSES",
    "CAMPAIGN_SCHEDULED",
    "CAMPAIGN_SENDING",
    "CAMPAIGN_COMPLETED",
    "CAMPAIGN_PAUSED",
    "CAMPAIGN_CANCELLED",
    "CAMPAIGN_STATUSES",
    "UNFINISHED_STATUSES",
    "STATE_BOT",
    "STATE_HANDOFF",
    "DIRECTION_IN",
    "DIRECTION_OUT",
    "Base",
    "TimestampMixin",
    "DashboardSession",
    "Contact",
    "contact_handle",
    "ContactTag",
    "MarketingPreference",
    "OptOutEvent",
    "ConversationState",
    "ConversationNote",
    "SavedReply",
    "ReceivedMessageLog",
    "MessageRevision",
    "OrderItem",
    "MessageStatusEvent",
    "UnmodelledItem",
    "Broadcast",
    "ScheduledMessage",
    "IdempotencyKey",
    "ApiRateCounter",
    "EVENT_PENDING",
    "EVENT_DELIVERING",
    "EVENT_DELIVERED",
    "EVENT_FAILED",
    "EVENT_STATUSES",
    "WebhookSubscription",
    "WebhookEvent",
    "Order",
    "OrderInquiry",
    "OrderNotification",
    "OrderUpload",
]
