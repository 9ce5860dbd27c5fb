"""Code written for pretenders 1.4, touching points where this server once differed from it.

Run by test_code_written_for_1_4.py twice: with the 1.4.5 package from PyPI on the path,
and with this project's. Usage: python code_written_for_1_4.py PORT VERSION; prints "ok".
"""

import json
import smtplib
import sys
from http.client import HTTPConnection

import pretenders
from pretenders.client import APIHelper
from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import ConfigurationError

port = int(sys.argv[1])
assert pretenders.__version__ == sys.argv[2], (pretenders.__version__, pretenders.__file__)


class FakeClient(APIHelper):
    """As in 1.4's own integration tests (tests/integration/__init__.py)."""

    def get(self, url, *args, **kwargs):
        url = "{0}{1}".format(self.path, url)
        return self.http("GET", url=url, *args, **kwargs)

    def post(self, url, *args, **kwargs):
        url = "{0}{1}".format(self.path, url)
        return self.http("POST", url=url, *args, **kwargs)


def get_fake_client(boss_client, **kwargs):
    return FakeClient(
        HTTPConnection(boss_client.pretend_access_point, **kwargs),
        boss_client.pretend_access_path,
    )


def boss(path):
    return APIHelper(HTTPConnection("localhost", port), path)


# APIHelper drives a mock service and the boss server.
mock = HTTPMock("localhost", port, timeout=30)
mock.when("GET /hello").reply(b"Hello", headers={"X-Kind": "greeting"}, times=2)
mock.when("POST /form").reply(b"", status=204)
fake_client = get_fake_client(mock)

response, data = fake_client.get(url="/hello")
assert (response.status, data) == (200, b"Hello")
assert response.getheader("X-Kind") == "greeting"
assert response.getheader("Content-Type") == "text/html; charset=UTF-8"
response, data = fake_client.post(url="/form", body=b"a=1")
assert (response.status, data) == (204, b"")
assert response.getheader("Content-Type") is None, response.getheaders()
response, data = fake_client.get(url="/missing")
assert response.status == 404

history = boss("/history/{0}".format(mock.pretend_access_point_id))
response, data = history.list()
assert response.status == 200
assert [r["url"] for r in json.loads(data.decode("ascii"))] == ["/hello", "/form", "/missing"]
response, data = history.get(1)
assert json.loads(data.decode("ascii"))["body"] == "YT0x"
history.reset()
assert json.loads(history.list()[1].decode("ascii")) == []

# The presets are listed with their reply headers exactly as given.
mock.when("GET /plain").reply(b"plain")
response, data = boss("/preset/{0}".format(mock.pretend_access_point_id)).list()
listed = json.loads(data.decode("ascii"))
assert [p["headers"] for p in listed] == [{"X-Kind": "greeting"}, {}], listed

# A mock that is gone refuses presets with ConfigurationError.
gone = HTTPMock("localhost", port)
gone_id = gone.pretend_access_point_id
gone.delete_mock()
try:
    gone.when("GET /").reply(b"too late")
except ConfigurationError as error:
    assert "No matching http mock: {0}".format(gone_id) in str(error), str(error)
else:
    raise AssertionError("a preset was added to a deleted mock")

# An SMTP mock's history gives the peer as [address, port].
smtp_mock = SMTPMock("localhost", port)
with smtplib.SMTP("localhost", smtp_mock.pretend_port, timeout=10) as client:
    client.sendmail(
        "shop@example.com",
        ["customer@example.com"],
        "Subject: Thank you\r\nFrom: shop@example.com\r\n\r\nSoon.\r\n",
    )
    client_port = client.sock.getsockname()[1]
email_message = smtp_mock.get_email(0)
assert email_message["Subject"] == "Thank you"
assert email_message.data["peer"] == ["127.0.0.1", client_port], email_message.data["peer"]
assert email_message.data["peer"][1] == client_port
response, data = boss("/history/{0}".format(smtp_mock.pretend_access_point_id)).get(0)
record = json.loads(data.decode("ascii"))
assert record["peer"] == ["127.0.0.1", client_port]
assert record["rule"] == ""
assert {"peer", "mailfrom", "rcpttos", "data"} <= set(record)

smtp_mock.delete_mock()
mock.delete_mock()
print("ok")
