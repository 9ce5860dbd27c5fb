"""The UI's actions for manual testing: create a mock, add or delete a preset, reset, delete.

Each is a POST from one of the UI's own forms (checked by :class:`Csrf`), answered
with a redirect to the page that shows the result, or the form again with the error.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from pretenders.server.core.errors import CoreError
from pretenders.server.core.registry import Mock, Protocol
from pretenders.server.http_protocol import unreadable_body
from pretenders.server.limits import payload_too_large
from pretenders.server.state import STATE
from pretenders.server.ui import present
from pretenders.server.ui.forms import FormError, MockForm, PresetForm
from pretenders.server.ui.rendering import UI
from pretenders.server.ui.views import mock_of, render_http_mock, render_index


async def _form(request: web.Request) -> Mapping[str, object]:
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        settings = request.app[STATE].settings
        error = payload_too_large(settings.admin_payload_limit, settings.max_body_size)
        raise web.HTTPRequestEntityTooLarge(
            settings.admin_payload_limit, text=error.message
        ) from None
    except RequestPayloadError as error:  # e.g. "Content-Encoding: gzip" on plain bytes
        raise web.HTTPBadRequest(text=unreadable_body(error)) from None
    except ValueError as error:  # a malformed multipart or urlencoded body
        raise web.HTTPBadRequest(
            text=f"the form could not be read ({error}); send it from the UI's own page"
        ) from None
    request.app[UI].csrf.check(request, form)
    return form


def _protocol(request: web.Request) -> Protocol:
    return "smtp" if request.match_info["protocol"] == "smtp" else "http"


def _back_to(mock: Mock, anchor: str = "") -> web.HTTPSeeOther:
    return web.HTTPSeeOther(present.ui_path(mock.protocol, mock.id) + anchor)


async def create_mock(request: web.Request) -> web.StreamResponse:
    form = MockForm.from_post(await _form(request))
    mocks = request.app[STATE].mocks
    try:
        if form.protocol not in mocks.adapters:
            raise FormError(f"this server has no {form.protocol.upper()} mocks", "protocol")
        mock = await mocks.open_mock(form.protocol, form.options())
    except CoreError as error:
        return await render_index(request, form, error=error.message, status=error.status)
    raise _back_to(mock)


async def add_preset(request: web.Request) -> web.StreamResponse:
    mock = await mock_of(request, "http")
    form = PresetForm.from_post(await _form(request))
    mocks = request.app[STATE].mocks
    try:
        rule, reply, times = form.build(mocks.regex_timeout)
        await mocks.add_preset(
            mock, rule, reply, times
        )  # past --max-presets or --preset-bytes: refused
    except CoreError as error:
        return await render_http_mock(
            request, mock, form, error=error.message, error_field=error.field, status=error.status
        )
    raise _back_to(mock, "#presets")


async def delete_preset(request: web.Request) -> web.StreamResponse:
    mock = await mock_of(request, "http")
    await _form(request)
    text = request.match_info["preset"]
    if text.isdigit():
        # Already gone (used up) is fine: it is gone.
        await request.app[STATE].mocks.remove_preset(mock, int(text))
    raise _back_to(mock, "#presets")


async def reset_mock(request: web.Request) -> web.StreamResponse:
    mock = await mock_of(request, _protocol(request))
    await _form(request)
    await request.app[STATE].mocks.reset(mock)
    raise _back_to(mock)


async def delete_mock(request: web.Request) -> web.StreamResponse:
    mock = await mock_of(request, _protocol(request))
    await _form(request)
    await request.app[STATE].mocks.delete(mock.protocol, mock.id)
    raise web.HTTPSeeOther("/")
