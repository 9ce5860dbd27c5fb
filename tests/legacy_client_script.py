"""Run by tests/test_legacy_client.py with the pretenders 1.4.5 client from PyPI on the path.

Usage: python legacy_client_script.py PORT. Prints "ok" when every check passed.
"""

import smtplib
import sys
import urllib.request
from urllib.error import HTTPError

import pretenders
from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.constants import FOREVER
from pretenders.common.exceptions import ConfigurationError, ResourceNotFound

assert pretenders.__version__ == "1.4.5", pretenders.__file__
port = int(sys.argv[1])


def fetch(url, method="GET", body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


mock = HTTPMock("localhost", port, timeout=30)
mock.when("GET /hello").reply(b"Hello", times=FOREVER)
mock.when("POST /form", data={"a": "1"}).reply(b"form", status=201)
mock.when("POST /json", headers={"Content-Type": "application/json"}, body='{"q".*').reply(
    b"json", headers={"X-Reply": "yes"}
)
mock.reply(b"anything")

assert fetch(mock.pretend_url + "/hello") == (200, b"Hello")
assert fetch(mock.pretend_url + "/form", "POST", b"a=1") == (201, b"form")
assert fetch(
    mock.pretend_url + "/json", "POST", b'{"q": 1}', {"Content-Type": "application/json"}
) == (200, b"json")
assert fetch(mock.pretend_url + "/whatever?x=1") == (200, b"anything")
assert fetch(mock.pretend_url + "/whatever")[0] == 404

first = mock.get_request(0)
assert (first.method, first.url, first.body) == ("GET", "/hello", b"")
assert mock.get_request(3).url == "/whatever?x=1"
assert mock.get_request(9) is None
assert len(mock.get_request()) == 5

try:
    mock.when("GET /(bad").reply(b"x")
except ConfigurationError as error:
    assert "invalid regular expression" in str(error)
else:
    raise AssertionError("a bad regex was accepted")

model = mock.get_pretender()
assert model.timeout.total_seconds() == 30, model.timeout
assert model.protocol == "http"

mock.reset()
assert mock.get_request() == []

named = HTTPMock("localhost", port, name="legacy-named")
assert named.pretend_url == f"http://localhost:{port}/mockhttp/legacy-named"
assert HTTPMock("localhost", port, name="legacy-named").pretend_access_point_id == "legacy-named"
named.delete_mock()
try:
    named.get_pretender()
except ResourceNotFound:
    pass
else:
    raise AssertionError("a deleted mock was still described")

mock.delete_mock()

smtp_mock = SMTPMock("localhost", port)
with smtplib.SMTP("localhost", smtp_mock.pretend_port, timeout=10) as client:
    client.sendmail(
        "shop@example.com",
        ["customer@example.com"],
        "Subject: Thank you for your order\r\nFrom: shop@example.com\r\n"
        "To: customer@example.com\r\n\r\nYour order will be with you soon.\r\n",
    )
email_message = smtp_mock.get_email(0)
assert email_message["Subject"] == "Thank you for your order"
assert email_message.subject == "Thank you for your order"
assert "Your order will be with you" in email_message.content
assert smtp_mock.get_email(1) is None
assert len(smtp_mock.get_emails()) == 1
smtp_mock.reset()
assert smtp_mock.get_emails() == []
smtp_mock.delete_mock()
print("ok")
