"""The seed's "HTTP mock in a test case" example, as written, against localhost:8000.

Two lines are added around it: ``assert_equal`` (the seed used nose's) and the call that
plays the code under test, where the seed says "Your code is exercised here".
"""

import myapp


def assert_equal(first, second):
    assert first == second, f"{first!r} != {second!r}"


from pretenders.client.http import HTTPMock
from pretenders.common.constants import FOREVER

# Assume a running server
# Initialise the mock client and clear all responses
mock = HTTPMock('localhost', 8000)

# For GET requests to /hello reply with a body of 'Hello'
mock.when('GET /hello').reply('Hello', times=FOREVER)

# For the next three POST or PUT to /somewhere, simulate a BAD REQUEST status code
mock.when('(POST|PUT) /somewhere').reply(status=400, times=3)

# For the next request (any method, any URL) respond with some JSON data
mock.reply('{"temperature": 23}', headers={'Content-Type': 'application/json'})

# For the next GET request to /long take 100 seconds to respond.
mock.when('GET /long').reply('', after=100)

# If you need to reply different data depending on request body
# Regular expression to match certain body could be provided
mock.when('POST /body_requests', body='1.*').reply('First answer', times=FOREVER)
mock.when('POST /body_requests', body='2.*').reply('Second answer', times=FOREVER)

# Your code is exercised here, after setting up the mock URL
myapp.settings.FOO_ROOT_URL = mock.pretend_url
assert_equal(myapp.get_weather('barcelona'), b'{"temperature": 23}')

# Verify requests your code made
r = mock.get_request(0)
assert_equal(r.method, 'GET')
assert_equal(r.url, '/weather?city=barcelona')

mock.delete_mock()
print("seed HTTP example: ok")
