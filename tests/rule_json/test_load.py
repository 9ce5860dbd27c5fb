"""``--load`` files with JSON rules: served from start-up, and refused when invalid."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.loader import LoadError

MOCKS = """\
mocks:
  - name: shop
    timeout: FOREVER
    presets:
      - rule:
          rule: POST /orders
          json: {order: {items: [{sku: A1}]}}
          json_ignore_extra: true
        status: 201
        body: created
        times: FOREVER
      - rule:
          rule: POST /payments
          jsonpath: {"$.amount": {gt: 0}}
          json_schema:
            type: object
            required: [amount, currency]
        body: paid
        times: FOREVER
"""


def test_a_loaded_file_with_json_rules_is_served(tmp_path: Path) -> None:
    path = tmp_path / "mocks.yaml"
    path.write_text(MOCKS)
    with (
        EmbeddedServer(load=(str(path),)).start() as server,
        httpx.Client(base_url=server.url) as client,
    ):
        created = client.post(
            "/mockhttp/shop/orders", json={"order": {"items": [{"sku": "A1", "qty": 2}]}}
        )
        assert (created.status_code, created.text) == (201, "created")
        missed = client.post("/mockhttp/shop/orders", json={"order": {"items": []}})
        assert missed.status_code == 404
        assert 'json $.order.items[0]: expected "{\\"sku\\": \\"A1\\"}", got (absent)' in (
            missed.text
        )
        paid = client.post("/mockhttp/shop/payments", json={"amount": 5, "currency": "EUR"})
        assert paid.text == "paid"
        refused = client.post("/mockhttp/shop/payments", json={"amount": 5})
        assert "json schema: expected \"'currency' is a required property\"" in refused.text


def test_a_file_with_an_invalid_jsonpath_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "mocks.yaml"
    path.write_text(
        "mocks:\n  - name: shop\n    presets:\n      - rule: {rule: POST /x, jsonpath: {'$[': 1}}\n"
    )
    with pytest.raises(LoadError) as refused:
        EmbeddedServer(load=(str(path),)).start()
    assert str(refused.value).startswith(f"{path}: mock 'shop', preset #1: ")
    assert "jsonpath: invalid JSONPath '$['" in str(refused.value)


def test_yaml_dates_in_a_json_rule_are_the_text_json_sends(tmp_path: Path) -> None:
    path = tmp_path / "mocks.yaml"
    path.write_text(
        "mocks:\n  - name: cal\n    presets:\n"
        "      - rule: {rule: POST /days, json: {day: 2024-01-31}}\n"
        "        body: booked\n"
    )
    with (
        EmbeddedServer(load=(str(path),)).start() as server,
        httpx.Client(base_url=server.url) as client,
    ):
        assert client.post("/mockhttp/cal/days", json={"day": "2024-01-31"}).text == "booked"
