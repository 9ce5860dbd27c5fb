"""The admin API: the 1.4 REST routes, as one table of small handlers.

The same table registers the routes and writes the OpenAPI document, so the two
cannot drift apart.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from pretenders.common.wire_names import DROPPED_HEADER, NEXT_OFFSET_HEADER, TOTAL_HEADER
from pretenders.server import network_admin as network
from pretenders.server import wire
from pretenders.server.core.errors import CoreError, InvalidInput, UnknownMock
from pretenders.server.core.history import HistoryStats
from pretenders.server.core.paging import Page
from pretenders.server.core.registry import Mock, Protocol
from pretenders.server.core.waiting import MAX_WAIT
from pretenders.server.http_protocol import on_disconnect, unreadable_body
from pretenders.server.limits import payload_too_large
from pretenders.server.mocks import MockService
from pretenders.server.own_ports import OWN_PORTS
from pretenders.server.paging import (
    PAGING,
    PAGING_SCHEMAS,
    page_of,
    stream_json_list,
    without_paging,
)
from pretenders.server.state import STATE, ServerState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_JSON = "application/json"


@dataclass(frozen=True)
class OneOf:
    """A response that is one of several documents (a list of them when ``many``)."""

    types: tuple[type[msgspec.Struct], ...]
    many: bool = False


@dataclass(frozen=True)
class Route:
    """One admin route, with what the OpenAPI document says about it."""

    method: str
    path: str
    handler: Handler
    summary: str
    request: type[msgspec.Struct] | OneOf | None = None
    response: Any = None
    """The type of a 200 answer's JSON body; None for an empty body."""
    errors: tuple[int, ...] = ()
    query: tuple[str, ...] = ()
    """Required query parameters."""
    options: dict[str, str] = field(default_factory=dict)
    """Optional query parameters, each with what it does."""
    option_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The JSON schema of those that are not plain strings."""
    headers: dict[str, str] = field(default_factory=dict)
    """Headers of a 200 answer, each with what it says."""
    public: bool = False
    """Open without the admin token (when the server has one)."""


def json_response(document: Any, status: int = 200) -> web.Response:
    return web.Response(body=msgspec.json.encode(document), status=status, content_type=_JSON)


def error_response(error: CoreError) -> web.Response:
    item = wire.ErrorItem(code=error.code, message=error.message, field=error.field)
    return json_response(wire.ErrorOut(errors=[item]), status=error.status)


class UnreadableBody(InvalidInput):
    """A request body that cannot be decoded as its headers say (e.g. Content-Encoding)."""


def _reports_errors(handler: Handler) -> Handler:
    """Turn the core's errors into a 4xx whose body names the problem."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except CoreError as error:
            response = error_response(error)
            if isinstance(error, UnreadableBody):
                response.force_close()  # the connection cannot be read past that body
            return response

    return wrapped


class NotRecorded(CoreError):
    """Nothing recorded at that position of a mock's history."""

    status = 404
    code = "not_recorded"


def _state(request: web.Request) -> ServerState:
    return request.app[STATE]


def _mocks(request: web.Request) -> MockService:
    return request.app[STATE].mocks


async def _payload(request: web.Request, payload_type: type[wire.Payload]) -> wire.Payload:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        settings = _state(request).settings
        raise payload_too_large(settings.admin_payload_limit, settings.max_body_size) from None
    except RequestPayloadError as error:  # e.g. "Content-Encoding: gzip" on plain JSON
        raise UnreadableBody(unreadable_body(error)) from None
    return wire.decode(payload_type, raw if raw.strip() else b"{}")


