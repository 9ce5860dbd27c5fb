"""``pretenders import wiremock DIR`` / ``pretenders import mountebank FILE``: another mock
server's stubs written as a ``--load`` file.

A converter, not a server option: the file it writes can be read, edited and checked in,
then loaded with ``pretenders --load FILE`` like any other; what could not be mapped is
printed once, here, per stub (not at every server start).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from pretenders.common.constants import FOREVER
from pretenders.server.imports import (
    Converted,
    convert_imposters,
    convert_mappings,
    load_entry,
    read_mappings_folder,
)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pretenders import",
        description="Write WireMock stub mappings or mountebank imposters as a --load file",
    )
    parser.add_argument("format", choices=["wiremock", "mountebank"])
    parser.add_argument(
        "source",
        type=Path,
        help="wiremock: the folder holding mappings/ and __files/ (or the mappings folder); "
        "mountebank: the imposters JSON file",
    )
    parser.add_argument(
        "-o", "--output", type=Path, help="the file to write (.json or .yaml; default: stdout)"
    )
    parser.add_argument(
        "--name", help="the mock's name (default: wiremock; mountebank: each imposter's name)"
    )
    return parser.parse_args(argv)


def convert(form: str, source: Path, name: str | None) -> list[tuple[str, list[Converted]]]:
    """The mocks to write: (name, converted stubs) for each."""
    if form == "wiremock":
        mappings, files = read_mappings_folder(source)
        return [(name or "wiremock", convert_mappings(mappings, files))]
    imposters = convert_imposters(json.loads(source.read_text(encoding="utf-8")))
    if name is not None and len(imposters) == 1:
        return [(name, imposters[0][1])]
    return imposters


def document_of(mocks: list[tuple[str, list[Converted]]]) -> dict[str, Any]:
    """The ``--load`` document of the converted mocks."""
    return {
        "mocks": [
            {
                "name": name,
                "timeout": FOREVER,
                "presets": [load_entry(c.preset) for c in converted if c.preset is not None],
            }
            for name, converted in mocks
        ]
    }


def report(mocks: list[tuple[str, list[Converted]]], out: TextIO) -> int:
    """Print what was not mapped, per stub; returns how many stubs had something."""
    told = 0
    for name, converted in mocks:
        for item in converted:
            if item.unmapped or item.preset is None:
                told += 1
                state = "not imported" if item.preset is None else "imported without"
                print(f"{name}: {item.stub}: {state}:", file=out)
                for note in item.unmapped:
                    print(f"  - {note}", file=out)
    return told


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    try:
        mocks = convert(args.format, args.source, args.name)
    except (OSError, ValueError) as error:
        print(f"pretenders import: cannot read {args.source}: {error}", file=sys.stderr)
        return 2
    document = document_of(mocks)
    yaml_out = args.output is not None and args.output.suffix in (".yaml", ".yml")
    text = (
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        if yaml_out
        else json.dumps(document, indent=2) + "\n"
    )
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    stubs = sum(len(converted) for _, converted in mocks)
    told = report(mocks, sys.stderr)
    print(
        f"pretenders import: {stubs} stubs, {told} with something not mapped (listed above)",
        file=sys.stderr,
    )
    return 0
