"""Personalised text: `{name}`, `{first_name}`, `{wa_id}`, any custom attribute, and `{field|fallback}`.

Rendering is one regular-expression pass that looks each placeholder's field up in a
dict of strings and inserts the value verbatim: nothing is evaluated (no Jinja, no
`str.format`, no attribute access or format spec), and an inserted value is never
scanned again, so a customer called "{wa_id}" stays "{wa_id}". `{{` and `}}` are literal
braces; a lone brace is refused as a typo. Placeholders are validated before a campaign
is created: a malformed one or an unknown field refuses it, listing every offender. The
processor renders each campaign row when it sends it, from the contact's fields as they
are then (`compiled_message` parses each campaign text once per process).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

BUILTIN_FIELDS = ("name", "first_name", "wa_id")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_PLACEHOLDER = re.compile(r"\s*([^\W\d]\w*)\s*(?:\|(.*))?", re.DOTALL)


class PlaceholderError(ValueError):
    """A placeholder that is malformed or names no known field."""


class UnknownPlaceholderError(PlaceholderError):
    """Placeholders that name no contact field; `names` lists them."""

    def __init__(self, names: Sequence[str], known: Sequence[str]) -> None:
        self.names = list(names)
        super().__init__(f"unknown placeholder{'s' if len(names) > 1 else ''}: "
                         f"{', '.join('{' + n + '}' for n in names)} (known fields: {', '.join(known)})")


def parse_placeholder(content: str) -> tuple[str, str | None]:
    """(field, fallback) of one placeholder's content, e.g. 'name|مشتری عزیز'."""
    match = _PLACEHOLDER.fullmatch(content)
    if match is None:
        raise PlaceholderError(f"invalid placeholder {{{content}}}: write {{field}} or {{field|fallback}}"
                               " (use {{ and }} for literal braces)")
    return match.group(1), match.group(2)


def _literal(token: str) -> str:
    if len(token) == 1:  # a brace with no partner: most likely a typo such as "{name"
        raise PlaceholderError(f"unmatched {token!r}: write {{field}} for a placeholder, {{{{ or }}}} for a brace")
    return token[0]


def parse_placeholders(template: str) -> list[tuple[str, str | None]]:
    """(field, fallback) for every placeholder in `template`; PlaceholderError for a malformed one."""
    found = []
    for match in _TOKEN.finditer(template):
        if match.group(1) is None:
            _literal(match.group(0))
        else:
            found.append(parse_placeholder(match.group(1)))
    return found


def contact_fields(wa_id: str, name: str | None, attributes: Mapping[str, Any] | None) -> dict[str, str]:
    """The values placeholders may use for one contact.

    `name` is the contact's `display_name`: the operator's name (import, API), else the
    WhatsApp profile name, so `{name}` greets a customer by the name the shop gave them.
    """
    values = {str(key): "" if value is None else str(value) for key, value in (attributes or {}).items()}
    full_name = (name or "").strip()
    values.update(name=full_name, first_name=full_name.split()[0] if full_name else "", wa_id=wa_id)
    return values


def _value(name: str, fallback: str | None, fields: Mapping[str, str], missing: dict[str, int] | None) -> str:
    value = (fields.get(name) or "").strip()
    if value:
        return value
    if not fallback and missing is not None:
        missing[name] = missing.get(name, 0) + 1  # counted, so the operator hears of empty values
    return (fallback or "").strip()


def resolve(spec: str, fields: Mapping[str, str], missing: dict[str, int] | None = None) -> str:
    """The value of placeholder content `spec` ('field' or 'field|fallback') for these fields."""
    return _value(*parse_placeholder(spec), fields, missing)


def compile_message(template: str) -> Callable[[Mapping[str, str], dict[str, int] | None], str]:
    """`template` parsed once into literal text and placeholders, for rendering it many times."""
    parts: list[str | tuple[str, str | None]] = []
    position = 0
    for match in _TOKEN.finditer(template):
        parts.append(template[position:match.start()])
        parts.append(_literal(match.group(0)) if match.group(1) is None else parse_placeholder(match.group(1)))
        position = match.end()
    parts.append(template[position:])

    def render(fields: Mapping[str, str], missing: dict[str, int] | None = None) -> str:
        return "".join(part if isinstance(part, str) else _value(part[0], part[1], fields, missing) for part in parts)

    return render


@lru_cache(maxsize=256)
def compiled_message(template: str) -> Callable[[Mapping[str, str], dict[str, int] | None], str]:
    """`compile_message`, remembered: a processor renders the same few campaign texts thousands of times."""
    return compile_message(template)


def personalise(body: str | None, param_specs: Sequence[str] | None,
                fields: Mapping[str, str]) -> tuple[str | None, list[str] | None]:
    """A campaign's text and template parameters for one contact's fields (None where the campaign has none)."""
    text_for_contact = compiled_message(body)(fields, None) if body else None
    params = [compiled_message("{" + str(spec) + "}")(fields, None) for spec in param_specs] if param_specs else None
    return text_for_contact, params


def render_message(template: str, fields: Mapping[str, str], missing: dict[str, int] | None = None) -> str:
    """`template` with each placeholder replaced by its field's value (or fallback); nothing is evaluated."""
    return compile_message(template)(fields, missing)


def known_fields(session: Session) -> list[str]:
    """Built-in fields plus every custom attribute some contact has."""
    if session.get_bind().dialect.name == "postgresql":
        query = ("SELECT DISTINCT json_object_keys(attributes) FROM contacts "
                 "WHERE json_typeof(attributes) = 'object'")
    else:
        query = ("SELECT DISTINCT j.key FROM contacts, json_each(contacts.attributes) AS j "
                 "WHERE json_type(contacts.attributes) = 'object'")
    return list(BUILTIN_FIELDS) + sorted(set(session.scalars(text(query))) - set(BUILTIN_FIELDS))


def validate_placeholders(session: Session, body: str | None, params: Sequence[str] = ()) -> None:
    """Refuse malformed placeholders and ones naming no known field (the message lists them)."""
    names = [name for name, _ in parse_placeholders(body or "")]
    names += [parse_placeholder(spec)[0] for spec in params]
    known = known_fields(session)
    unknown = sorted({name for name in names if name not in known})
    if unknown:
        raise UnknownPlaceholderError(unknown, known)