def _mock_routes(protocol: Protocol) -> list[Route]:
    """The routes that create, list, inspect and delete mocks of one protocol."""

    create_type = wire.CreateSmtpMock if protocol == "smtp" else wire.CreateHttpMock

    async def create(request: web.Request) -> web.StreamResponse:
        mocks = _mocks(request)
        payload = await _payload(request, create_type)
        if isinstance(payload, wire.CreateHttpMock):
            mock = await mocks.open_http_mock(payload)
        else:
            mock = await mocks.open_mock(protocol, payload)
        return json_response(mocks.describe(mock))

    async def list_all(request: web.Request) -> web.StreamResponse:
        return json_response(
            [wire.mock_info(m) for m in await _mocks(request).list_mocks(protocol)]
        )

    async def inspect(request: web.Request) -> web.StreamResponse:
        mock = await _mocks(request).get(protocol, request.match_info["id"])
        return json_response(wire.mock_info(mock))

    async def delete(request: web.Request) -> web.StreamResponse:
        await _mocks(request).delete(protocol, request.match_info["id"])
        return web.Response()

    async def prune(request: web.Request) -> web.StreamResponse:
        if not request.query.get("stale"):
            raise InvalidInput(
                f"DELETE /{protocol} only deletes idle mocks, with ?stale=1; "
                f"to delete one mock use DELETE /{protocol}/<id>",
                field="stale",
            )
        await _mocks(request).prune()
        return web.Response()

    created_type = wire.CreatedHttpMock if protocol == "http" else wire.CreatedSmtpMock
    kind = protocol.upper()
    return [
        Route(
            "POST",
            f"/{protocol}",
            create,
            f"Create an {kind} mock, or join the one with that name"
            + (
                "; with `port`, also served at `/` on a port of its own (`tls`: HTTPS); "
                "with `presets` added at once (all checked first: a bad one is refused "
                "naming its index, and nothing is created; at most --max-presets)"
                if protocol == "http"
                else ""
            ),
            request=create_type,
            response=created_type,
            errors=(400, 409),
        ),
        Route(
            "GET",
            f"/{protocol}",
            list_all,
            f"List the live {kind} mocks",
            response=list[wire.MockInfo],
        ),
        Route(
            "DELETE",
            f"/{protocol}",
            prune,
            f"Delete the {kind} mocks idle past their timeout",
            errors=(400,),
            query=("stale",),
        ),
        Route(
            "GET",
            f"/{protocol}/{{id}}",
            inspect,
            f"Describe one {kind} mock",
            response=wire.MockInfo,
            errors=(404,),
        ),
        Route(
            "DELETE",
            f"/{protocol}/{{id}}",
            delete,
            f"Delete one {kind} mock with its presets and history",
            errors=(404,),
        ),
    ]


async def _mock_or_none(request: web.Request) -> Mock | None:
    return await _mocks(request).find(request.match_info["id"])


async def add_preset(request: web.Request) -> web.StreamResponse:
    mocks = _mocks(request)
    mock = await _mock_or_none(request)
    if mock is None:
        raise UnknownMock("http", request.match_info["id"])
    if mock.protocol == "smtp":
        smtp = await _payload(request, wire.SmtpPresetIn)
        return json_response(wire.smtp_preset_out(await mocks.add_smtp_reply(mock, smtp)))
    http = await _payload(request, wire.PresetIn)
    return json_response(wire.preset_out(await mocks.add_http_preset(mock, http)))


async def _live_mock(request: web.Request) -> Mock:
    """The mock named in the path, of either protocol, or UnknownMock."""
    return await _mocks(request).get_any(request.match_info["id"])


async def list_presets(request: web.Request) -> web.StreamResponse:
    page = page_of(request.query)
    unused = request.query.get("unused")
    only_unused = unused is not None and wire.flag(unused, "unused")
    mock = await _mock_or_none(request)
    if mock is None:
        return json_response([])
    presets, more = await _mocks(request).list_presets(mock, page, only_unused)
    encode: Any = wire.smtp_preset_out if mock.protocol == "smtp" else wire.preset_out
    return await stream_json_list(request, presets, encode, _next_offset(page, len(presets), more))


def _next_offset(page: Page, answered: int, more: bool) -> dict[str, str]:
    """The header naming the next page's offset, when there is a next page."""
    following = page.next_offset(answered, more)
    return {} if following is None else {NEXT_OFFSET_HEADER: str(following)}


async def clear_presets(request: web.Request) -> web.StreamResponse:
    mock = await _mock_or_none(request)
    if mock is not None:
        await _mocks(request).clear_presets(mock)
    return web.Response()


