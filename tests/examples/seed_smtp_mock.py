"""The seed's "SMTP mock in a test case" example, as written, against localhost:8000.

Added around it: the imports and assertion helpers (the seed used nose's), the call that
plays the functionality sending mail, and the addresses the seed's text left empty.
"""

from shop import SHOP_ADDRESS, place_order, settings

from pretenders.client.smtp import SMTPMock


def assert_equals(first, second):
    assert first == second, f"{first!r} != {second!r}"


def assert_true(value):
    assert value, f"{value!r} is not true"


# Create a mock smtp service
smtp_mock = SMTPMock('localhost', 8000)

# Get the port number that this is faking on and
# assign as appropriate to config files that the system being tested uses
settings.SMTP_HOST = "localhost:{0}".format(smtp_mock.pretend_port)

# functionality that should cause an email to be sent
place_order("customer@example.com", "teapot")

# Check that an email was sent
email_message = smtp_mock.get_email(0)
assert_equals(email_message['Subject'], "Thank you for your order")
assert_equals(email_message['From'], SHOP_ADDRESS)
assert_equals(email_message['To'], "customer@example.com")
assert_true("Your order will be with you" in email_message.content)

smtp_mock.delete_mock()
print("seed SMTP example: ok")
