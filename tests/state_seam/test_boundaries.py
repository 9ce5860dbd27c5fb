"""The state seam holds: outside the core and the facade, nothing reaches into the store.

An AST walk over every module of ``pretenders/server``: a mock's presets, history and SMTP
script, its ``touch`` and ``record``, the registry and the ``Mock`` constructor are used
only by :mod:`pretenders.server.core` and :mod:`pretenders.server.mocks`. Everything
else goes through :class:`~pretenders.server.mocks.MockService`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[2] / "pretenders" / "server"

ALLOWED = {"core", "mocks.py"}
"""The core (the memory store and its data structures) and the facade over it."""

STATE_ATTRIBUTES = {"presets", "history", "script", "registry"}
"""A mock's state, and the store itself: read or written only behind the facade."""
STATE_METHODS = {"touch", "record", "create_or_join"}
"""A mock's (and the registry's) own writes."""
STATE_NAMES = {"Registry", "Mock", "PresetQueue", "History", "SmtpScript"}
"""The store's classes: made and called only behind the facade (``Mock`` as a type is fine)."""

EXCEPTIONS = {
    ("loader.py", "spec.presets"),  # a --load file's list of presets, not a mock's
}
"""(module, expression) pairs that use one of those names for something else."""


def _outside_modules() -> list[Path]:
    return sorted(
        path for path in SERVER.rglob("*.py") if path.relative_to(SERVER).parts[0] not in ALLOWED
    )


def trespasses(source: str, module: str) -> list[str]:
    """Each use of the store that bypasses the facade in ``source``: ``line: expression``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        expression: ast.AST | None = None
        if isinstance(node, ast.Attribute) and node.attr in STATE_ATTRIBUTES:
            expression = node
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in STATE_METHODS
        ):
            expression = node.func
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in STATE_NAMES:
                expression = node.func
        elif isinstance(node, ast.ImportFrom) and any(
            alias.name in STATE_NAMES - {"Mock"} for alias in node.names
        ):
            expression = node
        if expression is None:
            continue
        text = ast.unparse(expression)
        if (module, text) not in EXCEPTIONS:
            found.append(f"{module}:{getattr(expression, 'lineno', '?')}: {text}")
    return found


def test_the_walk_covers_the_server() -> None:
    names = {path.relative_to(SERVER).as_posix() for path in _outside_modules()}
    assert {"admin.py", "http_mock.py", "smtp_mock.py", "loader.py", "app.py"} <= names
    assert "ui/actions.py" in names
    assert not any(name.startswith("core/") for name in names)
    assert "mocks.py" not in names


@pytest.mark.parametrize(
    "line",
    [
        "mock.presets.add(rule, reply, 1)",
        "mock.history.clear()",
        "len(mock.script)",
        "mock.touch(now)",
        "self.mock.record(record)",
        "state.registry.find(name)",
        "registry = Registry()",
        "from pretenders.server.core.registry import Registry",
        "scratch = Mock(id='x', protocol='http', timeout=None, start=0, last_call=0)",
    ],
)
def test_each_kind_of_trespass_is_caught(line: str) -> None:
    assert trespasses(line, "example.py"), line


def test_calls_through_the_facade_pass() -> None:
    source = (
        "from pretenders.server.core.registry import Mock\n"
        "def f(mocks, mock: Mock, subject, record):\n"
        "    mocks.keep_alive(mock)\n"
        "    mocks.claim_preset(mock, subject)\n"
        "    mocks.add_to_history(mock, record)\n"
        "    return mocks.history_stats(mock), mocks.presets_of(mock)\n"
    )
    assert trespasses(source, "example.py") == []


def test_nothing_outside_the_core_and_the_facade_touches_state() -> None:
    found = [
        trespass
        for path in _outside_modules()
        for trespass in trespasses(
            path.read_text(encoding="utf-8"), path.relative_to(SERVER).as_posix()
        )
    ]
    assert found == [], "go through pretenders.server.mocks.MockService instead:\n" + "\n".join(
        found
    )
