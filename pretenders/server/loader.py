"""Mocks from a file: ``pretenders --load mocks.yaml`` creates them when the server starts.

The file (YAML or JSON) holds ``mocks``: a list of mocks with the admin API's fields, except
that a reply ``body`` is written as text (``body_base64`` for binary data)::

    mocks:
      - name: weather
        timeout: FOREVER
        presets:
          - rule: GET /today
            body: '{"sky": "clear"}'
            headers: {Content-Type: application/json}
            times: FOREVER
          - rule: GET /flaky
            replies: [{status: 503, body: busy}, {body: ok}]
      - name: mailer
        protocol: smtp
        presets:
          - {stage: rcpt, match: "bob@.*", status: 550, message: No such user}
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml

from pretenders.server import wire
from pretenders.server.core.delays import DelaySpec
from pretenders.server.core.errors import CoreError
from pretenders.server.core.pacing import PacingSpec
from pretenders.server.core.proxy_spec import ProxySpec
from pretenders.server.core.registry import check_name, check_timeout
from pretenders.server.core.state_machines import StateSpec
from pretenders.server.state import ServerState

logger = logging.getLogger("pretenders.server")


class LoadError(Exception):
    """A mock file that cannot be loaded; the message names the file, the mock and the field."""


class MockSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    protocol: Literal["http", "smtp"] = "http"
    timeout: float | Literal["FOREVER"] | None = None
    size_limit: int | None = None
    port: int | None = None
    tls: bool = False
    hosts: list[str] | None = None
    client_cert: str | None = None
    """An HTTP mock's own port, HTTPS, host names and client certificates, as ``POST
    /http`` takes them (docs/network.md)."""
    presets: list[dict[str, Any]] = []

    def http_options(self) -> wire.CreateHttpMock:
        return wire.CreateHttpMock(
            name=self.name,
            pretender_timeout=self.timeout,
            port=self.port,
            tls=self.tls,
            hosts=self.hosts,
            client_cert=self.client_cert,
        )


class HttpPresetSpec(msgspec.Struct, forbid_unknown_fields=True):
    """A preset as written in a file: the admin API's fields, ``body`` as text."""

    rule: str | wire.RuleIn | None = ""
    status: int | str = 200
    headers: dict[str, wire.ScalarValue | list[wire.ScalarValue]] | None = None
    body: str = ""
    body_base64: str | None = None
    times: int | str = 1
    after: float = 0.0
    priority: int | None = None
    template: bool = False
    body_file: str | None = None
    fault: str | None = None
    pacing: PacingSpec | None = None
    delay: DelaySpec | None = None
    replies: list[HttpReplySpec] | None = None
    pick: str | None = None
    seed: int | None = None
    state: StateSpec | None = None
    webhooks: list[wire.WebhookIn] | None = None
    proxy: ProxySpec | None = None

    def as_payload(self) -> wire.PresetIn:
        return wire.PresetIn(
            rule=self.rule,
            status=self.status,
            headers=self.headers,
            body=_base64(self.body, self.body_base64),
            times=self.times,
            after=self.after,
            priority=self.priority,
            template=self.template,
            body_file=self.body_file,
            fault=self.fault,
            pacing=self.pacing,
            delay=self.delay,
            replies=None if self.replies is None else [r.as_reply() for r in self.replies],
            pick=self.pick,
            seed=self.seed,
            state=self.state,
            webhooks=self.webhooks,
            proxy=self.proxy,
        )


class HttpReplySpec(msgspec.Struct, forbid_unknown_fields=True):
    """One reply of a preset's ``replies`` as written in a file, ``body`` as text."""

    status: int = 200
    headers: dict[str, wire.ScalarValue | list[wire.ScalarValue]] | None = None
    body: str = ""
    body_base64: str | None = None
    after: float = 0.0
    weight: float | None = None

    def as_reply(self) -> wire.ReplyIn:
        return wire.ReplyIn(
            status=self.status,
            headers=self.headers,
            body=_base64(self.body, self.body_base64),
            after=self.after,
            weight=self.weight,
        )


def _base64(body: str, body_base64: str | None) -> str:
    if body_base64 is not None:
        return body_base64
    return base64.b64encode(body.encode("utf-8")).decode("ascii")


class MockFile(msgspec.Struct, forbid_unknown_fields=True):
    mocks: list[dict[str, Any]]


Loaded = list[tuple[str, MockSpec, list[msgspec.Struct]]]
"""A checked file: (label, mock, presets) for each of its mocks."""


