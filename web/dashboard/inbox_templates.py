"""The thread's "send a template" and "send a file": a synced template with its parameters, an image or a document.

`POST /dashboard/inbox/<id>/template` takes a synced, APPROVED template (`template` = name|language)
and exactly the values it needs (`web.dashboard.template_picker`); with `action=preview` it
answers a page with the message as the customer will read it and a button that sends it.
Without any synced template the free-typed form (name, language, one body parameter a line)
still works, and a typed template that is synced is checked the same way. The row is queued
by `inbox.queue_template_reply` and sent by `conversation_pages._send`, as every operator message is (the
inbox's own "queue in a transaction, send, return to the thread": a template or a file goes exactly
the way a reply goes).

`POST /dashboard/inbox/<id>/attachment` (multipart) takes a JPEG/PNG image or a document
within Meta's types and the dashboard's size limit, refuses it before anything leaves while
the 24-hour window is closed, uploads it to the Graph API's media endpoint through the
sender, and queues one operator row whose `content` holds the media id (and caption): the
processor sends it like a text, with retries that reuse the uploaded id.
Each action is recorded (`record_action`) in the transaction that queues it.
"""

from __future__ import annotations

import logging
import mimetypes
from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from campaigns.message_templates import (
    TemplateParameterError,
    check_parameters,
    extra_content,
    find_template,
)
from database_models import ScheduledMessage, utcnow
from graph_api.media import MAX_CAPTION, MEDIA_LIMITS, media_type_for
from runtime.context import platform
from scheduler import Scheduler
from web.dashboard.blueprint import dashboard
from web.dashboard.conversation_pages import _send
from web.dashboard.inbox import (
    OPERATOR_KIND,
    ContactNotFound,
    InboxError,
    OutsideWindow,
    get_contact,
    is_window_open,
    queue_template_reply,
)
from web.dashboard.operators import current_operator_id, record_action
from web.dashboard.template_picker import chosen, describe_refusal, read_values, synced_templates
from web.i18n import format_number
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.inbox")
_CONTACT = "<int(min=1, max=2147483647):contact_id>"
FORM_OVERHEAD = 64 * 1024  # the caption, the token and the multipart boundaries around the file
# Magic numbers of the image types Meta takes: a renamed file is refused here, not by Meta later.
IMAGE_SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


def attachment_limit(kind: str) -> int:
    """The largest file of `kind` the dashboard takes: Meta's limit, within the app's request limit."""
    app_limit = current_app.config.get("MAX_CONTENT_LENGTH") or MEDIA_LIMITS[kind][1]
    return min(MEDIA_LIMITS[kind][1], max(app_limit - FORM_OVERHEAD, 0))


@dashboard.app_template_global("attachment_limit_mb")
def attachment_limit_mb() -> str:
    """The dashboard's size limit for an image, in MB, for the form's hint."""
    return format_number(round(attachment_limit("image") / (1024 * 1024), 1))


@dashboard.post(f"/dashboard/inbox/{_CONTACT}/template", endpoint="reply_with_template")
def send_template(contact_id: int) -> Response | str:
    """Preview (`action=preview`) or queue and send a template to the contact."""
    choice = request.form.get("template", "")
    template = chosen(synced_templates(), choice) if choice else None
    if choice and template is None:
        flash(_("Choose one of the synced, approved templates."), "error")
        return redirect(url_for("dashboard.conversation", contact_id=contact_id) + "#send-template")
    if template is not None:
        body, header, buttons = read_values(template, request.form)
        name, language = template.name, template.language
    else:
        name, language = request.form.get("template_name", "").strip(), request.form.get("language", "").strip()
        body, header, buttons = [p.strip() for p in request.form.get("params", "").splitlines() if p.strip()], [], []
    if request.form.get("action") == "preview" and template is not None:
        return _preview(contact_id, template, body, header, buttons)

    def queue(db: Session, now: datetime) -> ScheduledMessage:
        synced = find_template(db, name, language or "en_US")
        if synced is not None:
            try:
                check_parameters(synced, body, header, buttons)
            except TemplateParameterError as error:
                raise InboxError(describe_refusal(synced, error)) from None
        row = queue_template_reply(db, contact_id, name, language, body, now, current_operator_id())
        if synced is not None:
            row.content = extra_content(synced, header, buttons)
        record_action(db, "template.sent", "contact", contact_id, message_id=row.id, template=name,
                      language=row.template_language, parameters=len(body) + len(header) + sum(map(len, buttons)))
        return row

    return _send(contact_id, queue, _("Template sent."), audited=True)


