"""Header names are decoded once and shared by every record that has them, up to a
bound, so that a long history holds each name once and new names cannot grow the cache."""

from __future__ import annotations

from pretenders.server import mock_protocol


def test_a_header_name_is_one_string_for_every_request() -> None:
    assert mock_protocol._name(b"X-Shared-Name") is mock_protocol._name(b"X-Shared-Name")


def test_the_shared_names_are_bounded() -> None:
    for number in range(mock_protocol._MAX_NAMES + 100):
        assert mock_protocol._name(b"X-Name-%d" % number) == f"X-Name-{number}"
    assert len(mock_protocol._NAMES) <= mock_protocol._MAX_NAMES
