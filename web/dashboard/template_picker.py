"""The synced-template picker shared by the inbox and the campaign builder: choices, fields read, refusals in words.

A choice is a synced, APPROVED template; its form fields are named `header_1…`, `param_1…`
(the body's {{1}}…{{n}}) and `button_<index>_1…`, exactly as many as the template needs
(`campaigns.message_templates.parameters_of`). `read_values` reads them back in order;
`describe_refusal` words a `TemplateParameterError` for the operator. Registers the Jinja
helpers the partials use: `synced_templates()` (the approved list, read on demand, so pages
whose views know nothing of templates can show the picker) and the `fill_template` filter.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from campaigns.message_templates import (
    TemplateParameterError,
    approved_templates,
    body_text,
    fill,
    header_text,
    parameter_total,
)
from database_models import MessageTemplate
from web.dashboard.blueprint import dashboard
from web.i18n import format_number
from web.request_db import request_db

MAX_VALUE_CHARS = 1024  # Meta's limit for one body parameter


@dashboard.app_template_global("synced_templates")
def synced_templates() -> list[MessageTemplate]:
    """The approved templates, for a picker (an empty list until someone syncs); read once per request."""
    if "approved_templates" not in g:
        with request_db() as db:
            g.approved_templates = approved_templates(db)
    return g.approved_templates


@dashboard.app_template_filter("fill_template")
def fill_template(text: str | None, values: list[str] | tuple[str, ...] | None) -> str:
    """A template's text with the values given so far; missing ones stay {{n}}."""
    return fill(text or "", [str(v) for v in values or ()])


@dashboard.app_template_global("template_texts")
def template_texts(template: MessageTemplate) -> dict[str, Any]:
    """The header and body texts of a template, for its preview."""
    return {"header": header_text(template), "body": body_text(template)}


def choice_value(template: MessageTemplate) -> str:
    """The `<option>` value naming a template: its name and language."""
    return f"{template.name}|{template.language}"


def chosen(templates: list[MessageTemplate], value: str | None) -> MessageTemplate | None:
    """The template an option value names, among `templates`."""
    return next((t for t in templates if choice_value(t) == (value or "")), None)


def read_values(template: MessageTemplate, form: MultiDict) -> tuple[list[str], list[str], list[list[str]]]:
    """(body, header, buttons) values for `template`'s fields, in order, trimmed."""
    needs = template.parameters or {}

    def values(prefix: str, count: int) -> list[str]:
        return [str(form.get(f"{prefix}_{n}", "")).strip()[:MAX_VALUE_CHARS] for n in range(1, count + 1)]

    body = values("param", needs.get("body", 0))
    header = values("header", needs.get("header", 0))
    buttons = [values(f"button_{b['index']}", b["count"]) for b in needs.get("buttons", [])]
    return body, header, buttons


def describe_refusal(template: MessageTemplate, error: TemplateParameterError) -> str:
    """Why these values do not fit `template`, in the interface language."""
    if error.field == "template":
        return _("The template %(name)s is not approved by Meta: it cannot be sent.", name=template.name)
    return _("Fill every parameter of %(name)s: it needs %(count)s.", name=template.name,
             count=format_number(parameter_total(template)))
