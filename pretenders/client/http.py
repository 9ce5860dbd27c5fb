"""``HTTPMock``: preset replies on a fake HTTP service, then read what it received."""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, overload

from pretenders.client import BossClient, _report
from pretenders.client._admin import wait
from pretenders.common.constants import Forever
from pretenders.common.exceptions import VerificationError, WaitTimeout

__all__ = ["Difference", "HTTPMock", "HeaderDict", "NearMiss", "RecordedRequest"]


class HeaderDict(dict[str, str]):
    """A plain dict of headers whose lookups ignore the case of the name."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__(headers)
        self._by_lower = {name.lower(): name for name in headers}

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(self._by_lower.get(name.lower(), name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_lower

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(self._by_lower.get(name.lower(), name), default)


@dataclass(frozen=True)
class Difference:
    """One part of a request that did not match a preset."""

    field: str
    """``rule``, ``header <Name>``, ``body`` or ``data``."""
    expected: str
    actual: str


@dataclass(frozen=True)
class NearMiss:
    """A preset that came close to an unmatched request, and why it did not match."""

    preset: int
    """The preset's id."""
    rule: dict[str, Any]
    """The preset's rule: ``{"rule", "headers", "body", "data"}``."""
    times: int | str
    """The preset's uses left when the request came (or ``"FOREVER"``)."""
    differences: list[Difference]
    rule_miss: str | None
    """``"method"`` or ``"path"`` when the rule missed on that half alone."""
    text: str
    """One readable line, as in the 404 body."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NearMiss:
        return cls(
            preset=int(data["preset"]),
            rule=dict(data["rule"]),
            times=data["times"],
            differences=[Difference(**d) for d in data["differences"]],
            rule_miss=data.get("rule_miss"),
            text=str(data["text"]),
        )

    def __str__(self) -> str:
        return self.text


class RecordedRequest:
    """A request the mock received: ``method``, ``url``, ``headers``, ``body`` (bytes).

    ``matched`` tells whether a preset served it (``preset`` is that preset's id); when
    none did, ``near_misses`` lists the closest presets and what differed.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def method(self) -> str:
        return str(self.data["method"])

    @property
    def url(self) -> str:
        """The path below the mock, with the query string: ``/weather?city=barcelona``."""
        return str(self.data["url"])

    @property
    def headers(self) -> HeaderDict:
        return HeaderDict(self.data["headers"])

    @property
    def body(self) -> bytes:
        return base64.b64decode(self.data["body"])

    @property
    def matched(self) -> bool:
        """Whether a preset served this request."""
        return bool(self.data.get("matched", self.data.get("preset") is not None))

    @property
    def near_misses(self) -> list[NearMiss]:
        """When no preset matched: the closest presets (up to three), closest first."""
        return [NearMiss.from_dict(item) for item in self.data.get("near_misses") or []]

    def as_dict(self) -> dict[str, Any]:
        return self.data

    def __getattr__(self, name: str) -> Any:
        # Any other recorded field (rule, time, status, ...), as the 1.4 client allowed.
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.method} {self.url}>"


