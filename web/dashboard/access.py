"""What each role may open: `admin_required` marks the pages only an admin sees.

An agent works in the inbox and the contacts (and sees the overview); the users and audit
pages, the campaigns and their builder and the outbound webhooks are an admin's. The login
guard has already refused anyone not logged in, so here the question is only the role. An
agent who follows a link there gets the dashboard's 403 page in the interface language, and
the navigation does not offer those pages to them (`templates/dashboard/base.html` asks
`is_admin()`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, request
from flask_babel import gettext as _

from web.dashboard.operators import current_operator

logger = logging.getLogger("web.dashboard")
View = TypeVar("View", bound=Callable[..., Any])


def is_admin() -> bool:
    """Whether this request's operator is an admin."""
    operator = current_operator()
    return operator is not None and operator.is_admin


def admin_required(view: View) -> View:
    """Refuse the view with 403 unless the logged-in operator is an admin."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not is_admin():
            operator = current_operator()
            logger.warning("an agent was refused an admin page",
                           extra={"event": "dashboard.admin_only", "path": request.path,
                                  "operator_id": operator.id if operator is not None else None})
            abort(403, _("Only an admin may open this page. Ask an admin if you need it."))
        return view(*args, **kwargs)

    guarded.admin_only = True  # type: ignore[attr-defined]  # the roles test lists the admin pages by this
    return guarded  # type: ignore[return-value]
