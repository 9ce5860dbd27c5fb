"""The end-of-test check shared by the pytest plugin and the unittest helper: which requests to
a test's HTTP mocks matched no preset, and why (the near misses the server recorded)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pretenders.client import _operations as ops
from pretenders.client._report import dropped_note
from pretenders.client.http import HTTPMock, RecordedRequest
from pretenders.common.exceptions import PretendersError


@dataclass(frozen=True)
class Unmatched:
    """What :func:`find_unmatched` found."""

    count: int = 0
    lines: list[str] = field(default_factory=list)
    """Each request, then its explanation, indented."""
    unchecked: list[str] = field(default_factory=list)
    """A line per mock whose history limit dropped requests, which went unchecked."""

    def __bool__(self) -> bool:
        return self.count > 0

    def report(self, how_to_allow: str = "") -> str:
        """The readable list of the unmatched requests, or "" if there were none."""
        if not self.count:
            return ""
        text = f"{self.count} request(s) to this test's HTTP mocks matched no preset:\n"
        text += "\n".join(self.lines)
        if self.unchecked:
            text += "\nand older requests went unchecked:\n" + "\n".join(self.unchecked)
        if how_to_allow:
            text += f"\n({how_to_allow})"
        return text


def find_unmatched(mocks: Iterable[HTTPMock]) -> Unmatched:
    """Read each mock's history; mocks deleted already are skipped."""
    count = 0
    lines: list[str] = []
    unchecked: list[str] = []
    for mock in mocks:
        try:
            recorded, dropped = mock._run(ops.history(mock.pretend_access_point_id))
        except PretendersError:
            continue  # the test deleted the mock itself
        if dropped:
            unchecked.append(f"  mock {mock.pretend_url}: {dropped_note(dropped)}")
        for request in recorded:
            if is_unmatched(request):
                count += 1
                lines.append(f"  {request.method} {request.url}  (mock {mock.pretend_url})")
                lines.extend(f"      {line}" for line in explanation(request))
    return Unmatched(count, lines, unchecked)


def is_unmatched(recorded: RecordedRequest) -> bool:
    if recorded.data.get("body_too_large"):
        return True  # refused with a 413 before any preset could match
    return recorded.data.get("status") == 404 and recorded.data.get("preset") is None


def explanation(recorded: RecordedRequest) -> list[str]:
    """Why the request missed: the closest presets, as the server recorded them."""
    if recorded.data.get("body_too_large"):
        return ["its body was over the server's --max-body-size: answered 413"]
    if "near_misses" not in recorded.data:
        return []  # an external server too old to record them
    misses = recorded.near_misses
    if not misses:
        return ["the mock had no presets"]
    return ["closest presets:", *(f"  {miss.text}" for miss in misses)]
