"""The SQLAlchemy models, one module per part of the schema; `database_models` re-exports them all.

Owns: the tables, their constraints and indexes, the UTC datetime type and the status constants.
May import: SQLAlchemy and its own modules, nothing else of the project (a leaf under
`database_models`). Importing the package registers every table on `Base.metadata`.
"""

from models import (  # noqa: F401  (registers every table)
    accounts,
    api_requests,
    base,
    campaigns,
    contact_uploads,
    contacts,
    inbox,
    message_templates,
    messages,
    sessions,
    webhooks,
)
