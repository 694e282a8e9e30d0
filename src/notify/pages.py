"""/dev/outbox: every outbox row and each rendered message, in dev mode only (404 in prod).

Rendered with this package's own Jinja2 environment (templates/dev/), so the app needs no
template engine. A row not rendered yet is previewed without touching its SEQUENCE counter.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import jinja2
from litestar import Response, get
from litestar.params import FromPath, QueryParameter

from kernel.errors import NotFound
from kernel.http import MAX_ID, RuntimeDep
from kernel.runtime import Runtime
from notify import repository
from notify.compose import Skip, compose, email_message

# Litestar appends "; charset=utf-8" to text/* media types itself: never name one here
HTML = "text/html"


@functools.lru_cache(maxsize=4)
def _pages(templates_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir / "dev")),
                              autoescape=True, undefined=jinja2.StrictUndefined)


def _dev_only(runtime: Runtime) -> None:
    if runtime.settings.env != "dev":
        raise NotFound()


def _page(runtime: Runtime, template: str, **values: Any) -> Response:
    html = _pages(runtime.settings.templates_dir).get_template(template).render(**values)
    return Response(html, media_type=HTML, headers={
        "Cache-Control": "no-store",
        # the message HTML sits in a sandboxed iframe; the page itself needs no script at all
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                   "frame-src 'self'; img-src data:",
    })


async def _message(runtime: Runtime, message_id: int) -> dict[str, Any]:
    _dev_only(runtime)
    record = await repository.outbox_record(message_id) if 1 <= message_id <= MAX_ID else None
    if record is None:
        raise NotFound(f"No outbox message {message_id}.")
    record["preview"] = False
    record["skip_reason"] = None
    if record["subject"] is None and not record["payload"].get("fanout"):
        try:
            composed = await compose(record, runtime.settings, runtime.clock.now(), preview=True)
        except Skip as skip:
            record["skip_reason"] = str(skip)
        else:
            record.update(subject=composed.subject, body_text=composed.body_text,
                          body_html=composed.body_html, attachments=composed.attachments,
                          recipient_email=composed.recipient.email, preview=True)
    return record


@get("/dev/outbox", include_in_schema=False)
async def outbox_list(
    runtime: RuntimeDep,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
) -> Response:
    _dev_only(runtime)
    rows, total = await repository.outbox_page(limit, offset)
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
                            media_type=f"text/calendar; method={attachment['method']}",
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
