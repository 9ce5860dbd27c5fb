"""The README's Python examples paste and run: no nose helpers; the reply default is said."""

from __future__ import annotations

import ast
import re
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"
NOSE_HELPERS = {"assert_equal", "assert_equals", "assert_true", "assert_false", "assert_raises"}


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_no_example_calls_a_nose_helper() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 4
    for block in blocks:
        called = {
            node.func.id
            for node in ast.walk(ast.parse(block))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert not called & NOSE_HELPERS, block


def test_the_default_reply_content_type_is_documented() -> None:
    text = " ".join(README.read_text().split())
    assert (
        "Without a `Content-Type` header it goes out as `Content-Type: text/html; charset=UTF-8`"
        in text
    )