def _totals(stats: HistoryStats | None) -> dict[str, str]:
    """Say how many records the mock received and how many the history limit dropped."""
    return {
        TOTAL_HEADER: str(stats.total if stats is not None else 0),
        DROPPED_HEADER: str(stats.dropped if stats is not None else 0),
    }


HISTORY_HEADERS = {
    TOTAL_HEADER: "Requests (or mails) the mock received since its last reset, those the "
    "history limit dropped included",
    DROPPED_HEADER: "How many of the oldest of them the server's --history-limit or "
    "--history-bytes dropped: the answer only holds the others",
}

PAGE_HEADERS = {
    NEXT_OFFSET_HEADER: "Only when a limit stopped the answer before the end: the offset "
    "of the next page",
}


async def list_history(request: web.Request) -> web.StreamResponse:
    page = page_of(request.query)
    mock = await _mock_or_none(request)
    wanted = wire.history_filter(
        without_paging(request.query),
        mock.protocol if mock else None,
        timeout=_state(request).settings.regex_timeout,
    )
    if mock is None:
        response = json_response([])
        response.headers.update(_totals(None))
        return response
    mocks = _mocks(request)
    totals = _totals(await mocks.history_stats(mock))
    records, more = await mocks.list_history(mock, page, wanted)
    headers = {**totals, **_next_offset(page, len(records), more)}
    return await stream_json_list(request, records, wire.record_out, headers)


async def history_stats(request: web.Request) -> web.StreamResponse:
    return json_response(
        wire.history_stats(await _mocks(request).history_stats(await _live_mock(request)))
    )


async def count_records(request: web.Request) -> web.StreamResponse:
    mock = await _live_mock(request)
    payload = await _payload(request, wire.FilterIn)
    wanted = wire.filter_of(payload, mock.protocol, timeout=_state(request).settings.regex_timeout)
    count, dropped = await _mocks(request).count(mock, wanted)
    return json_response(wire.CountOut(count=count, dropped=dropped))


async def get_history(request: web.Request) -> web.StreamResponse:
    text = request.match_info["position"]
    try:
        position = int(text)
    except ValueError:
        raise InvalidInput(f"position must be an integer, got {text!r}", field="position") from None
    mocks = _mocks(request)
    mock = await _mock_or_none(request)
    # -1 is the latest, as 1.4 allowed
    record = await mocks.record_at(mock, position) if mock is not None else None
    stats = await mocks.history_stats(mock) if mock is not None else None
    if record is None:
        dropped = stats.dropped if stats is not None else 0
        raise NotRecorded(
            f"No recorded request at position {text}"
            + (f" ({_dropped_note(dropped)}; 0 is the oldest kept)" if dropped else ""),
            field="position",
        )
    response = json_response(wire.record_out(record))
    response.headers.update(_totals(stats))
    return response


def _dropped_note(dropped: int) -> str:
    records = "record was" if dropped == 1 else "records were"
    return f"{dropped} older {records} dropped by --history-limit or --history-bytes"


async def clear_history(request: web.Request) -> web.StreamResponse:
    mock = await _mock_or_none(request)
    if mock is not None:
        await _mocks(request).clear_history(mock)
    return web.Response()


def _history_routes() -> list[Route]:
    return [
        Route(
            "GET",
            "/history/{id}",
            list_history,
            "Everything the mock received and kept, oldest first ([] for an unknown mock), "
            "optionally filtered, and paged with offset and limit (applied after the "
            "filter). Past the server's --history-limit or --history-bytes the oldest "
            "records are dropped; the headers say how many",
            response=OneOf((wire.RequestOut, wire.MailOut), many=True),
            errors=(400,),
            options={**wire.HISTORY_FILTERS, **PAGING},
            option_schemas=PAGING_SCHEMAS,
            headers={**HISTORY_HEADERS, **PAGE_HEADERS},
        ),
        Route(
            "GET",
            "/history/{id}/{position}",
            get_history,
            "One recorded request or mail among those kept (0 is the oldest kept, -1 the latest)",
            response=OneOf((wire.RequestOut, wire.MailOut)),
            errors=(400, 404),
            headers=HISTORY_HEADERS,
        ),
        Route("DELETE", "/history/{id}", clear_history, "Forget what the mock received"),
        Route(
            "GET",
            "/stats/{id}",
            history_stats,
            "How many requests (or mails) the mock received since its last reset, how many "
            "its history keeps, and how many of the oldest the server's --history-limit "
            "dropped",
            response=wire.HistoryStatsOut,
            errors=(404,),
        ),
    ]


