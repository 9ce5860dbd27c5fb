"""The seed's "HTTP mocking for remote application" example, completed so that it runs.

The mock has a name, so its URL is known before the test runs and the application can be
configured with it ahead of time.
"""

import myapp

from pretenders.client.http import HTTPMock
from pretenders.constants import FOREVER

mock = HTTPMock("localhost", 8000, timeout=20, name="third_party")

# Configured in the application ahead of time, instead of the third party's real site:
APP_THIRD_PARTY_URL = "http://localhost:8000/mockhttp/third_party"


def setup_normal():
    mock.when("GET /important_data").reply(
        '{"account": "10000", "outstanding": "10.00"}', times=FOREVER
    )


def setup_error():
    mock.when("GET /important_data").reply("ERROR", status=500, times=FOREVER)


def test_shows_account_information_correctly():
    mock.reset()
    setup_normal()
    # Get the webpage
    status, page = myapp.get_important_data(APP_THIRD_PARTY_URL)
    # Check that the page shows things correctly as we expect.
    assert status == 200
    assert b'"account": "10000"' in page


def test_application_handles_error_from_service():
    mock.reset()
    setup_error()
    # Get the webpage
    status, page = myapp.get_important_data(APP_THIRD_PARTY_URL)
    # Check that the page gracefully handles the error that has happened
    # in the background.
    assert (status, page) == (500, b"ERROR")


assert mock.pretend_url == APP_THIRD_PARTY_URL
test_shows_account_information_correctly()
test_application_handles_error_from_service()
mock.delete_mock()
print("seed remote application example: ok")
