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
      - name: mailer
        protocol: smtp
        presets:
          - {stage: rcpt, match: "bob@.*", status: 550, message: No such user}
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml

from pretenders.server import operations, wire
from pretenders.server.core.errors import CoreError
from pretenders.server.state import ServerState


class LoadError(Exception):
    """A mock file that cannot be loaded; the message names the file, the mock and the field."""


class MockSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    protocol: Literal["http", "smtp"] = "http"
    timeout: float | Literal["FOREVER"] | None = None
    size_limit: int | None = None
    presets: list[dict[str, Any]] = []


class HttpPresetSpec(msgspec.Struct, forbid_unknown_fields=True):
    """A preset as written in a file: the admin API's fields, ``body`` as text."""

    rule: str | wire.RuleIn | None = ""
    status: int = 200
    headers: dict[str, wire.ScalarValue] | None = None
    body: str = ""
    body_base64: str | None = None
    times: int | str = 1
    after: float = 0.0

    def as_payload(self) -> wire.PresetIn:
        encoded = self.body_base64
        if encoded is None:
            encoded = base64.b64encode(self.body.encode("utf-8")).decode("ascii")
        return wire.PresetIn(
            rule=self.rule,
            status=self.status,
            headers=self.headers,
            body=encoded,
            times=self.times,
            after=self.after,
        )


class MockFile(msgspec.Struct, forbid_unknown_fields=True):
    mocks: list[dict[str, Any]]


def read_mock_file(path: Path) -> list[tuple[str, MockSpec, list[msgspec.Struct]]]:
    """Parse and check a whole file before anything is created: (label, mock, presets)."""
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
    loaded = []
    for number, raw in enumerate(top.mocks, start=1):
        name = raw.get("name") if isinstance(raw, dict) else None
        label = f"{path}: mock {name!r}" if isinstance(name, str) else f"{path}: mock #{number}"
        spec = _convert(raw, MockSpec, label)
        preset_type = wire.SmtpPresetIn if spec.protocol == "smtp" else HttpPresetSpec
        presets: list[msgspec.Struct] = [
            _convert(preset, preset_type, f"{label}, preset #{index}")
            for index, preset in enumerate(spec.presets, start=1)
        ]
        loaded.append((label, spec, presets))
    return loaded


async def load_mocks(state: ServerState, path: Path) -> list[str]:
    """Create the file's mocks and their presets; returns the mock names."""
    names = []
    for label, spec, presets in read_mock_file(path):
        options: wire.CreateMock
        if spec.protocol == "smtp":
            options = wire.CreateSmtpMock(
                name=spec.name, pretender_timeout=spec.timeout, size_limit=spec.size_limit
            )
        else:
            options = wire.CreateMock(name=spec.name, pretender_timeout=spec.timeout)
        try:
            mock = await operations.open_mock(state, spec.protocol, options)
            for index, preset in enumerate(presets, start=1):
                where = f"{label}, preset #{index}"
                try:
                    if isinstance(preset, wire.SmtpPresetIn):
                        operations.add_smtp_preset(state, mock, preset)
                    elif isinstance(preset, HttpPresetSpec):
                        operations.add_http_preset(state, mock, preset.as_payload())
                except CoreError as error:
                    raise LoadError(f"{where}: {error.message}") from None
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
