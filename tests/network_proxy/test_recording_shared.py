"""Recording on every deployment: with two servers on one Redis, requests recorded by
either process become presets both serve."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.network_proxy.upstream import Upstream

pytestmark = pytest.mark.deployments


def test_requests_recorded_by_either_process_are_served_by_both(
    admin: httpx.Client, new_mock: Callable[..., str], upstream: Upstream
) -> None:
    mock_id = new_mock()
    started = admin.post(f"/record/{mock_id}", json={"to": upstream.url})
    assert started.status_code == 200
    paths = [f"/status/{status}" for status in (201, 202, 203, 204)]

    recorded = [admin.get(f"/mockhttp/{mock_id}{path}").status_code for path in paths]
    assert admin.delete(f"/record/{mock_id}").json()["stopped"] == 1
    upstream.stop()
    # Behind the pair's front each request goes to the next server: twice each, both serve.
    replayed = [
        [admin.get(f"/mockhttp/{mock_id}{path}").status_code for _ in range(2)] for path in paths
    ]

    assert recorded == [201, 202, 203, 204]
    assert replayed == [[201, 201], [202, 202], [203, 203], [204, 204]]
    presets = admin.get(f"/preset/{mock_id}").json()
    assert sorted(p["rule"]["path"] for p in presets) == paths
    history = admin.get(f"/history/{mock_id}").json()
    assert [r["status"] for r in history[:4]] == [201, 202, 203, 204]
    assert all(r["proxied"].startswith(upstream.url) for r in history[:4])
