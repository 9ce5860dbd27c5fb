"""The admin API's operations as plain functions, shared by its routes, --load and the UI."""

from __future__ import annotations

from pretenders.server import wire
from pretenders.server.core.presets import Preset
from pretenders.server.core.registry import Mock, Protocol
from pretenders.server.core.smtp_script import SmtpPreset
from pretenders.server.limits import check_reply_body
from pretenders.server.state import ServerState


async def open_mock(state: ServerState, protocol: Protocol, options: wire.CreateMock) -> Mock:
    """The mock named in ``options``, created (and made reachable) if it does not exist."""
    wire.check_options(options)
    mock, created = state.registry.create_or_join(protocol, options.name, wire.timeout_of(options))
    if created:
        try:
            await state.adapters[protocol].open(mock, options)
        except BaseException:
            state.registry.delete(protocol, mock.id)
            raise
    return mock


def add_http_preset(state: ServerState, mock: Mock, payload: wire.PresetIn) -> Preset:
    """Compile and add a canned reply (a bad regex or count, a body too large: refused here)."""
    reply = wire.reply_of(payload)
    check_reply_body(reply.body, state.settings.max_body_size)
    rule = wire.match_rule_of(payload.rule, timeout=state.settings.regex_timeout)
    preset = mock.presets.add(rule, reply, payload.times)
    mock.touch(state.registry.clock())
    return preset


def add_smtp_preset(state: ServerState, mock: Mock, payload: wire.SmtpPresetIn) -> SmtpPreset:
    """Add a scripted SMTP reply."""
    preset = mock.script.add(
        payload.stage,
        payload.match,
        wire.smtp_reply_of(payload),
        payload.times,
        timeout=state.settings.regex_timeout,
    )
    mock.touch(state.registry.clock())
    return preset
