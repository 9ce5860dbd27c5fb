"""The public surface: the 1.4 import paths and each public module's names, pinned."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "pretenders.client.http": {
        "Difference",
        "HTTPMock",
        "HeaderDict",
        "HistoryStats",
        "HttpMockFacts",
        "NearMiss",
        "Preset",
        "RecordedRequest",
        "when",
    },
    "pretenders.client.smtp": {
        "Attachment",
        "HistoryStats",
        "SMTPMessage",
        "SMTPMock",
        "SmtpMockFacts",
        "SmtpStage",
    },
    "pretenders.client": {"APIHelper", "BossClient", "MockFacts"},
    "pretenders.client.aio": {"AsyncHTTPMock", "AsyncSMTPMock", "AsyncSmtpStage"},
    "pretenders.client.matchers": {
        "Part",
        "Rule",
        "ValueLike",
        "ValueMatcher",
        "absent",
        "all_of",
        "any_of",
        "contains",
        "equals",
        "ge",
        "gt",
        "le",
        "lt",
        "not_",
        "part",
        "present",
        "regex",
        "rule",
    },
    "pretenders.client.models": {
        "Attachment",
        "Difference",
        "HeaderDict",
        "HistoryStats",
        "NearMiss",
        "RecordedRequest",
        "SMTPMessage",
    },
    "pretenders.client.replies": {"START", "Reply", "State", "States"},
    "pretenders.common.constants": {"FOREVER", "Forever"},
    "pretenders.constants": {"FOREVER", "Forever"},
    "pretenders.common.exceptions": {
        "AuthenticationRequired",
        "ConfigurationError",
        "HistoryLimitWarning",
        "MockGone",
        "NoPortAvailableException",
        "NoRequestFound",
        "PretendersError",
        "ResourceNotFound",
        "ServerUnreachable",
        "UnexpectedResponseStatus",
        "VerificationError",
        "WaitTimeout",
    },
    "pretenders.server.embedded": {"EmbeddedServer"},
    "pretenders.unittest": {"PretendersTestCase"},
}


@pytest.mark.parametrize("module", PUBLIC)
def test_exported_names(module: str) -> None:
    imported = importlib.import_module(module)
    assert set(imported.__all__) == PUBLIC[module]
    for name in imported.__all__:
        assert hasattr(imported, name), f"{module}.{name} is exported but missing"


def test_the_1_4_import_paths() -> None:
    from pretenders.client.http import HTTPMock
    from pretenders.client.smtp import SMTPMock
    from pretenders.common.constants import FOREVER
    from pretenders.common.exceptions import (
        ConfigurationError,
        PretendersError,
        ResourceNotFound,
        UnexpectedResponseStatus,
    )
    from pretenders.constants import FOREVER as SAME_FOREVER

    assert FOREVER == SAME_FOREVER == "FOREVER"
    assert all(
        issubclass(e, PretendersError)
        for e in (ConfigurationError, ResourceNotFound, UnexpectedResponseStatus)
    )
    assert HTTPMock.boss_mock_type == "http" and SMTPMock.boss_mock_type == "smtp"


def test_the_server_module_runs_as_a_script() -> None:
    from pretenders.server import server

    assert callable(server.main)
