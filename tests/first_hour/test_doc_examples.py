"""Every fenced Python block of README.md and docs/*.md, run as written (see doc_blocks.py
for how, and for the comments that skip a block or give it what it assumes)."""

from __future__ import annotations

import re
import smtplib
import subprocess
import sys
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from pretenders.client import BossClient
from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.server.embedded import EmbeddedServer
from tests.examples import myapp, shop
from tests.first_hour.doc_blocks import Block, blocks_of, python_blocks, with_address

BLOCKS = python_blocks()


def _mail() -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = "Your order"
    mail["From"] = shop.SHOP_ADDRESS
    mail["To"] = "ann@example.com"
    mail.set_content("Your order will be with you soon.")
    return mail


def _http_mock(server: EmbeddedServer) -> HTTPMock:
    """A mock that received a request no preset matched (a wrong header), then a webhook."""
    mock = HTTPMock(server.host, server.port)
    mock.when("GET /users/\\d+$", headers={"X-Token": "abc"}).reply("Ada")
    httpx.get(mock.pretend_url + "/users/42", headers={"X-Token": "abd"})
    httpx.post(mock.pretend_url + "/hooks/paid", content='{"status": "paid"}')
    return mock


def _smtp_mock(server: EmbeddedServer) -> SMTPMock:
    """A mock that received one mail, to ann@example.com."""
    smtp_mock = SMTPMock(server.host, server.port)
    with smtplib.SMTP(server.host, smtp_mock.pretend_port, timeout=10) as client:
        client.send_message(_mail())
    return smtp_mock


STAND_INS: dict[str, Callable[[EmbeddedServer], Any]] = {
    "mock": _http_mock,
    "smtp_mock": _smtp_mock,
    "message": lambda server: _mail(),
    "myapp": lambda server: myapp,  # tests/examples/myapp.py: calls a weather API
    "settings": lambda server: shop.settings,  # tests/examples/shop.py: mails each order
    "place_order": lambda server: shop.place_order,
}
"""What ``<!-- run with: ... -->`` may give a block, by name."""


@pytest.fixture(scope="module")
def doc_server() -> Iterator[EmbeddedServer]:
    """A server of their own: the scripts' mocks are all deleted after each block."""
    with EmbeddedServer() as running:
        yield running


def _delete_every_mock(server: EmbeddedServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as admin:
        for protocol in ("http", "smtp"):
            for mock in admin.get(f"/{protocol}").json():
                admin.delete(f"/{protocol}/{mock['name']}")


def _param(block: Block) -> Any:
    marks = [pytest.mark.skip(reason=block.skip_reason)] if block.skip_reason else []
    return pytest.param(block, id=block.name, marks=marks)


def test_every_document_is_read() -> None:
    documents = {block.document for block in BLOCKS}
    assert {"README.md", "docs/testing.md", "docs/diagnostics.md", "docs/smtp.md"} <= documents
    unknown = {name for block in BLOCKS for name in block.given} - set(STAND_INS)
    assert not unknown, f"<!-- run with: --> names what this test does not have: {unknown}"


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS if b.kind == "script"])
def test_script_block(block: Block, doc_server: EmbeddedServer) -> None:
    namespace: dict[str, Any] = {"__name__": "__doc_example__"}
    saved = (myapp.settings.FOO_ROOT_URL, shop.settings.SMTP_HOST)
    try:
        namespace.update({name: STAND_INS[name](doc_server) for name in block.given})
        code = with_address(block.code, doc_server.host, doc_server.port)
        exec(compile(code, block.name, "exec"), namespace)
    finally:
        for value in namespace.values():
            if isinstance(value, BossClient):
                value.close()  # what a test would do; the examples leave it out
        myapp.settings.FOO_ROOT_URL, shop.settings.SMTP_HOST = saved
        _delete_every_mock(doc_server)


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS if b.kind == "pytest"])
def test_pytest_block(block: Block, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_doc_example=block.code)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1 and set(outcomes) <= {"passed"}, result.stdout.str()


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS if b.kind == "load"])
def test_load_block(block: Block, tmp_path: Path) -> None:
    mocks = tmp_path / "mocks.yaml"
    mocks.write_text(block.code)
    with (
        EmbeddedServer(load=(str(mocks),)) as server,
        httpx.Client(base_url=server.url, timeout=10) as admin,
    ):
        loaded = [
            mock["name"] for kind in ("http", "smtp") for mock in admin.get(f"/{kind}").json()
        ]
    named = re.findall(r"^\s*- name: (\S+)", block.code, re.M)
    assert named and sorted(loaded) == sorted(named)


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS if b.kind == "unittest"])
def test_unittest_block(block: Block, tmp_path: Path) -> None:
    (tmp_path / "doc_example.py").write_text(block.code)
    done = subprocess.run(
        [sys.executable, "-m", "unittest", "-v", "doc_example"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "\nOK" in done.stderr and "Ran 0 tests" not in done.stderr, done.stderr


def test_a_new_block_is_run_unless_marked(tmp_path: Path) -> None:
    doc = tmp_path / "new.md"
    doc.write_text(
        "Text.\n\n```python\nprint('run')\n```\n\n"
        "<!-- not run: a fragment -->\n```python\nfragment(\n```\n\n"
        "<!-- run with: mock, myapp -->\n  ```py\n  mock.reset()\n  ```\n\n"
        "```sh\necho not python\n```\n"
    )
    new, fragment, given = blocks_of(doc, tmp_path)
    assert (new.name, new.kind, new.skip_reason, new.given) == ("new.md:3", "script", None, ())
    assert blocks_of(tmp_path / "new.md", tmp_path)[0].language == "python"
    assert fragment.skip_reason == "a fragment"
    assert (given.given, given.code) == (("mock", "myapp"), "mock.reset()\n")
    doc.write_text("<!-- not run: -->\n```python\nx\n```\n")
    with pytest.raises(ValueError, match="needs a reason"):
        blocks_of(doc, tmp_path)