def _preset_routes() -> list[Route]:
    return [
        Route(
            "POST",
            "/preset/{id}",
            add_preset,
            "Add a canned reply to an HTTP mock, or a scripted reply to an SMTP mock "
            "(409 past the server's --max-presets or --preset-bytes)",
            request=OneOf((wire.PresetIn, wire.SmtpPresetIn)),
            response=OneOf((wire.PresetOut, wire.SmtpPresetOut)),
            errors=(400, 404, 409),
        ),
        Route(
            "GET",
            "/preset/{id}",
            list_presets,
            "The mock's presets in the order they are tried ([] for an unknown mock), "
            "paged with offset and limit (applied after the unused filter)",
            response=OneOf((wire.PresetOut, wire.SmtpPresetOut), many=True),
            errors=(400,),
            options={
                "unused": "true: only presets still owed requests: uses left to count "
                "down, or FOREVER and never served (SMTP: uses left to count down)",
                **PAGING,
            },
            option_schemas=PAGING_SCHEMAS,
            headers=PAGE_HEADERS,
        ),
        Route("DELETE", "/preset/{id}", clear_presets, "Remove all of the mock's presets"),
    ]


async def _http_mock(request: web.Request) -> Mock:
    """The HTTP mock named in the path, or UnknownMock."""
    return await _mocks(request).get("http", request.match_info["id"])


async def list_states(request: web.Request) -> web.StreamResponse:
    mocks = _mocks(request)
    entries = await mocks.states(await _http_mock(request))
    return json_response([wire.state_out(entry) for entry in entries])


async def set_state(request: web.Request) -> web.StreamResponse:
    mocks = _mocks(request)
    mock = await _http_mock(request)
    payload = await _payload(request, wire.StateIn)
    return json_response(wire.state_out(await mocks.set_state(mock, payload)))


async def reset_states(request: web.Request) -> web.StreamResponse:
    mocks = _mocks(request)
    mock = await _http_mock(request)
    await mocks.reset_states(mock, request.query.get("machine"), request.query.get("key"))
    return web.Response()


def _state_routes() -> list[Route]:
    return [
        Route(
            "GET",
            "/state/{id}",
            list_states,
            "The HTTP mock's state machine instances not in start (every other one is in "
            "start), by machine and key",
            response=list[wire.StateOut],
            errors=(404,),
        ),
        Route(
            "PUT",
            "/state/{id}",
            set_state,
            "Put one state machine instance of the mock in a state (key left out: the "
            "machine's unkeyed instance); 409 past the most instances a mock holds",
            request=wire.StateIn,
            response=wire.StateOut,
            errors=(400, 404, 409),
        ),
        Route(
            "DELETE",
            "/state/{id}",
            reset_states,
            "Move the mock's state machines back to start: all of them, one machine's "
            "instances (machine), or one instance (machine and key)",
            errors=(400, 404),
            options={
                "machine": "Only this machine's instances",
                "key": "Only this key's instance (with machine)",
            },
        ),
    ]


async def wait_records(request: web.Request) -> web.StreamResponse:
    mocks = _mocks(request)
    mock = await _live_mock(request)
    payload = await _payload(request, wire.WaitIn)
    wanted = wire.filter_of(payload, mock.protocol, timeout=mocks.regex_timeout)
    task = asyncio.ensure_future(mocks.wait(mock, wanted, payload.count, payload.timeout))
    forget = on_disconnect(request, task.cancel)
    try:
        await asyncio.wait({task})
    finally:
        forget()
        task.cancel()  # a no-op once done; ends the wait if this handler is cancelled
    if task.cancelled():
        return web.Response(status=499)  # the client went away: nobody reads this
    result = task.result()
    return json_response(wire.wait_out(mock.protocol, result, payload.count, payload.timeout))


