"""A fault, a paced body and a drawn delay set once, served by every server of a
deployment (in memory, on Redis, two servers on Redis), and told by the shared history.

The two servers are called directly, not through the test front: a proxy would turn the
fault into a 502 of its own.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.deployments.matrix import Deployed
from tests.replies_faults.helpers import add

pytestmark = pytest.mark.deployments


def _servers(server: Deployed) -> list[str]:
    """The URL of each server of the deployment."""
    return [s.url for s in getattr(server, "servers", [server])]


def test_a_fault_preset_is_served_by_every_server(
    server: Deployed, admin: httpx.Client, new_mock: Callable[..., str]
) -> None:
    mock_id = new_mock()
    add(admin, mock_id, rule="GET /reset", fault="reset", times="FOREVER")
    add(
        admin, mock_id, rule="GET /slow", body="abcdef", pacing={"chunks": 3, "over": 0.03}, times=9
    )
    add(admin, mock_id, rule="GET /late", delay={"fixed": 0.01}, times="FOREVER")
    urls = _servers(server)
    for url in urls:
        with httpx.Client(base_url=f"{url}/mockhttp/{mock_id}", timeout=10) as direct:
            with pytest.raises(httpx.ReadError):
                direct.get("/reset")
            assert direct.get("/slow").text == "abcdef"
            assert direct.get("/late").status_code == 200
    records = admin.get(f"/history/{mock_id}").json()
    assert [(r["url"], r["fault"], r["delay"]) for r in records] == [
        ("/reset", "reset", None),
        ("/slow", None, None),
        ("/late", None, 0.01),
    ] * len(urls)
    listed = {p["rule"]["rule"]: p for p in admin.get(f"/preset/{mock_id}").json()}
    assert listed["GET /reset"]["fault"] == "reset"
    assert listed["GET /slow"]["pacing"] == {"chunks": 3, "over": 0.03}
    assert listed["GET /late"]["delay"] == {"fixed": 0.01}
