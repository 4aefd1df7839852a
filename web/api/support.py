"""Request plumbing of the admin API: one session per request, JSON answers, and input checks.

The views do not describe their input twice: the request's route is looked up in
`openapi_spec.SPEC`, its query parameters and request-body schema are applied here, and
the first violation becomes `ApiInputError(field, message)`, which the blueprint answers
with 400 naming the field. The validator implements the subset of JSON Schema the
document uses ($ref, type, const, enum, properties, required, additionalProperties,
propertyNames, maxProperties, items, min/maxItems, min/maxLength, pattern,
minimum/maximum, oneOf, anyOf, not).
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import Response, request
from sqlalchemy.orm import Session

from runtime.context import platform
from web.api.openapi_schemas import FIRST_DATE, LAST_DATE, MAX_RANGE_DAYS  # noqa: F401  (the views import them here)
from web.api.openapi_spec import SPEC
from web.request_db import request_session

_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}
# The documented prefix, and the one the API had before it, kept as an alias of the same routes.
API_PREFIX, ALIAS_PREFIX = "/api/v1", "/api"
_RULE_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class ApiInputError(ValueError):
    """Input that breaks the documented schema; `field` names where."""

    def __init__(self, field: str, message: str) -> None:
        field = field or "body"  # the body's own schema (e.g. "text or template") is checked at the root
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@lru_cache(maxsize=256)
def _pattern(expression: str) -> re.Pattern[str]:
    return re.compile(expression)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = SPEC
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _join(field: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{field}[{key}]"
    return f"{field}.{key}" if field else key


def _matches(schema: dict[str, Any], value: Any, field: str) -> bool:
    try:
        validate(schema, value, field)
    except ApiInputError:
        return False
    return True


def validate(schema: dict[str, Any], value: Any, field: str = "body") -> None:
    """Raise ApiInputError for the first way `value` breaks `schema`."""
    schema = _resolve(schema)
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(_TYPES[name](value) for name in types):
            raise ApiInputError(field, f"must be {' or '.join(types)}")
    if "const" in schema and not (value == schema["const"] and type(value) is type(schema["const"])):
        raise ApiInputError(field, f"must be {json.dumps(schema['const'])}")
    if "enum" in schema and value not in schema["enum"]:
        raise ApiInputError(field, "must be one of " + ", ".join(json.dumps(item) for item in schema["enum"]))
    if isinstance(value, str):
        _validate_string(schema, value, field)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise ApiInputError(field, f"must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise ApiInputError(field, f"must be at most {schema['maximum']}")
    elif isinstance(value, list):
        _validate_array(schema, value, field)
    elif isinstance(value, dict):
        _validate_object(schema, value, field)
    if "not" in schema and _matches(schema["not"], value, field):
        raise ApiInputError(field, "is not allowed" if "enum" not in schema["not"] else "is a reserved name")
    if "anyOf" in schema and not any(_matches(option, value, field) for option in schema["anyOf"]):
        raise ApiInputError(field, schema.get("description") or "matches none of the allowed shapes")
    if "oneOf" in schema and sum(_matches(option, value, field) for option in schema["oneOf"]) != 1:
        raise ApiInputError(field, schema.get("description") or "must match exactly one allowed shape")


def _validate_string(schema: dict[str, Any], value: str, field: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiInputError(field, "contains an invalid character (a lone surrogate)") from None
    if len(value) < schema.get("minLength", 0):
        raise ApiInputError(field, "must not be empty" if schema["minLength"] == 1 else
                            f"must be at least {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        raise ApiInputError(field, f"must be at most {schema['maxLength']} characters")
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        raise ApiInputError(field, "contains a NUL character" if "\x00" in value
                            else f"does not match the pattern {schema['pattern']}")


def _validate_array(schema: dict[str, Any], value: list[Any], field: str) -> None:
    if len(value) < schema.get("minItems", 0):
        raise ApiInputError(field, f"needs at least {schema['minItems']} item(s)")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        raise ApiInputError(field, f"may hold at most {schema['maxItems']} items")
    if "items" in schema:
        for index, item in enumerate(value):
            validate(schema["items"], item, _join(field, index))


def _validate_object(schema: dict[str, Any], value: dict[str, Any], field: str) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            raise ApiInputError(_join(field, name), "is required")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        raise ApiInputError(field, f"may hold at most {schema['maxProperties']} entries")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if "propertyNames" in schema:
            validate({"type": "string", **schema["propertyNames"]}, name, _join(field, name))
        if name in properties:
            validate(properties[name], item, _join(field, name))
        elif extra is False:
            raise ApiInputError(_join(field, name), "unknown field")
        elif isinstance(extra, dict):
            validate(extra, item, _join(field, name))


def spec_path(path: str) -> str:
    """The documented (`/api/v1/…`) form of an API path given with either prefix."""
    return API_PREFIX + path.removeprefix(API_PREFIX).removeprefix(ALIAS_PREFIX)


def api_url(path: str) -> str:
    """`path` (e.g. "/contacts/7") under the prefix the request came in by, for `Location` headers."""
    return (API_PREFIX if request.path.startswith(API_PREFIX + "/") else ALIAS_PREFIX) + path


def current_operation() -> dict[str, Any]:
    """The OpenAPI operation of the request's route (HEAD is GET; KeyError when undocumented)."""
    path = spec_path(_RULE_PARAMETER.sub(r"{\1}", request.url_rule.rule))
    method = "get" if request.method == "HEAD" else request.method.lower()
    return SPEC["paths"][path][method]