def read_mock_file(path: Path, state: ServerState) -> Loaded:
    """Parse and check a whole file before anything is created.

    Every mistake is found in one go (each named by file, mock, preset and field) and
    reported together in one ``LoadError``: a file with three mistakes takes one run to mend.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise LoadError(f"{path}: cannot read the file: {error.strerror or error}") from None
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise LoadError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}"
        ) from None
    top = _convert(document, MockFile, f"{path}")
    loaded: Loaded = []
    problems: list[str] = []
    protocols: dict[str, str] = {}
    for number, raw in enumerate(top.mocks, start=1):
        name = raw.get("name") if isinstance(raw, dict) else None
        label = f"{path}: mock {name!r}" if isinstance(name, str) else f"{path}: mock #{number}"
        try:
            spec = _convert(raw, MockSpec, label)
        except LoadError as error:
            problems.append(str(error))
            continue
        problems.extend(_mock_problems(label, spec, protocols))
        preset_type = wire.SmtpPresetIn if spec.protocol == "smtp" else HttpPresetSpec
        presets: list[msgspec.Struct] = []
        for index, raw_preset in enumerate(spec.presets, start=1):
            where = f"{label}, preset #{index}"
            try:
                preset = _convert(raw_preset, preset_type, where)
                state.mocks.check_preset(spec.protocol, _payload(preset))
            except LoadError as error:
                problems.append(str(error))
            except CoreError as error:
                problems.append(f"{where}: {error.message}")
            else:
                presets.append(preset)
        loaded.append((label, spec, presets))
    if len(problems) == 1:
        raise LoadError(problems[0])
    if problems:
        raise LoadError(f"{path}: {len(problems)} mistakes:\n" + "\n".join(problems))
    return loaded


def _mock_problems(label: str, spec: MockSpec, protocols: dict[str, str]) -> list[str]:
    """What the registry would refuse of this mock (its name, its timeout)."""
    problems = []
    try:
        check_name(spec.name)
    except CoreError as error:
        problems.append(f"{label}: {error.message}")
    timeout = wire.timeout_of(wire.CreateMock(pretender_timeout=spec.timeout))
    try:
        if timeout != "default":
            check_timeout(timeout)
    except CoreError as error:  # named as the admin API names it; the file says "timeout"
        problems.append(f"{label}: {error.message.replace('pretender_timeout', 'timeout')}")
    if spec.protocol == "http":
        try:
            wire.check_options(spec.http_options())
        except CoreError as error:
            problems.append(f"{label}: {error.message}")
    elif spec.port is not None or spec.tls or spec.hosts or spec.client_cert:
        problems.append(f"{label}: port, tls, hosts and client_cert are for HTTP mocks")
    other = protocols.setdefault(spec.name, spec.protocol)
    if other != spec.protocol:
        problems.append(f"{label}: name {spec.name!r} is taken by an {other.upper()} mock")
    return problems


def _payload(preset: msgspec.Struct) -> wire.PresetIn | wire.SmtpPresetIn:
    """The admin API's payload for a preset as written in a file."""
    if isinstance(preset, HttpPresetSpec):
        return preset.as_payload()
    assert isinstance(preset, wire.SmtpPresetIn)
    return preset


async def load_mock_files(
    state: ServerState, paths: Sequence[Path]
) -> list[tuple[Path, list[str]]]:
    """Check every file, then create their mocks: (file, mock names) for each file.

    The mistakes of all the files are reported together, before any mock is created.
    """
    checked: list[tuple[Path, Loaded]] = []
    problems: list[str] = []
    for path in paths:
        try:
            checked.append((path, read_mock_file(path, state)))
        except LoadError as error:
            problems.append(str(error))
    if problems:
        raise LoadError("\n".join(problems))
    return [(path, await _create(state, loaded)) for path, loaded in checked]


async def _create(state: ServerState, loaded: Loaded) -> list[str]:
    """Create a checked file's mocks and their presets; returns the mock names."""
    names = []
    for label, spec, presets in loaded:
        options: wire.CreateMock
        if spec.protocol == "smtp":
            options = wire.CreateSmtpMock(
                name=spec.name, pretender_timeout=spec.timeout, size_limit=spec.size_limit
            )
        else:
            options = spec.http_options()
        try:
            mock, created = await state.mocks.open_or_join(spec.protocol, options)
            if not created:  # kept in a shared store from an earlier start: as it is
                logger.info("%s: mock %s is already in the store, kept as it is", label, mock.id)
                names.append(mock.id)
                continue
            for index, preset in enumerate(presets, start=1):
                try:
                    await state.mocks.add_any_preset(mock, _payload(preset))
                except CoreError as error:
                    raise LoadError(f"{label}, preset #{index}: {error.message}") from None
        except CoreError as error:
            raise LoadError(f"{label}: {error.message}") from None
        names.append(mock.id)
    return names


def _convert(data: Any, kind: type[wire.Payload], where: str) -> wire.Payload:
    try:
        return msgspec.convert(data, type=kind)
    except msgspec.ValidationError as error:
        text = str(error).replace(" - at `$`", "").replace("`$.", "`")
        raise LoadError(f"{where}: {text}") from None