def _preview(contact_id: int, template, body: list[str], header: list[str], buttons: list[list[str]]) -> str:
    """The message as the customer will read it, with a button that sends exactly that."""
    with request_db() as db:
        try:
            contact = get_contact(db, contact_id)
        except ContactNotFound:
            abort(404, _("There is no such contact."))
        error = None
        try:
            check_parameters(template, body, header, buttons)
        except TemplateParameterError as refusal:
            error = describe_refusal(template, refusal)
    return render_template("dashboard/template_preview.html", contact=contact, template=template, body=body,
                           header=header, buttons=buttons, error=error)


@dashboard.post(f"/dashboard/inbox/{_CONTACT}/attachment", endpoint="send_attachment")
def send_attachment(contact_id: int) -> Response:
    """Upload an image or a document to the Graph API and queue it for the contact."""
    back = url_for("dashboard.conversation", contact_id=contact_id) + "#attach"
    upload: FileStorage | None = request.files.get("file")
    caption = request.form.get("caption", "").strip()
    try:
        with request_db() as db:
            contact = get_contact(db, contact_id)
            if not is_window_open(contact, utcnow()):
                raise OutsideWindow(_("The 24-hour window is closed: WhatsApp only accepts an approved template now."))
        kind, mime_type, data, filename = _read_upload(upload, caption)
    except ContactNotFound:
        abort(404, _("There is no such contact."))
    except InboxError as error:
        flash(str(error), "error")
        return redirect(back)
    uploaded = platform().sender.upload_media(data, mime_type, filename)
    if not uploaded.ok:
        logger.warning("attachment upload failed", extra={"event": "dashboard.attachment_upload_failed",
                                                         "contact_id": contact_id, "error_code": uploaded.error_code})
        flash(_("WhatsApp did not take the file: %(reason)s. Nothing was sent.",
                reason=uploaded.error_title or uploaded.error_code), "error")
        return redirect(back)
    media = {"type": kind, "id": uploaded.wamid, **({"caption": caption} if caption else {}),
             **({"filename": filename} if kind == "document" else {})}

    def queue(db: Session, now: datetime) -> ScheduledMessage:
        contact = get_contact(db, contact_id)
        if not is_window_open(contact, now):
            raise OutsideWindow(_("The 24-hour window is closed: WhatsApp only accepts an approved template now."))
        row = Scheduler(db).add(contact.id, body=caption or None, kind=OPERATOR_KIND, scheduled_at=now,
                                content={"media": media}, operator_id=current_operator_id())
        record_action(db, "attachment.sent", "contact", contact_id, message_id=row.id, media_type=kind,
                      media_id=uploaded.wamid, size=len(data), mime_type=mime_type)
        return row

    return _send(contact_id, queue, _("File sent."), audited=True)


def _read_upload(upload: FileStorage | None, caption: str) -> tuple[str, str, bytes, str]:
    """(kind, MIME type, bytes, file name) of an acceptable upload; InboxError saying what is wrong otherwise."""
    if upload is None or not upload.filename:
        raise InboxError(_("Choose a file to send."))
    if len(caption) > MAX_CAPTION:
        raise InboxError(_("A caption holds at most %(count)s characters.", count=format_number(MAX_CAPTION)))
    filename = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "file"
    mime_type = (upload.mimetype or "").lower()
    if media_type_for(mime_type) is None:
        mime_type = (mimetypes.guess_type(filename)[0] or "").lower()
    kind = media_type_for(mime_type)
    if kind is None:
        raise InboxError(_("WhatsApp takes JPEG or PNG images and PDF, Word, Excel, PowerPoint or text documents."))
    limit = attachment_limit(kind)
    data = upload.read(limit + 1)
    if not data:
        raise InboxError(_("The file is empty."))
    if len(data) > limit:
        raise InboxError(_("The file is larger than %(size)s MB.", size=format_number(round(limit / 1048576, 1))))
    signature = IMAGE_SIGNATURES.get(mime_type)
    if signature is not None and not data.startswith(signature):
        raise InboxError(_("The file is not a real JPEG or PNG image."))
    return kind, mime_type, data, filename
