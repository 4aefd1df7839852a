"""The campaign builder's form: what the operator typed, read into the service's arguments, and refusals in words.

Nothing in the browser is trusted: every field is read and checked here or by the service
(`broadcast_service`), which refuses exactly what the CLI and the API refuse. The service
words its refusals in English for the CLI and the API; `explain` gives the operator the same
reason in the interface language.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict

from broadcast_service import Audience, TemplateSpec
from campaigns.message_templates import TemplateParameterError, check_parameters, find_template
from campaigns.personalisation import UnknownPlaceholderError
from campaigns.spreadsheet import decode_upload
from database_models import Contact, MessageTemplate
from language.jalali import latin_digits, parse_moment
from web.i18n import format_number

AUDIENCES = ("all", "tags", "list", "search")
ADDRESS_COLUMNS = ("wa_id", "user_id", "شماره", "number", "phone")
_TAG_SPLIT = re.compile(r"[,;|،\n]")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class FormError(ValueError):
    """A builder field the operator must correct; the message is already in the interface language."""


@dataclass
class CampaignForm:
    """The builder's fields as typed (echoed back into the form) and as the service reads them."""

    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)


def read_form(form: MultiDict, files: MultiDict) -> CampaignForm:
    """The typed values, with an uploaded list read into the `numbers` field so the next submit carries it."""
    values = {key: str(form.get(key, "")) for key in ("name", "body", "template_name", "language", "params",
                                                          "audience", "tags", "numbers", "search", "when", "send_at",
                                                          "template")}
    values |= {key: str(value) for key, value in form.items() if re.fullmatch(r"param_\d{1,2}", key)}
    values["match_all"] = "1" if form.get("match_all") else ""
    upload: FileStorage | None = files.get("numbers_file")
    if upload is not None and upload.filename:
        values["numbers"] = "\n".join(addresses_in_upload(upload.read(MAX_UPLOAD_BYTES + 1)))
        values["audience"] = "list"
    return CampaignForm(values)


