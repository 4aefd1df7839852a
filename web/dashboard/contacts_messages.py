"""A contact or import problem (`ContactError`, by its `code`) in the interface language."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

from campaigns.contacts import ContactError
from web.i18n import localise_digits

# Called at request time, so each message is read in the request's language.
_MESSAGES: dict[str, Callable[[dict], str]] = {
    "not_a_number": lambda p: _("Not a phone number: %(value)s", value=p["value"]),
    "not_international": lambda p: _("Not an international number (8 to 15 digits): %(value)s", value=p["value"]),
    "tag_too_long": lambda p: _("A tag is longer than %(limit)s characters: %(tag)s", tag=p["tag"],
                                limit=localise_digits(p["limit"])),
    "number_empty": lambda p: _("The number is empty."),
    "not_a_user_id": lambda p: _("Not a business-scoped user id (BSUID): %(value)s", value=p["value"]),
    "more_fields": lambda p: _("This line has more fields than the header has columns."),
    "duplicate": lambda p: _("%(number)s already appears on line %(line)s.", number=p["address"],
                             line=localise_digits(p["line"])),
    "name_too_long": lambda p: _("The name is longer than %(limit)s characters.", limit=localise_digits(p["limit"])),
    "bad_attribute_name": lambda p: _("%(key)s cannot be a field name: use letters, digits and _ only, starting "
                                      "with a letter.", key=p["key"]),
    "attribute_too_long": lambda p: _("The value of %(key)s is longer than %(limit)s characters.", key=p["key"],
                                      limit=localise_digits(p["limit"])),
    "bad_column": lambda p: _("The column %(column)s cannot be a field name: use letters, digits and _ only, "
                              "starting with a letter.", column=p["column"]),
    "column_twice": lambda p: _("Two columns hold the same thing (%(column)s): rename or delete one.",
                                column=p["column"]),
    "no_number_column": lambda p: _("The file needs a header line with a number column (شماره, موبایل or wa_id) "
                                    "or a user_id column; name (نام) and tags (برچسب) are optional."),
    "unreadable": lambda p: _("This file is not a CSV that can be read (an Excel workbook, or text in an unknown "
                              "encoding). In Excel choose Save As, then CSV UTF-8 or CSV."),
}


def describe(error: ContactError) -> str:
    """The problem in the interface language (the English text when the code is not known here)."""
    message = _MESSAGES.get(error.code)
    return message(error.params) if message else str(error)
