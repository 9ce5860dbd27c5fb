"""The UI's pages and downloads: mocks, an HTTP mock's presets and history, captured mail."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

from aiohttp import web

from pretenders.server.core.history import HistoryStats
from pretenders.server.core.records import MailRecord, RequestRecord
from pretenders.server.core.registry import Mock, Protocol, Record
from pretenders.server.http_mock import PREFIX
from pretenders.server.mocks import MockService
from pretenders.server.state import STATE
from pretenders.server.ui import present
from pretenders.server.ui.bodies import body_view
from pretenders.server.ui.forms import MockForm, PresetForm
from pretenders.server.ui.mail import envelope, mail_row, parse_mail
from pretenders.server.ui.rendering import render
from pretenders.server.ui.security import MAIL_FRAME_POLICY, secure

LIST_LIMIT = 500
"""History tables show the newest records up to this many (the API has them all)."""

MAIL_VIEWS = ("html", "text", "headers", "raw")


def _mocks(request: web.Request) -> MockService:
    return request.app[STATE].mocks


async def mock_of(request: web.Request, protocol: Protocol) -> Mock:
    """The mock named in the URL; UnknownMock (a 404 page) when it is gone."""
    return await _mocks(request).get(protocol, request.match_info["id"])


async def _numbered(request: web.Request, mock: Mock) -> tuple[int, Record | None]:
    """The record number in the URL, counted from the first record since the last reset,
    and the record it names.

    The UI numbers records that way, dropped ones included, so that a link keeps
    pointing at the same record while the history limit drops older ones.
    """
    text = request.match_info["n"]
    mocks = _mocks(request)
    stats = await mocks.history_stats(mock)
    if not text.isdigit() or int(text) >= stats.total:
        raise web.HTTPNotFound(
            text=f"Nothing recorded at position {text} of {mock.id} "
            f"({stats.total} recorded; the history may have been reset)."
        )
    if int(text) < stats.dropped:
        raise web.HTTPNotFound(
            text=f"Record {text} of {mock.id} was dropped by --history-limit: the server "
            f"keeps the newest {stats.limit} records of each mock."
        )
    n = int(text)
    return n, await mocks.record_at(mock, n - stats.dropped)


async def _newest(mocks: MockService, mock: Mock, stats: HistoryStats) -> tuple[list[Record], int]:
    """The newest records a page lists (up to LIST_LIMIT), and the number of the first."""
    start = max(stats.kept - LIST_LIMIT, 0)
    records, _ = await mocks.store_records(mock, start)
    return records[:LIST_LIMIT], stats.dropped + start


def http_endpoint(request: web.Request, mock: Mock) -> str:
    """Where the mock answers: its own port's URL if it has one, else below /mockhttp/."""
    own = mock.details.get("url")
    if isinstance(own, str):
        return own
    return f"{request.scheme}://{request.host}{PREFIX}{quote(mock.id, safe='')}"


def smtp_endpoint(request: web.Request, mock: Mock) -> str:
    adapter = _mocks(request).adapters.get("smtp")
    if adapter is None:
        return ""
    return str(getattr(adapter.describe(mock), "full_host", ""))


async def index(request: web.Request) -> web.StreamResponse:
    return await render_index(request, MockForm())


async def render_index(
    request: web.Request, form: MockForm, error: str = "", status: int = 200
) -> web.Response:
    mocks = _mocks(request)
    http = [
        await _row(mocks, mock, http_endpoint(request, mock))
        for mock in await mocks.list_mocks("http")
    ]
    smtp = [
        await _row(mocks, mock, smtp_endpoint(request, mock))
        for mock in await mocks.list_mocks("smtp")
    ]
    return render(
        request,
        "index.html",
        status=status,
        http_mocks=http,
        smtp_mocks=smtp,
        protocols=[p for p in ("http", "smtp") if p in mocks.adapters],
        form=form,
        error=error,
    )


async def _row(mocks: MockService, mock: Mock, address: str) -> present.MockRow:
    stats = await mocks.history_stats(mock)
    return present.mock_row(mock, address, await mocks.preset_count(mock), stats.kept)


async def http_mock(request: web.Request) -> web.StreamResponse:
    return await render_http_mock(request, await mock_of(request, "http"), PresetForm())


async def render_http_mock(
    request: web.Request,
    mock: Mock,
    form: PresetForm,
    error: str = "",
    error_field: str | None = None,
    status: int = 200,
) -> web.Response:
    mocks = _mocks(request)
    stats = await mocks.history_stats(mock)
    records, first = await _newest(mocks, mock, stats)
    shown = range(len(records) - 1, -1, -1)
    rows = [
        present.request_row(mock, first + n, record)
        for n in shown
        if isinstance(record := records[n], RequestRecord)
    ]
    presets = await mocks.presets_of(mock)
    return render(
        request,
        "http_mock.html",
        status=status,
        mock=mock,
        row=present.mock_row(mock, http_endpoint(request, mock), len(presets), stats.kept),
        presets=[present.preset_view(mock, preset) for preset in presets],
        recording=present.recording_text(presets),
        requests=rows,
        total=stats.kept,
        dropped=present.dropped_note(stats, "request"),
        form=form,
        error=error,
        error_field=error_field,
        open_form=bool(error) or not presets,
    )