def addresses_in_upload(data: bytes) -> list[str]:
    """Numbers and BSUIDs of an uploaded list: a CSV with a wa_id/user_id (or شماره) column, or one per line."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise FormError(_("The file is larger than %(size)s MB.", size=MAX_UPLOAD_BYTES // (1024 * 1024)))
    text, _encoding = decode_upload(data)
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip().lower().lstrip("\ufeff") for cell in rows[0]]
    columns = [header.index(name) for name in ADDRESS_COLUMNS if name in header]
    if not columns:  # a plain list: the first cell of every line
        return [row[0].strip() for row in rows if not row[0].lstrip().startswith("#")]
    found = []
    for row in rows[1:]:
        cells = [row[index].strip() for index in columns if index < len(row) and row[index].strip()]
        found.append(cells[0] if cells else "")  # an empty address is counted as invalid, not dropped
    return found


def content(form: CampaignForm) -> tuple[str, str | None, TemplateSpec | None]:
    """Name, text and template; the checks the CLI makes before it calls the service."""
    body = form.get("body") if form.get("body").strip() else None
    template_name, language = form.get("template_name").strip(), form.get("language").strip()
    params = tuple(line.strip() for line in form.get("params").splitlines() if line.strip())
    if not body and not template_name:
        raise FormError(_("Write a text, or give an approved template's name and language."))
    if template_name and not language:
        raise FormError(_("The template needs its language code, e.g. fa or en_US."))
    if params and not template_name:
        raise FormError(_("Template parameters belong to a template: give its name too."))
    template = TemplateSpec(template_name, language, params) if template_name else None
    return form.get("name"), body, template


def apply_template_choice(session: Session, form: CampaignForm) -> MessageTemplate | None:
    """The synced template the form picked (or typed), its values put where `content` reads them; FormError if
    they do not fit. Without a pick, a typed name and language that are synced are checked the same way."""
    choice = form.get("template").strip()
    if choice:
        name, _bar, language = choice.partition("|")
        template = find_template(session, name, language)
        if template is None or not template.approved:
            raise FormError(_("Choose one of the synced, approved templates."))
        count = (template.parameters or {}).get("body", 0)
        form.values.update(template_name=name, language=language,
                           params="\n".join(form.get(f"param_{n}").strip() for n in range(1, count + 1)))
    else:
        template = find_template(session, form.get("template_name").strip(), form.get("language").strip())
        if template is None:
            return None
    needs = template.parameters or {}
    if needs.get("header") or needs.get("buttons"):
        raise FormError(_("%(name)s has header or button parameters: send it from the inbox or the API; campaigns "
                          "fill body parameters only.", name=template.name))
    params = [line.strip() for line in form.get("params").splitlines() if line.strip()]
    try:
        check_parameters(template, params)
    except TemplateParameterError:
        raise FormError(_("%(name)s needs %(count)s parameters, %(given)s given.", name=template.name,
                          count=format_number(needs.get("body", 0)), given=format_number(len(params)))) from None
    return template


def audience(session: Session, form: CampaignForm) -> Audience:
    """Everyone, contacts with tags, a list of numbers and BSUIDs, or the contacts a search finds."""
    kind = form.get("audience")
    if kind == "all":
        return Audience.everyone()
    if kind == "tags":
        return Audience.with_tags(_TAG_SPLIT.split(form.get("tags")), match_all=bool(form.get("match_all")))
    if kind == "list":
        entries = [line.strip() for line in form.get("numbers").splitlines() if line.strip()]
        if not entries:
            raise FormError(_("The list is empty: paste numbers or BSUIDs, one per line, or upload a file."))
        return Audience.of_numbers(entries)
    if kind == "search":
        needle = form.get("search").strip()
        if not needle:
            raise FormError(_("Type what the contacts' name, number or username contains."))
        return Audience.of_numbers(search_addresses(session, needle))
    raise FormError(_("Choose who receives the campaign."))


def search_addresses(session: Session, needle: str) -> list[str]:
    """The address of every contact whose name, number or username contains `needle`."""
    matches = [func.lower(Contact.name).contains(needle.lower(), autoescape=True),
               func.lower(Contact.profile_name).contains(needle.lower(), autoescape=True),
               func.lower(Contact.username).contains(needle.lstrip("@").lower(), autoescape=True)]
    digits = re.sub(r"[\s\-+()]", "", latin_digits(needle)).lstrip("0")
    if digits.isdigit() and digits.isascii():
        matches.append(Contact.wa_id.contains(digits))
    if needle.startswith("US.") or needle.isascii():
        matches.append(Contact.user_id.contains(needle, autoescape=True))
    return list(session.scalars(select(Contact.address).where(or_(*matches)).order_by(Contact.id)))


def send_time(form: CampaignForm, zone: Any) -> datetime | None:
    """None to send now, else the moment typed (Jalali `1405/09/20 10:00` or ISO, in TIMEZONE)."""
    if form.get("when", "now") != "at":
        return None
    return parse_moment(form.get("send_at"), zone)


_REASONS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"a campaign needs a name"), lambda m: _("The campaign needs a name of 1–200 characters.")),
    (re.compile(r"a campaign needs a text body or a template"),
     lambda m: _("The campaign needs a text or a template.")),
    (re.compile(r"the text is longer than (\d+) characters"),
     lambda m: _("The text is longer than %(limit)s characters.", limit=m.group(1))),
    (re.compile(r"the template needs a name"), lambda m: _("The template needs a name.")),
    (re.compile(r"template language (.*) is not a code"),
     lambda m: _("%(code)s is not a language code like fa or en_US.", code=m.group(1))),
    (re.compile(r"send time (.*) UTC is in the past"),
     lambda m: _("The send time is in the past; choose a later time or send now.")),
    (re.compile(r"the audience has no eligible recipients"),
     lambda m: _("Nobody in this audience can receive the campaign (all opted out, invalid or none).")),
    (re.compile(r"a tag audience needs at least one tag"), lambda m: _("Give at least one tag.")),
    (re.compile(r"tag longer than (\d+) characters"),
     lambda m: _("A tag is longer than %(limit)s characters.", limit=m.group(1))),
    (re.compile(r"invalid placeholder (\{.*?\}): write"),
     lambda m: _("%(placeholder)s is not a placeholder: write {field} or {field|fallback}, and {{ or }} for a "
                 "brace.", placeholder=m.group(1))),
    (re.compile(r"unmatched '(.)'"),
     lambda m: _("A lone %(brace)s: write {field} for a placeholder, {{ or }} for a brace.", brace=m.group(1))),
    (re.compile(r"a date is required|is not a date|is not a Jalali date"),
     lambda m: _("Write the send time as 1405/09/20 10:00 (Jalali) or 2026-12-11T10:00.")),
    (re.compile(r"UTF-16 without a byte-order mark|starts as UTF-(?:8|16) but"),
     lambda m: _("The file's encoding cannot be read: save it as CSV UTF-8.")),
    (re.compile(r"is not text"), lambda m: _("The file is not a CSV (an Excel workbook?): save it as CSV UTF-8.")),
]


def explain(error: Exception) -> str:
    """The reason a campaign was refused, in the interface language."""
    if isinstance(error, FormError):
        return str(error)
    if isinstance(error, UnknownPlaceholderError):
        unknown = ", ".join("{" + name + "}" for name in error.names)
        known = str(error).rpartition("(known fields: ")[2].rstrip(")")
        return _("Unknown placeholder: %(names)s. Known fields: %(known)s.", names=unknown, known=known)
    message = str(error)
    for pattern, translate in _REASONS:
        found = pattern.search(message)
        if found:
            return translate(found)
    return _("The campaign was refused: %(reason)s", reason=message)