class HTTPMock(BossClient):
    """A fake HTTP service as seen from the test writer.

    Example::

        mock = HTTPMock('localhost', 8000)
        mock.when('GET /hello').reply('Hello')
        # ... exercise the code under test against mock.pretend_url ...
        assert mock.get_request(0).url == '/hello'

    ``timeout`` is how long the mock may go without being called before the server
    removes it (seconds or FOREVER; the server's default otherwise). Mocks with the same
    ``name`` are the same mock, reachable at a URL known in advance.
    """

    boss_mock_type = "http"

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | Forever | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(host, port, timeout, name)
        self.rule: dict[str, Any] | str = ""

    @property
    def pretend_access_path(self) -> str:
        """``/mockhttp/<id>``."""
        return str(self.pretender_details["path"])

    @property
    def pretend_url(self) -> str:
        """The base URL of the fake service, to give to the code under test."""
        host = self.host if self.port == 80 else f"{self.host}:{self.port}"
        return f"http://{host}{self.pretend_access_path}"

    def when(
        self,
        rule: str = "",
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
    ) -> HTTPMock:
        """A copy of this mock whose next ``reply`` applies to matching requests only.

        ``rule`` is a regex matched at the start of ``"METHOD /path?query"``;
        ``headers`` must all be sent with these values; ``body`` is a regex matched at
        the start of the body; ``data`` is a dict of form fields the posted form must
        equal (it replaces ``body``).
        """
        bound = copy.copy(self)
        bound.rule = {
            "rule": rule,
            "headers": dict(headers) if headers else None,
            "body": body,
            "data": dict(data) if data else None,
        }
        return bound

    def reply(
        self,
        body: bytes | str = b"",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        times: int | Forever = 1,
        after: float = 0,
    ) -> HTTPMock:
        """Add a canned reply: served ``times`` times (or FOREVER), ``after`` seconds late."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        preset = {
            "rule": self.rule,
            "status": status,
            "headers": dict(headers or {}),
            "body": base64.b64encode(raw).decode("ascii"),
            "times": times,
            "after": after,
        }
        path = f"/preset/{self.pretend_access_point_id}"
        self.admin.expect(self.admin.call("POST", path, json=preset))
        return self

    @overload
    def get_request(self, sequence_id: int) -> RecordedRequest | None: ...

    @overload
    def get_request(self, sequence_id: None = None) -> list[RecordedRequest]: ...

    def get_request(
        self, sequence_id: int | None = None
    ) -> RecordedRequest | list[RecordedRequest] | None:
        """The ``sequence_id``-th request received (None if there is none), or all of them."""
        history = f"/history/{self.pretend_access_point_id}"
        if sequence_id is None:
            found = self.admin.expect(self.admin.call("GET", history)).json()
            return [RecordedRequest(item) for item in found]
        response = self.admin.call("GET", f"{history}/{sequence_id}")
        if response.status_code != 200:
            return None
        return RecordedRequest(response.json())

    def count(
        self,
        rule: str = "",
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
    ) -> int:
        """How many recorded requests match, in the preset rule language (see ``when``)."""
        path = f"/count/{self.pretend_access_point_id}"
        payload = _rule_payload(rule, headers, body, data)
        return int(self.admin.expect(self.admin.call("POST", path, json=payload)).json()["count"])

    def unmatched_requests(self) -> list[RecordedRequest]:
        """The requests that no preset served (they got a 404), with their near misses."""
        return self._history(matched="false")

    def unused_presets(self) -> list[dict[str, Any]]:
        """Presets still owed requests: uses left to count down, or FOREVER and never served.

        Each is the server's preset document: ``rule``, ``times`` (uses left), ``served``...
        """
        path = f"/preset/{self.pretend_access_point_id}"
        found: list[dict[str, Any]] = self.admin.expect(
            self.admin.call("GET", path, params={"unused": "true"})
        ).json()
        return found

    def assert_called(
        self,
        rule: str = "",
        times: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
    ) -> None:
        """Fail unless ``times`` recorded requests match (None: at least one).

        The failure message lists what the mock did receive, with the near misses of
        requests no preset matched.
        """
        found = self.count(rule, headers, body, data)
        if (found >= 1) if times is None else (found == times):
            return
        wanted = "at least 1 request" if times is None else _report.plural(times, "request")
        described = _report.describe_rule(rule, headers, body, data)
        raise VerificationError(
            f"expected {wanted} matching {described}, got {found}\n"
            + _report.describe_requests(self.get_request())
        )

    def assert_no_unmatched(self) -> None:
        """Fail if any request got the 404 because no preset matched it, saying why."""
        unmatched = self.unmatched_requests()
        if unmatched:
            raise VerificationError(
                f"{_report.plural(len(unmatched), 'request')} matched no preset:\n"
                + "\n".join(_report.describe_request(r) for r in unmatched)
            )

    def assert_no_unused_presets(self) -> None:
        """Fail if a preset is still owed requests (see ``unused_presets``)."""
        unused = self.unused_presets()
        if unused:
            raise VerificationError(
                f"{_report.plural(len(unused), 'preset')} not used up:\n"
                + "\n".join(_report.describe_preset(p) for p in unused)
            )

    def wait_for_request(
        self,
        rule: str = "",
        count: int = 1,
        timeout: float = 5,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
        data: Mapping[str, str] | None = None,
    ) -> list[RecordedRequest]:
        """Block until ``count`` recorded requests match (those already there count too),
        and return them all; raise ``WaitTimeout`` after ``timeout`` seconds (at most 300).

        The server holds the call open, so this returns as soon as the request arrives.
        """
        payload = {**_rule_payload(rule, headers, body, data), "count": count, "timeout": timeout}
        answer = wait(self.admin, self.pretend_access_point_id, payload)
        seen = [RecordedRequest(item) for item in answer["requests"]]
        if answer["met"]:
            return seen
        described = _report.describe_rule(rule, headers, body, data)
        message = f"waiting for {_report.plural(count, 'request')} matching {described}: "
        message += str(answer["message"])
        if seen:
            message += "\nmatching:\n" + "\n".join(_report.describe_request(r) for r in seen)
        message += "\n" + _report.describe_requests(self.get_request())
        raise WaitTimeout(message, list(seen))

    def _history(self, **filters: str) -> list[RecordedRequest]:
        path = f"/history/{self.pretend_access_point_id}"
        found = self.admin.expect(self.admin.call("GET", path, params=filters)).json()
        return [RecordedRequest(item) for item in found]


def _rule_payload(
    rule: str,
    headers: Mapping[str, str] | None,
    body: str | None,
    data: Mapping[str, str] | None,
) -> dict[str, Any]:
    return {
        "rule": rule,
        "headers": dict(headers) if headers else None,
        "body": body,
        "data": dict(data) if data else None,
    }
