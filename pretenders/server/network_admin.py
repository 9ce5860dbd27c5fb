"""Admin routes of proxying, recording, export and import: ``/record``, ``/export``,
``/import``. Short adapters onto ``recording.py``, ``exporting.py`` and ``imports/``."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from aiohttp import web

from pretenders.server import wire
from pretenders.server.core.errors import CoreError, InvalidInput, UnknownMock
from pretenders.server.core.proxy_spec import DEFAULT_PROXY_TIMEOUT, ProxySpec, RecordSpec
from pretenders.server.core.registry import Mock
from pretenders.server.exporting import FORMATS, export_document, render
from pretenders.server.imports import Converted, convert_imposters, convert_mappings
from pretenders.server.limits import payload_too_large
from pretenders.server.recording import recorders, start_recording, stop_recording
from pretenders.server.state import STATE

IMPORT_FORMATS = ("wiremock", "mountebank")


class RecordIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /record/<id>``: proxy every request to ``to`` and keep each exchange."""

    to: str
    """The upstream's base URL (http or https)."""
    match: RecordSpec = msgspec.field(default_factory=RecordSpec)
    """What the recorded presets match on besides method and path."""
    add_headers: dict[str, str] | None = None
    remove_headers: tuple[str, ...] = ()
    timeout: float = DEFAULT_PROXY_TIMEOUT


class RecordingOut(msgspec.Struct, omit_defaults=True):
    """Whether the mock records, and through what."""

    recording: bool
    to: str | None = None
    match: RecordSpec | None = None
    preset: int | None = None
    """The recorder's preset id (a proxy preset tried first)."""
    stopped: int | None = None
    """``DELETE``: how many recorders were removed (0: it was not recording)."""


class StubOut(msgspec.Struct, omit_defaults=True):
    """One imported stub: the preset it became, or why none, and what was not mapped."""

    stub: str
    preset: int | None = None
    unmapped: list[str] = []
    error: str | None = None
    """Why this server refused the preset made from it (none added)."""


class ImportOut(msgspec.Struct):
    added: int
    stubs: list[StubOut]


async def _mock(request: web.Request) -> Mock:
    mock = await request.app[STATE].mocks.find(request.match_info["id"])
    if mock is None or mock.protocol != "http":
        raise UnknownMock("http", request.match_info["id"])
    return mock


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        settings = request.app[STATE].settings
        raise payload_too_large(settings.admin_payload_limit, settings.max_body_size) from None


def _json(document: msgspec.Struct) -> web.Response:
    return web.Response(body=msgspec.json.encode(document), content_type="application/json")


def _recording_of(presets: list[Any]) -> RecordingOut:
    for preset in presets:
        proxy = preset.reply.proxy
        return RecordingOut(recording=True, to=proxy.to, match=proxy.record, preset=preset.id)
    return RecordingOut(recording=False)


async def start_record(request: web.Request) -> web.StreamResponse:
    mock = await _mock(request)
    payload = wire.decode(RecordIn, await _body(request) or b"{}")
    proxy = ProxySpec(
        to=payload.to,
        add_headers=payload.add_headers,
        remove_headers=payload.remove_headers,
        timeout=payload.timeout,
        record=payload.match,
    )
    preset = await start_recording(request.app[STATE].mocks, mock, proxy)
    return _json(RecordingOut(recording=True, to=proxy.to, match=proxy.record, preset=preset.id))


async def show_record(request: web.Request) -> web.StreamResponse:
    mock = await _mock(request)
    return _json(_recording_of(await recorders(request.app[STATE].mocks, mock)))


async def stop_record(request: web.Request) -> web.StreamResponse:
    mock = await _mock(request)
    stopped = await stop_recording(request.app[STATE].mocks, mock)
    return _json(RecordingOut(recording=False, stopped=stopped))


async def export(request: web.Request) -> web.StreamResponse:
    mock = await _mock(request)
    form = request.query.get("format", "json")
    if form not in FORMATS:
        raise InvalidInput(f"format must be json or yaml, got {form!r}", field="format")
    document = export_document(mock, await request.app[STATE].mocks.presets_of(mock))
    body, content_type = render(document, form)
    disposition = f'attachment; filename="{mock.id}.{form}"'
    return web.Response(
        body=body, content_type=content_type, headers={"Content-Disposition": disposition}
    )


async def import_stubs(request: web.Request) -> web.StreamResponse:
    mock = await _mock(request)
    form = request.query.get("format", "")
    if form not in IMPORT_FORMATS:
        raise InvalidInput(f"format must be wiremock or mountebank, got {form!r}", field="format")
    try:
        document = msgspec.json.decode(await _body(request))
    except msgspec.DecodeError as error:
        raise InvalidInput(f"the request body is not valid JSON: {error}") from None
    converted = _converted(form, document)  # type: ignore[arg-type]
    mocks = request.app[STATE].mocks
    stubs = []
    added = 0
    for item in converted:
        out = StubOut(stub=item.stub, unmapped=item.unmapped)
        if item.preset is not None:
            try:
                payload = msgspec.convert(item.preset, wire.PresetIn)
                out.preset = (await mocks.add_http_preset(mock, payload)).id
                added += 1
            except msgspec.ValidationError as error:
                out.error = str(error)
            except CoreError as error:
                out.error = error.message
        stubs.append(out)
    return _json(ImportOut(added=added, stubs=stubs))


def _converted(form: Literal["wiremock", "mountebank"], document: Any) -> list[Converted]:
    if form == "wiremock":
        return convert_mappings(document)
    return [stub for _, stubs in convert_imposters(document) for stub in stubs]
