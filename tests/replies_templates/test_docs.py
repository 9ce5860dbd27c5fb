"""docs/replies.md, part A: its Python example runs as written, and the plugin's
``--pretenders-files-root`` reaches the embedded server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "replies.md"


def part_a() -> str:
    text = DOC.read_text()
    found = re.search(r"<!-- part A -->(.*?)<!-- end part A -->", text, re.S)
    assert found, "docs/replies.md has no part A"
    return found.group(1)


def test_the_example_runs() -> None:
    [example] = re.findall(r"```python\n(.*?)```", part_a(), re.S)

    exec(compile(example, f"{DOC}:part A", "exec"), {"__name__": "docs_example"})


def test_every_helper_and_request_value_is_documented() -> None:
    from pretenders.server.core.templating import RequestView

    text = part_a()
    for name in RequestView.PUBLIC:
        assert f"`request.{name}`" in text, name
    for helper in ("jsonpath(", "now(", "uuid(", "random_int(", "random_string(", "counter("):
        assert f"`{helper}" in text, helper


PLUGIN_TEST = """
import httpx

def test_file(http_mock):
    http_mock.when("GET /f").reply(body_file="hello.txt")
    assert httpx.get(http_mock.pretend_url + "/f").text == "hi there"
"""


@pytest.mark.slow
def test_the_plugin_option_gives_the_embedded_server_a_files_root(
    pytester: pytest.Pytester,
) -> None:
    root = pytester.mkdir("fixtures")
    (root / "hello.txt").write_text("hi there")
    pytester.makepyfile(test_user=PLUGIN_TEST)

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pretenders-files-root", str(root)
    )

    result.assert_outcomes(passed=1)