def _convert(raw: str, schema: dict[str, Any], field: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"[+-]?[0-9]{1,18}", raw):
            raise ApiInputError(field, "must be an integer")
        return int(raw)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ApiInputError(field, "must be true or false")
        return raw == "true"
    if schema.get("format") == "date-time":
        return _moment(raw, schema, field)
    return raw


def _moment(raw: str, schema: dict[str, Any], field: str) -> datetime:
    """An ISO 8601 date and time with its offset (e.g. 2026-12-01T09:30:00Z), as an aware datetime."""
    validate(schema, raw, field)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiInputError(field, "is not a valid date and time (e.g. 2026-12-01T09:30:00Z)") from None
    if not FIRST_DATE <= moment.date() <= LAST_DATE:
        raise ApiInputError(field, f"must lie between {FIRST_DATE} and {LAST_DATE}")
    return moment


def query_args() -> dict[str, Any]:
    """The request's query parameters, checked and typed against its operation (defaults filled in)."""
    parameters = {p["name"]: p for p in current_operation()["parameters"] if p["in"] == "query"}
    args: dict[str, Any] = {}
    for name in request.args:
        if name not in parameters:
            raise ApiInputError(name, "unknown query parameter")
        values = request.args.getlist(name)
        if len(values) > 1:
            raise ApiInputError(name, "given more than once")
        schema = parameters[name]["schema"]
        value = _convert(values[0], schema, name)
        if not isinstance(value, datetime):  # a date-time was checked as the text it came as
            validate(schema, value, name)
        args[name] = value
    for name, parameter in parameters.items():
        if name not in args and "default" in parameter["schema"]:
            args[name] = parameter["schema"]["default"]
    return args


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def json_body() -> dict[str, Any]:
    """The request's JSON body, checked against its operation's schema (must be an object)."""
    data = request.get_data(cache=True)
    try:
        body = json.loads(data, parse_constant=_reject_constant) if data else None
    except (ValueError, RecursionError):
        raise ApiInputError("body", "is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiInputError("body", "must be a JSON object")
    schema = current_operation()["requestBody"]["content"]["application/json"]["schema"]
    validate(schema, body, "")
    return body


# --- one session per request, JSON answers ------------------------------------------------

def db() -> Session:
    """The request's session (`web.request_db`: opened on first use, closed at teardown; views commit once)."""
    return request_session()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`data` as a JSON response (UTF-8, non-ASCII kept readable)."""
    return Response(json.dumps(data, ensure_ascii=False), status=status, headers=headers,
                    mimetype="application/json")


# The stable `code` of an error that names no more specific one, by HTTP status.
STATUS_CODES = {400: "invalid_input", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
                409: "conflict", 413: "body_too_large", 415: "unsupported_media_type", 422: "rule_violated",
                429: "rate_limited", 503: "unavailable"}


def error_response(status: int, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None, code: str | None = None) -> Response:
    """{"error": message, "code": stable code[, "field": field]} with `status`."""
    body = {"error": message, "code": code or STATUS_CODES.get(status, "error")}
    if field is not None:
        body["field"] = field
    return json_response(body, status, headers)


def setting(name: str, default: Any) -> Any:
    """The Config value for environment variable `name` (attribute `name.lower()`), or `default`."""
    return getattr(platform().config, name.lower(), default)
