"""Media and template messages as the Cloud API takes them: limits, and the JSON of what pywa does not build.

`MEDIA_LIMITS` is Meta's table of what an image or a document may be (type and size); the
upload checks it before anything leaves. `media_message` and `template_message` build the
message object for the requests the facade sends itself (a BSUID pywa does not address, a
media id that is not digits, a template with header or button parameters).
"""

from __future__ import annotations

from typing import Any

# Meta's supported media (cloud-api/reference/media#supported-media-types): MIME types and byte limits.
MEDIA_LIMITS: dict[str, tuple[frozenset[str], int]] = {
    "image": (frozenset({"image/jpeg", "image/png"}), 5 * 1024 * 1024),
    "document": (frozenset({
        "application/pdf", "text/plain", "application/msword", "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }), 100 * 1024 * 1024),
}
MEDIA_TYPES = tuple(MEDIA_LIMITS)
MAX_CAPTION = 1024
TEMPLATE_PAGE_SIZE = 100
MAX_TEMPLATE_PAGES = 200  # a paging loop that never ends is a bug on one side; stop well past any real account
TEMPLATE_FIELDS = ("id", "name", "language", "status", "category", "components", "parameter_format")


def media_type_for(mime_type: str) -> str | None:
    """`image` or `document` for a MIME type Meta accepts, else None."""
    return next((kind for kind, (types, _) in MEDIA_LIMITS.items() if mime_type in types), None)


def media_message(media: dict[str, Any]) -> dict[str, Any]:
    """The `image` / `document` object of a message: `id` or `link`, caption, a document's filename."""
    message: dict[str, Any] = {"id": media["id"]} if media.get("id") else {"link": media["link"]}
    if media.get("caption"):
        message["caption"] = media["caption"]
    if media.get("type") == "document" and media.get("filename"):
        message["filename"] = media["filename"]
    return message


def template_components(body: list[str] | None, extra: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A template's `components` with body, header (text) and button (URL/quick-reply) parameters."""
    components: list[dict[str, Any]] = []
    extra = extra or {}
    if extra.get("header"):
        components.append({"type": "header", "parameters": [{"type": "text", "text": str(p)} for p in extra["header"]]})
    if body:
        components.append({"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in body]})
    for button in extra.get("buttons") or []:
        kind = button.get("sub_type", "url")
        key = "payload" if kind == "quick_reply" else "text"
        components.append({"type": "button", "sub_type": kind, "index": str(button["index"]),
                           "parameters": [{"type": key, key: str(p)} for p in button["params"]]})
    return components
