"""The UI shows proxy presets with their upstream, and a mock that records says so."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.network_proxy.upstream import Upstream


def test_the_mock_page_shows_proxies_and_recording(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    admin.post(
        f"/preset/{mock_id}",
        json={"rule": "GET /up", "proxy": {"to": upstream.url}, "times": "FOREVER"},
    )
    admin.get(f"/mockhttp/{mock_id}/up")

    page = admin.get(f"/ui/http/{mock_id}").text
    assert f"forwards to {upstream.url}</code>" in page
    assert f"preset 0 → {upstream.url}/up" in page
    assert "data-recording" not in page

    admin.post(f"/record/{mock_id}", json={"to": upstream.url})
    page = admin.get(f"/ui/http/{mock_id}").text
    assert f"Recording: every request goes to {upstream.url}" in page
    assert f"records from {upstream.url}</code>" in page
