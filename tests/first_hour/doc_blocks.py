"""The fenced Python and YAML blocks of README.md and docs/*.md, and how each one is run.

Every ```python and ```yaml block is run by tests/first_hour/test_doc_examples.py, as
written, unless an HTML comment right above it says otherwise:

- ``<!-- not run: <reason> -->`` skips it (a fragment, a host that does not exist...);
- ``<!-- run with: mock, smtp_mock -->`` gives it objects the text assumes exist (see
  ``STAND_INS`` in the test module: the mock of the example, the app under test).

How a block is run follows from what it is: a block with a ``unittest`` test case is run
with ``python -m unittest``; a block with ``def test_...`` is a pytest file, run by pytest
with the pretenders plugin; any other block is run as a script, in-process, against a real
server on a free port: ``"localhost", 8000`` and ``localhost:8000`` in it are replaced by
that server's address. A YAML block is a ``--load`` file: a server is started with it.
The curl walkthroughs (```sh) are run by tests/test_readme.py and
tests/test_docs_diagnostics.py; other shell, JSON and plain blocks show commands to type
and what comes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^( *)```(\w*)[^\n]*\n(.*?)^\1```[ \t]*$", re.M | re.S)
_DIRECTIVE = re.compile(r"<!--\s*(not run|run with)\s*:((?:(?!-->).)*)-->\s*\Z", re.S)


@dataclass(frozen=True)
class Block:
    language: str
    document: str
    line: int
    code: str
    skip_reason: str | None
    given: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.document}:{self.line}"

    @property
    def kind(self) -> str:
        if self.language == "yaml":
            return "load"
        if re.search(
            r"unittest\.main\(\)|^class \w+\((unittest\.TestCase|PretendersTestCase)\)",
            self.code,
            re.M,
        ):
            return "unittest"
        if re.search(r"^(async )?def test_\w*\(", self.code, re.M):
            return "pytest"
        return "script"


def python_blocks() -> list[Block]:
    return [block for path in DOCUMENTS for block in blocks_of(path)]


def blocks_of(path: Path, root: Path = ROOT) -> list[Block]:
    """The Python blocks of one Markdown file, each with what the comment above it says."""
    text = path.read_text()
    blocks: list[Block] = []
    for fence in _FENCE.finditer(text):
        language = {"python": "python", "py": "python", "yaml": "yaml", "yml": "yaml"}
        if fence.group(2) not in language:
            continue
        indent = len(fence.group(1))
        code = "\n".join(line[indent:] for line in fence.group(3).splitlines()) + "\n"
        directive = _DIRECTIVE.search(text[: fence.start()].rstrip()[-400:])
        skip_reason: str | None = None
        given: tuple[str, ...] = ()
        if directive and directive.group(1) == "not run":
            skip_reason = directive.group(2).strip()
            if not skip_reason:
                raise ValueError(f"{path.name}: '<!-- not run: -->' needs a reason")
        elif directive:
            given = tuple(name.strip() for name in directive.group(2).split(",") if name.strip())
        line = text.count("\n", 0, fence.start()) + 1
        blocks.append(
            Block(
                language[fence.group(2)],
                str(path.relative_to(root)),
                line,
                code,
                skip_reason,
                given,
            )
        )
    return blocks


def with_address(code: str, host: str, port: int) -> str:
    """The block, talking to ``host:port`` where it says localhost:8000."""
    code = re.sub(r"""(["'])localhost\1,\s*8000\b""", f'"{host}", {port}', code)
    return code.replace("localhost:8000", f"{host}:{port}")
