"""``xml``, ``xpath`` and ``namespaces`` over real HTTP: presets, matches, near misses in the
404 text and in history, 400s for what cannot be compiled, hostile bodies, and ``--load``."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pretenders.server.embedded import EmbeddedServer
from pretenders.server.loader import LoadError
from tests.rule_xml.test_xml_matching import LAUGHS, XXE

pytestmark = pytest.mark.deployments

SOAP = """<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body><m:Pay xmlns:m="urn:x"><m:amount currency="EUR">{amount}</m:amount></m:Pay></s:Body>
</s:Envelope>"""


@pytest.fixture
def mock_id(new_mock: Callable[..., str]) -> str:
    return new_mock()


def add_preset(admin: httpx.Client, mock_id: str, rule: dict[str, object], body: bytes) -> None:
    payload = {"rule": rule, "body": base64.b64encode(body).decode(), "times": "FOREVER"}
    response = admin.post(f"/preset/{mock_id}", json=payload)
    assert response.status_code == 200, response.text


def post(admin: httpx.Client, mock_id: str, body: str | bytes) -> httpx.Response:
    return admin.post(
        f"/mockhttp/{mock_id}/soap", content=body, headers={"Content-Type": "text/xml"}
    )


def test_xpath_with_namespaces_matches_and_a_near_miss_names_it(
    admin: httpx.Client, mock_id: str
) -> None:
    rule = {"rule": "POST /soap", "xpath": {"//m:amount": {"gt": 10}}, "namespaces": {"m": "urn:x"}}
    add_preset(admin, mock_id, rule, b"paid")
    assert post(admin, mock_id, SOAP.format(amount="12.50")).text == "paid"
    missed = post(admin, mock_id, SOAP.format(amount="3"))
    assert missed.status_code == 404
    assert 'xpath //m:amount: expected "> 10", got "3"' in missed.text
    (near,) = admin.get(f"/history/{mock_id}/1").json()["near_misses"]
    assert near["differences"] == [{"field": "xpath //m:amount", "expected": "> 10", "actual": "3"}]
    assert near["rule"]["xpath"] == {"//m:amount": {"gt": 10}}
    assert near["rule"]["namespaces"] == {"m": "urn:x"}


def test_xml_equality_over_http_and_the_path_of_the_first_difference(
    admin: httpx.Client, mock_id: str
) -> None:
    add_preset(admin, mock_id, {"rule": "POST /soap", "xml": SOAP.format(amount="5")}, b"same")
    same = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<Pay xmlns="urn:x"><amount currency="EUR">5</amount></Pay></soap:Body></soap:Envelope>'
    )
    assert post(admin, mock_id, same).text == "same"
    missed = post(admin, mock_id, SOAP.format(amount="6"))
    assert missed.status_code == 404
    assert 'xml /Envelope/Body/Pay/amount: expected "5", got "6"' in missed.text
    (near,) = admin.get(f"/history/{mock_id}/1").json()["near_misses"]
    assert near["differences"][0]["field"] == "xml /Envelope/Body/Pay/amount"


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        ({"xml": "<a><b></a>"}, "xml", "xml: not well-formed XML: "),
        ({"xpath": {"//a[": "x"}}, "xpath", "xpath: invalid XPath expression '//a['"),
        ({"xpath": {"//q:a": "x"}}, "xpath", "xpath: invalid XPath expression '//q:a'"),
        ({"namespaces": {"m": "urn:x"}}, "namespaces", "namespaces gives prefixes"),
    ],
    ids=["xml", "xpath syntax", "unknown prefix", "namespaces alone"],
)
def test_what_cannot_be_compiled_is_a_400_naming_the_field(
    admin: httpx.Client, mock_id: str, rule: dict[str, object], field: str, message: str
) -> None:
    response = admin.post(f"/preset/{mock_id}", json={"rule": {"rule": "POST /soap", **rule}})
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert error["message"].startswith(message)
    assert admin.get(f"/preset/{mock_id}").json() == []


@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["xxe", "billion laughs"])
def test_hostile_bodies_are_answered_without_reading_entities(
    admin: httpx.Client, mock_id: str, body: bytes
) -> None:
    secret = Path("/etc/hostname").read_text().strip()
    add_preset(admin, mock_id, {"rule": "POST /soap", "xpath": {"/*": {"contains": "x"}}}, b"no")
    add_preset(admin, mock_id, {"rule": "POST /soap", "xml": "<r>x</r>"}, b"no")
    response = post(admin, mock_id, body)
    assert response.status_code == 404
    assert "(a body that is not well-formed XML: " in response.text
    assert secret not in response.text
    history = admin.get(f"/history/{mock_id}/0").json()
    assert secret not in str(history["near_misses"])
    # the server still serves
    add_preset(admin, mock_id, {"rule": "POST /soap", "xpath": {"/ok": "1"}}, b"fine")
    assert post(admin, mock_id, "<ok>1</ok>").text == "fine"


LOADED = """
mocks:
  - name: soap
    presets:
      - rule:
          rule: POST /pay
          xpath: {"//m:amount": {ge: 100}, "//m:amount/@currency": EUR}
          namespaces: {m: "urn:x"}
        body: large
        times: FOREVER
      - rule:
          rule: POST /pay
          xml: |
            <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
              <s:Body><m:Pay xmlns:m="urn:x"><m:amount currency="EUR">1</m:amount></m:Pay></s:Body>
            </s:Envelope>
        body: one
        times: FOREVER
"""


@pytest.mark.memory_only
def test_a_load_file_with_xml_rules(tmp_path: Path) -> None:
    path = tmp_path / "soap.yaml"
    path.write_text(LOADED)
    with (
        EmbeddedServer(load=(str(path),)).start() as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        assert client.post("/mockhttp/soap/pay", content=SOAP.format(amount="250")).text == "large"
        assert client.post("/mockhttp/soap/pay", content=SOAP.format(amount="1")).text == "one"
        missed = client.post("/mockhttp/soap/pay", content=SOAP.format(amount="2"))
        assert missed.status_code == 404
        assert 'xpath //m:amount: expected ">= 100", got "2"' in missed.text
        assert 'xml /Envelope/Body/Pay/amount: expected "1", got "2"' in missed.text


@pytest.mark.memory_only
def test_a_load_file_with_an_invalid_xpath_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "soap.yaml"
    path.write_text(
        "mocks:\n  - name: soap\n    presets:\n"
        "      - rule: {rule: POST /pay, xpath: {'//a[': x}}\n"
    )
    with pytest.raises(LoadError) as refused:
        EmbeddedServer(load=(str(path),)).start()
    assert "mock 'soap', preset #1: xpath: invalid XPath expression '//a['" in str(refused.value)
