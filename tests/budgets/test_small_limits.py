"""size_limit and pretender_timeout: values that cannot work are refused, naming the field."""

from __future__ import annotations

import smtplib

import httpx
import pytest

from pretenders.server.wire import MAX_SMTP_SIZE_LIMIT


@pytest.mark.parametrize("size_limit", [-5, 0, MAX_SMTP_SIZE_LIMIT + 1])
def test_an_smtp_size_limit_out_of_bounds_is_refused(admin: httpx.Client, size_limit: int) -> None:
    before = len(admin.get("/smtp").json())
    refused = admin.post("/smtp", json={"size_limit": size_limit})
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["field"] == "size_limit"
    assert error["message"] == (
        f"size_limit must be a number of bytes from 1 to {MAX_SMTP_SIZE_LIMIT} (1 GiB), "
        f"got {size_limit}"
    )
    assert len(admin.get("/smtp").json()) == before  # no mock was made


def test_an_smtp_size_limit_in_bounds_is_advertised(admin: httpx.Client) -> None:
    created = admin.post("/smtp", json={"size_limit": 1000}).json()
    try:
        host, port = created["full_host"].rsplit(":", 1)
        with smtplib.SMTP(host, int(port), timeout=10) as smtp:
            smtp.ehlo()
            assert smtp.esmtp_features["size"] == "1000"
    finally:
        admin.delete(f"/smtp/{created['id']}")


@pytest.mark.parametrize("timeout", [1e-300, 0.05, -1])
def test_a_timeout_below_a_tenth_of_a_second_is_refused(
    admin: httpx.Client, timeout: float
) -> None:
    refused = admin.post("/http", json={"pretender_timeout": timeout})
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["field"] == "pretender_timeout"
    assert "must be a number of seconds >= 0.1 and <= 1e+12" in error["message"]


def test_a_tenth_of_a_second_is_accepted(admin: httpx.Client) -> None:
    created = admin.post("/http", json={"pretender_timeout": 0.1})
    assert created.status_code == 200
    admin.delete(f"/http/{created.json()['id']}")
