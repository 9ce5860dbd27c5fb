"""``fault=``, ``pacing=`` and ``delay=`` through both clients and ``--load`` files, and
shown in the UI's presets and requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock
from pretenders.client.http import HTTPMock
from pretenders.common.exceptions import ConfigurationError
from pretenders.server.embedded import EmbeddedServer
from pretenders.server.loader import LoadError


def test_the_sync_client_sends_each_keyword(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock()
    mock.when("GET /reset").reply(fault="reset")
    mock.when("GET /slow").reply(b"slowly", pacing={"chunks": 2, "over": 0.05})
    mock.when("GET /late").reply(b"late", delay={"uniform": [0.01, 0.02], "seed": 1})
    with httpx.Client(timeout=10) as http:
        with pytest.raises(httpx.ReadError):
            http.get(mock.pretend_url + "/reset")
        assert http.get(mock.pretend_url + "/slow").text == "slowly"
        assert http.get(mock.pretend_url + "/late").text == "late"
    reset, slow, late = mock.get_request()
    assert reset.fault == "reset"
    assert slow.fault is None
    assert 0.01 <= late.delay <= 0.02


def test_the_sync_client_reports_a_bad_keyword(make_mock: Callable[..., HTTPMock]) -> None:
    mock = make_mock()
    with pytest.raises(ConfigurationError, match="fault must be one of"):
        mock.reply(fault="explode")


def test_the_async_client_sends_each_keyword(server: EmbeddedServer) -> None:
    async def scenario() -> list[dict[str, object]]:
        async with AsyncHTTPMock(server.host, server.port) as mock:
            try:
                await mock.when("GET /empty").reply(fault="empty")
                await mock.when("GET /paced").reply("abc", pacing={"bytes_per_second": 1000})
                await mock.when("GET /late").reply("x", delay={"fixed": 0.01})
                async with httpx.AsyncClient(timeout=10) as http:
                    with pytest.raises(httpx.RemoteProtocolError):
                        await http.get(mock.pretend_url + "/empty")
                    assert (await http.get(mock.pretend_url + "/paced")).text == "abc"
                    assert (await http.get(mock.pretend_url + "/late")).text == "x"
                return [r.data for r in await mock.get_request()]
            finally:
                await mock.delete_mock()

    empty, paced, late = asyncio.run(scenario())
    assert (empty["fault"], empty["status"]) == ("empty", None)
    assert (paced["fault"], paced["status"]) == (None, 200)
    assert late["delay"] == 0.01


def test_a_load_file_sets_each_field(tmp_path: Path) -> None:
    mocks = {
        "mocks": [
            {
                "name": "flaky",
                "presets": [
                    {"rule": "GET /reset", "fault": "reset", "times": "FOREVER"},
                    {"rule": "GET /slow", "body": "abcd", "pacing": {"chunks": 2, "over": 0.02}},
                    {"rule": "GET /late", "delay": {"lognormal": {"median": 0.01, "sigma": 0.1}}},
                ],
            }
        ]
    }
    path = tmp_path / "mocks.json"
    path.write_text(json.dumps(mocks))
    with EmbeddedServer(load=[path]) as running, httpx.Client(base_url=running.url) as http:
        presets = http.get("/preset/flaky").json()
        assert [p.get("fault") for p in presets] == ["reset", None, None]
        assert presets[1]["pacing"] == {"chunks": 2, "over": 0.02}
        assert presets[2]["delay"] == {"lognormal": {"median": 0.01, "sigma": 0.1}}
        with pytest.raises(httpx.ReadError):
            http.get("/mockhttp/flaky/reset")
        assert http.get("/mockhttp/flaky/slow").text == "abcd"


def test_a_load_file_with_a_bad_pacing_names_it(tmp_path: Path) -> None:
    path = tmp_path / "mocks.yaml"
    path.write_text("mocks:\n  - name: bad\n    presets:\n      - {pacing: {chunks: 0, over: 1}}\n")
    with pytest.raises(LoadError, match=r"preset #1: pacing.chunks must be from 1"):
        EmbeddedServer(load=[path]).start()


def test_the_ui_shows_what_presets_and_requests_did(
    server: EmbeddedServer, make_mock: Callable[..., HTTPMock]
) -> None:
    mock = make_mock()
    mock.when("GET /reset").reply(fault="reset")
    mock.when("GET /slow").reply("x", pacing={"chunks": 4, "over": 2})
    mock.when("GET /late").reply("y", delay={"uniform": [0.01, 0.02]})
    with httpx.Client(base_url=server.url, timeout=10, headers={"Origin": server.url}) as ui:
        page = ui.get(f"/ui/http/{mock.pretend_access_point_id}").text
        assert '<span class="label">fault</span> <code>reset</code>' in page
        assert '<span class="label">pacing</span> <code>4 chunks over 2 s</code>' in page
        assert "uniform 0.01 to 0.02 s" in page
        with pytest.raises(httpx.ReadError):
            httpx.get(mock.pretend_url + "/reset")
        httpx.get(mock.pretend_url + "/late")
        page = ui.get(f"/ui/http/{mock.pretend_access_point_id}").text
        assert "preset 0 · fault reset" in page
        assert "preset 2 · delayed" in page
        detail = ui.get(f"/ui/http/{mock.pretend_access_point_id}/requests/0").text
        assert '<dd data-field="fault">reset</dd>' in detail