def _verify_routes() -> list[Route]:
    return [
        Route(
            "POST",
            "/count/{id}",
            count_records,
            "Count the recorded requests matching a rule (the preset rule language), "
            "or the mails matching to/subject, among those kept; `dropped` says how many "
            "older records the history limit dropped",
            request=wire.FilterIn,
            response=wire.CountOut,
            errors=(400, 404),
        ),
        Route(
            "POST",
            "/wait/{id}",
            wait_records,
            "Hold the call until `count` matching requests (or mails) are recorded, counting "
            "those already there, or until `timeout` seconds (at most "
            f"{MAX_WAIT:g}) have passed; either way 200, with `met` true or false and what "
            "was seen",
            request=wire.WaitIn,
            response=OneOf((wire.WaitRequestsOut, wire.WaitMailsOut)),
            errors=(400, 404),
        ),
    ]


async def client_certificate(request: web.Request) -> web.StreamResponse:
    payload = await _payload(request, wire.ClientCertificateIn)
    wire.check_client_certificate(payload)
    certificate, key = request.app[OWN_PORTS].authority.issue_client(payload.name)
    return json_response(
        wire.ClientCertificateOut(certificate=certificate.decode(), key=key.decode())
    )


def _tls_routes() -> list[Route]:
    return [
        Route(
            "POST",
            "/tls/client-certificate",
            client_certificate,
            "A client certificate for `name` (its subject: `CN=<name>`) and its private key "
            "(PEM), signed by the server's certificate authority, for HTTPS mocks created "
            "with `client_cert`",
            request=wire.ClientCertificateIn,
            response=wire.ClientCertificateOut,
            errors=(400,),
        ),
    ]


async def health(request: web.Request) -> web.StreamResponse:
    mocks = _mocks(request)
    problem = await mocks.health()
    if problem is None:
        return json_response(wire.HealthOut("ok"))
    return json_response(wire.HealthOut("degraded", mocks.store.name, problem), status=503)


def _network_routes() -> list[Route]:
    """Recording, export and import (``network_admin.py``)."""
    return [
        Route(
            "POST",
            "/record/{id}",
            network.start_record,
            "Make the HTTP mock a recorder: every request is forwarded to `to` and each "
            "exchange kept as a preset (method, path and what `match` names; the reply as "
            "received), served FOREVER; the same request again keeps its first answer",
            request=network.RecordIn,
            response=network.RecordingOut,
            errors=(400, 404, 409),
        ),
        Route(
            "GET",
            "/record/{id}",
            network.show_record,
            "Whether the HTTP mock records, and through what",
            response=network.RecordingOut,
            errors=(404,),
        ),
        Route(
            "DELETE",
            "/record/{id}",
            network.stop_record,
            "Stop recording: the recorded presets stay, and now answer",
            response=network.RecordingOut,
            errors=(404,),
        ),
        Route(
            "GET",
            "/export/{id}",
            network.export,
            "The HTTP mock's presets as a --load file (its recorder left out), to replay "
            "them with `pretenders --load FILE`",
            errors=(400, 404),
            options={"format": "json (the default) or yaml"},
        ),
        Route(
            "POST",
            "/import/{id}",
            network.import_stubs,
            "Add WireMock stub mappings (one, a list, or {mappings}) or mountebank imposters "
            "(one, or {imposters}) to the HTTP mock as presets; per stub, the preset made and "
            "what could not be mapped",
            response=network.ImportOut,
            errors=(400, 404),
            query=("format",),
        ),
    ]


def admin_routes() -> list[Route]:
    """Every admin route of the server, in the order they are documented."""
    routes = [
        Route(
            "GET",
            "/health",
            health,
            "Whether the server is up, for container health checks (never asks for the "
            "admin token); 503 and degraded when its store does not answer",
            response=wire.HealthOut,
            public=True,
        ),
        *_mock_routes("http"),
        *_mock_routes("smtp"),
        *_preset_routes(),
        *_history_routes(),
        *_verify_routes(),
        *_state_routes(),
        *_tls_routes(),
        *_network_routes(),
    ]
    return [replace(r, handler=_reports_errors(r.handler)) for r in routes]
