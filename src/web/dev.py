"""/dev/outbox: every outbox row and each rendered message, in dev mode only (404 in prod).
A row not rendered yet is previewed without touching its SEQUENCE counter
(`notify.service.outbox_message`). Its own layout (`dev/_layout.html`), not the site's.
"""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get
from litestar.params import FromPath, QueryParameter

from kernel.errors import NotFound
from kernel.http import MAX_ID, RuntimeDep, calendar_media_type
from kernel.i18n import environment
from kernel.runtime import Runtime
from notify import service as notify_service
from notify.compose import email_message
from web.kit import HTML


def _dev_only(runtime: Runtime) -> None:
    if runtime.settings.env != "dev":
        raise NotFound()


def _page(runtime: Runtime, template: str, **values: Any) -> Response:
    html = environment("web", "en", True).get_template(f"dev/{template}").render(**values)
    return Response(html, media_type=HTML, headers={
        "Cache-Control": "no-store",
        # the message HTML sits in a sandboxed iframe; the page itself needs no script at all
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                   "frame-src 'self'; img-src data:",
    })


async def _message(runtime: Runtime, message_id: int) -> dict[str, Any]:
    _dev_only(runtime)
    return await notify_service.outbox_message(runtime, message_id)


@get("/dev/outbox", include_in_schema=False)
async def outbox_list(
    runtime: RuntimeDep,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
) -> Response:
    _dev_only(runtime)
    rows, total = await notify_service.outbox_page(limit, offset)
    return _page(runtime, "outbox.html", rows=rows, total=total, limit=limit, offset=offset)


@get("/dev/outbox/{message_id:int}", include_in_schema=False)
async def outbox_message(runtime: RuntimeDep, message_id: FromPath[int]) -> Response:
    record = await _message(runtime, message_id)
    return _page(runtime, "outbox_message.html", m=record)


@get("/dev/outbox/{message_id:int}/invite.ics", include_in_schema=False)
async def outbox_message_ics(runtime: RuntimeDep, message_id: FromPath[int]) -> Response:
    record = await _message(runtime, message_id)
    for attachment in record["attachments"]:
        if attachment["content_type"] == "text/calendar":
            return Response(attachment["content"],
                            media_type=calendar_media_type(attachment['method']),
                            headers={"Content-Disposition": 'attachment; filename="invite.ics"'})
    raise NotFound("This message has no calendar part.")


@get("/dev/outbox/{message_id:int}/message.eml", include_in_schema=False)
async def outbox_message_eml(runtime: RuntimeDep, message_id: FromPath[int]) -> Response:
    record = await _message(runtime, message_id)
    if record["preview"] or record["rendered_at"] is None or not record["recipient_email"]:
        raise NotFound("This message has not been rendered (yet).")
    message = email_message(record, runtime.settings)
    return Response(message.as_bytes(), media_type="message/rfc822", headers={
        "Content-Disposition": f'attachment; filename="outbox-{message_id}.eml"'})


ROUTES = [outbox_list, outbox_message, outbox_message_ics, outbox_message_eml]
