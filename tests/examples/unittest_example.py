"""An embedded server for a unittest class, set up by hand (what PretendersTestCase of
docs/testing.md does for you)."""

import unittest
import urllib.request

from pretenders.client.http import HTTPMock
from pretenders.server.embedded import EmbeddedServer


class WeatherClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = EmbeddedServer().start()  # a free port, in this process

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.mock = HTTPMock(self.server.host, self.server.port)

    def tearDown(self):
        self.mock.delete_mock()
        self.mock.close()

    def test_reads_the_temperature(self):
        self.mock.when("GET /weather").reply('{"temperature": 23}')
        with urllib.request.urlopen(self.mock.pretend_url + "/weather?city=barcelona") as reply:
            self.assertEqual(reply.read(), b'{"temperature": 23}')
        self.assertEqual(self.mock.get_request(0).url, "/weather?city=barcelona")


if __name__ == "__main__":
    unittest.main()
