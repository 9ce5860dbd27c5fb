"""The pytest plugin's ``make_http_mock(presets=...)`` and unittest's, in a real test run."""

from __future__ import annotations

import pytest

USER_TESTS = """
import httpx

from pretenders.client.http import when


def test_presets_at_creation(make_http_mock):
    api = make_http_mock(
        presets=[
            when("GET /users/1").reply('{"name": "Ann"}'),
            when(method="GET", path="/users/{id}").reply(status=404, times=5),
        ]
    )
    assert httpx.get(api.pretend_url + "/users/1").json() == {"name": "Ann"}
    assert httpx.get(api.pretend_url + "/users/2").status_code == 404
    assert len(api.get_request()) == 2


def test_a_bad_preset_fails_the_set_up(make_http_mock):
    from pretenders.common.exceptions import ConfigurationError
    import pytest

    with pytest.raises(ConfigurationError, match=r"presets\\[0\\]"):
        make_http_mock(presets=[when("GET /(").reply("x")])
"""

UNITTEST_TESTS = """
import httpx

from pretenders.client.http import when
from pretenders.unittest import PretendersTestCase


class TestPresets(PretendersTestCase):
    def test_presets_at_creation(self):
        api = self.make_http_mock(presets=[when("GET /ok").reply("fine", status=201)])
        answer = httpx.get(api.pretend_url + "/ok")
        self.assertEqual((answer.status_code, answer.text), (201, "fine"))
"""


def test_the_fixture_factory_takes_presets(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_unittest_factory_takes_presets(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=UNITTEST_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