async def _request(request: web.Request) -> tuple[Mock, int, RequestRecord]:
    mock = await mock_of(request, "http")
    n, record = await _numbered(request, mock)
    if not isinstance(record, RequestRecord):
        raise web.HTTPNotFound(text=f"Position {n} of {mock.id} is not an HTTP request.")
    return mock, n, record


async def http_request(request: web.Request) -> web.StreamResponse:
    mock, n, record = await _request(request)
    stats = await _mocks(request).history_stats(mock)
    content_type = present.header_value(record.headers, "Content-Type")
    query = urlsplit(record.url).query
    return render(
        request,
        "http_request.html",
        mock=mock,
        mock_href=present.ui_path("http", mock.id),
        mock_name=present.clean(mock.id),
        n=n,
        first=stats.dropped,
        count=stats.total,
        row=present.request_row(mock, n, record),
        record=record,
        headers=[(present.clean(k), present.clean(v)) for k, v in record.headers],
        query=[(present.clean(k), present.clean(v)) for k, v in parse_qsl(query, True)],
        body=body_view(record.body, content_type),
        content_type=present.clean(content_type or ""),
        near_misses=present.near_misses(record),
        webhook=present.webhook_view(record),
    )


async def http_request_body(request: web.Request) -> web.StreamResponse:
    _, n, record = await _request(request)
    return download(record.body, f"request-{n}")


async def smtp_mock(request: web.Request) -> web.StreamResponse:
    mock = await mock_of(request, "smtp")
    mocks = _mocks(request)
    stats = await mocks.history_stats(mock)
    records, first = await _newest(mocks, mock, stats)
    shown = range(len(records) - 1, -1, -1)
    rows = [
        mail_row(mock, first + n, record)
        for n in shown
        if isinstance(record := records[n], MailRecord)
    ]
    return render(
        request,
        "smtp_mock.html",
        mock=mock,
        row=await _row(mocks, mock, smtp_endpoint(request, mock)),
        script=[present.script_view(preset) for preset in await mocks.scripted_replies(mock)],
        mails=rows,
        total=stats.kept,
        dropped=present.dropped_note(stats, "mail"),
    )


async def _mail(request: web.Request) -> tuple[Mock, int, MailRecord]:
    mock = await mock_of(request, "smtp")
    n, record = await _numbered(request, mock)
    if not isinstance(record, MailRecord):
        raise web.HTTPNotFound(text=f"Position {n} of {mock.id} is not a mail.")
    return mock, n, record


async def smtp_mail(request: web.Request) -> web.StreamResponse:
    mock, n, record = await _mail(request)
    stats = await _mocks(request).history_stats(mock)
    mail = parse_mail(record)
    default = "html" if mail.html is not None else "text"
    view = request.query.get("view", default)
    if view not in MAIL_VIEWS:
        view = default
    return render(
        request,
        "smtp_mail.html",
        mock=mock,
        mock_href=present.ui_path("smtp", mock.id),
        mock_name=present.clean(mock.id),
        n=n,
        first=stats.dropped,
        count=stats.total,
        mail=mail,
        received=present.clock(record.time),
        received_title=present.precise(record.time),
        envelope=envelope(record),
        view=view,
        base=present.ui_path("smtp", mock.id, "mails", n),
    )


async def mail_html(request: web.Request) -> web.StreamResponse:
    """The mail's HTML, for the sandboxed frame of the mail page (its own, stricter policy)."""
    _, _, record = await _mail(request)
    html = parse_mail(record).html or ""
    response = web.Response(text=html, content_type="text/html", charset="utf-8")
    return secure(response, MAIL_FRAME_POLICY, framing="SAMEORIGIN")


async def mail_attachment(request: web.Request) -> web.StreamResponse:
    _, _, record = await _mail(request)
    attachments = parse_mail(record).attachments
    text = request.match_info["k"]
    if not text.isdigit() or not 0 < int(text) <= len(attachments):
        raise web.HTTPNotFound(text=f"This mail has no attachment {text}.")
    attachment = attachments[int(text) - 1]
    return download(attachment.data, attachment.filename)


async def mail_source(request: web.Request) -> web.StreamResponse:
    _, n, record = await _mail(request)
    return download(record.data, f"mail-{n}.eml")


def download(data: bytes, filename: str) -> web.StreamResponse:
    """Bytes the browser saves as a file, and never shows as a page nor runs as a script.

    The type is never the one a mail claims for an attachment: served from the UI's own
    origin as ``text/javascript``, an attachment would pass the UI's ``script-src 'self'``.
    """
    ascii_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)[:100]
    disposition = f"attachment; filename=\"{ascii_name or 'download'}\"; filename*=UTF-8''" + quote(
        filename, safe=""
    )
    response = web.Response(
        body=data,
        content_type="application/octet-stream",
        headers={"Content-Disposition": disposition},
    )
    return secure(response, "default-src 'none'; sandbox")
