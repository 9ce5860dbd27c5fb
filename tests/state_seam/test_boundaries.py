"""The state seam holds: outside the core and the facade, nothing reaches into the store.

An AST walk over every module of ``pretenders/server``: a mock's presets, history and SMTP
script, its ``touch`` and ``record``, the registry and the ``Mock`` constructor are used
only by :mod:`pretenders.server.core`, the stores (:mod:`pretenders.server.store`) and
:mod:`pretenders.server.mocks`. Everything else goes through
:class:`~pretenders.server.mocks.MockService`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[2] / "pretenders" / "server"

ALLOWED = {"core", "store", "mocks.py"}
"""The core (the store protocol and the data structures), the stores, and the facade."""

STATE_ATTRIBUTES = {"presets", "history", "script", "registry", "followers"}
"""A mock's state, and the store itself: read or written only behind the facade."""
STATE_METHODS = {"touch", "record", "create_or_join"}
"""A mock's (and the registry's) own writes."""
STATE_NAMES = {"Registry", "LiveMock", "Mock", "PresetQueue", "History", "SmtpScript"}
"""The store's classes: made and called only behind the facade (``Mock`` as a type is fine)."""

STORES = "pretenders.server.store"
"""The stores' package, imported only behind the facade."""

EXCEPTIONS = {
    ("loader.py", "spec.presets"),  # a --load file's list of presets, not a mock's
}
"""(module, expression) pairs that use one of those names for something else."""


def _outside_modules() -> list[Path]:
    return sorted(
        path for path in SERVER.rglob("*.py") if path.relative_to(SERVER).parts[0] not in ALLOWED
    )


def _is_stores(module: str) -> bool:
    """The stores' package: opened by the facade (``MockService.from_settings``) only."""
    return module == STORES or module.startswith(STORES + ".")


def _imports_state(node: ast.ImportFrom | ast.Import) -> bool:
    """An import of the store's classes (``Mock`` as a type is fine) or of the stores."""
    if isinstance(node, ast.Import):
        return any(_is_stores(alias.name) for alias in node.names)
    names = {alias.name for alias in node.names}
    return (
        bool(names & (STATE_NAMES - {"Mock"}))
        or _is_stores(node.module or "")
        or (node.module == "pretenders.server" and "store" in names)
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
        elif isinstance(node, ast.ImportFrom | ast.Import) and _imports_state(node):
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
    assert not any(name.startswith(("core/", "store/")) for name in names)
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
        "live = LiveMock(id='x', protocol='http', timeout=None, start=0, last_call=0)",
        "from pretenders.server.core.registry import LiveMock",
        "from pretenders.server.store.memory import MemoryStore",
        "from pretenders.server.store import open_store",
        "from pretenders.server import store",
        "import pretenders.server.store.memory",
        "store.followers.append(observer)",
    ],
)
def test_each_kind_of_trespass_is_caught(line: str) -> None:
    assert trespasses(line, "example.py"), line


def test_calls_through_the_facade_pass() -> None:
    source = (
        "from pretenders.server.core.registry import Mock\n"
        "from pretenders.server.core.store import Served\n"
        "async def f(mocks, mock: Mock, subject, record) -> Served:\n"
        "    await mocks.keep_alive(mock, mocks.store.clock())\n"
        "    served = await mocks.serve(mock, subject, record)\n"
        "    await mocks.add_to_history(mock, record)\n"
        "    await mocks.history_stats(mock), await mocks.presets_of(mock)\n"
        "    return served\n"
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
