"""Catastrophic regexes against a real server process: each gives up after
--regex-timeout (50 ms by default), the offending request gets an answer that says so,
and meanwhile ``/health`` and another mock keep answering within 200 ms (measured from
another thread and connection: the responsiveness the budget exists for).

The server runs in its own process, so that the test's threads do not compete with it
for the interpreter lock and the timings are the server's own. It runs with
``--regex-timeout 0.01``: the budget counts processor time, and on a machine loaded by
other jobs 50 ms of it can stretch past 200 ms of wall-clock time.
"""

from __future__ import annotations

import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_cli import answers, free_port
from tests.waiting import wait_until

PATTERN = "(a|aa)+$"
"""Backtracks without end on :data:`TRIPS` (the regex module does not optimise it away)."""
TRIPS = "a" * 40 + "!"
RESPONSIVE = 0.2
"""Seconds within which /health and another mock must answer meanwhile."""
BUDGET = "0.01"
GAVE_UP = "gave up after 10 ms"


class Server:
    """A server process on a free port; its log goes to a file the tests read."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log_file = log.open("w")
        command = [sys.executable, "-m", "pretenders.server.server", "--port", str(self.port)]
        command += ["--regex-timeout", BUDGET]
        self.process = subprocess.Popen(command, stderr=self._log_file)
        wait_until(lambda: answers(f"{self.url}/health"), timeout=15)

    def warnings_about(self, mock_id: str) -> list[str]:
        lines = self.log.read_text().splitlines()
        return [line for line in lines if " WARNING " in line and mock_id in line]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._log_file.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("regex_budget") / "server.log")
    yield running
    running.stop()


@pytest.fixture
def admin(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def new_mock(admin: httpx.Client) -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def create() -> str:
        response = admin.post("/http", json={})
        assert response.status_code == 200, response.text
        made.append(response.json()["id"])
        return made[-1]

    yield create
    for mock_id in made:
        admin.delete(f"/http/{mock_id}")


class Probe:
    """From its own thread and connection, times ``/health`` and another mock's reply
    until stopped (at most 30 s or 3000 probes)."""

    def __init__(self, server: Server, other_mock_url: str) -> None:
        self.server = server
        self.other = other_mock_url
        self.timings: list[tuple[str, float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=10) as client:
            ends = time.monotonic() + 30
            while not self._stop.is_set() and time.monotonic() < ends:
                for path in ("/health", self.other):
                    started = time.perf_counter()
                    status = client.get(path).status_code
                    self.timings.append((path, time.perf_counter() - started, status))
                if len(self.timings) >= 3000:
                    return

    def __enter__(self) -> Probe:
        self._thread.start()
        ends = time.monotonic() + 10
        while len(self.timings) < 2 and time.monotonic() < ends:
            time.sleep(0.001)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)

    def probes_since(self, start: int) -> list[tuple[str, float, int]]:
        return self.timings[start:]


@pytest.fixture
def other_mock(admin: httpx.Client, new_mock: Callable[[], str]) -> str:
    mock_id = new_mock()
    preset = {"rule": "GET /ping", "body": "cG9uZw==", "times": "FOREVER"}
    assert admin.post(f"/preset/{mock_id}", json=preset).status_code == 200
    return f"/mockhttp/{mock_id}/ping"


@pytest.fixture
def probe(server: Server, other_mock: str) -> Iterator[Probe]:
    with Probe(server, other_mock) as running:
        yield running


def while_probing(probe: Probe, action: Callable[[], Any], times: int = 2) -> list[Any]:
    """Run ``action`` a few times while the probe runs; check the server stayed responsive."""
    start = len(probe.timings)
    answers = [action() for _ in range(times)]
    ends = time.monotonic() + 5
    while len(probe.timings) < start + 4 and time.monotonic() < ends:
        time.sleep(0.001)  # at least a couple of probes after the last action
    seen = probe.probes_since(start)
    assert len(seen) >= 4
    assert all(status == 200 for _, _, status in seen), seen
    slowest = max(seen, key=lambda timing: timing[1])
    assert slowest[1] < RESPONSIVE, f"{slowest[0]} took {slowest[1] * 1000:.0f} ms"
    return answers


def add_preset(admin: httpx.Client, mock_id: str, preset: dict[str, Any]) -> None:
    response = admin.post(f"/preset/{mock_id}", json=preset)
    assert response.status_code == 200, response.text


def test_a_rule_that_gives_up_is_a_miss_explained_and_logged_once(
    server: Server, admin: httpx.Client, new_mock: Callable[[], str], probe: Probe
) -> None:
    mock_id = new_mock()
    add_preset(admin, mock_id, {"rule": f"GET /{PATTERN}", "times": "FOREVER"})
    add_preset(admin, mock_id, {"rule": "GET /other", "times": "FOREVER"})

    answers = while_probing(probe, lambda: admin.get(f"/mockhttp/{mock_id}/{TRIPS}"))

    for answer in answers:
        assert answer.status_code == 404
        assert (
            f'. preset 0 "GET /{PATTERN}" (times left FOREVER): rule: "GET /{PATTERN}": '
            f"the regular expression {GAVE_UP} on this request (--regex-timeout)"
        ) in answer.text
    (warning,) = server.warnings_about(mock_id)
    assert f"HTTP mock {mock_id}, preset 0: the regular expression 'GET /{PATTERN}'" in warning
    assert "--regex-timeout" in warning
    # the same preset still serves the requests it can answer
    assert admin.get(f"/mockhttp/{mock_id}/aaaa").status_code == 200
    (record,) = [r for r in admin.get(f"/history/{mock_id}").json() if r["status"] == 404][:1]
    (miss,) = [miss for miss in record["near_misses"] if miss["preset"] == 0]
    assert miss["differences"] == [
        {
            "field": "rule",
            "expected": f"GET /{PATTERN}",
            "actual": f"(the regular expression {GAVE_UP})",
        }
    ]


def test_a_body_that_gives_up_is_a_miss_explained(
    server: Server, admin: httpx.Client, new_mock: Callable[[], str], probe: Probe
) -> None:
    mock_id = new_mock()
    add_preset(admin, mock_id, {"rule": {"rule": "POST /order", "body": PATTERN}, "times": 2})

    answers = while_probing(
        probe, lambda: admin.post(f"/mockhttp/{mock_id}/order", content=TRIPS.encode())
    )

    for answer in answers:
        assert answer.status_code == 404
        assert (
            f'body: "{PATTERN}": the regular expression {GAVE_UP} on this request (--regex-timeout)'
        ) in answer.text
    (warning,) = server.warnings_about(mock_id)
    assert f"HTTP mock {mock_id}, preset 0: the regular expression '{PATTERN}' (rule.body)" in (
        warning
    )
    assert admin.post(f"/mockhttp/{mock_id}/order", content=b"aaa").status_code == 200


def record_tripping_request(admin: httpx.Client, mock_id: str) -> None:
    assert admin.post(f"/mockhttp/{mock_id}/{TRIPS}", content=TRIPS.encode()).status_code == 404


def filter_error(field: str, pattern: str) -> dict[str, Any]:
    return {
        "code": "regex_gave_up",
        "field": field,
        "message": f"{field}: the regular expression {pattern!r} {GAVE_UP} on a recorded "
        "request; simplify it (nested repeats such as (a|aa)+ backtrack without end) or "
        "start the server with a higher --regex-timeout",
    }


def test_a_history_filter_that_gives_up_is_a_400_naming_it(
    admin: httpx.Client, new_mock: Callable[[], str], probe: Probe
) -> None:
    mock_id = new_mock()
    record_tripping_request(admin, mock_id)

    answers = while_probing(
        probe, lambda: admin.get(f"/history/{mock_id}", params={"url": PATTERN})
    )

    for answer in answers:
        assert answer.status_code == 400
        assert answer.json() == {"errors": [filter_error("url", PATTERN)]}
    assert admin.get(f"/history/{mock_id}", params={"url": "a+!"}).json()[0]["url"] == f"/{TRIPS}"


@pytest.mark.parametrize(("field", "pattern"), [("rule", f"POST /{PATTERN}"), ("body", PATTERN)])
def test_a_count_filter_that_gives_up_is_a_400_naming_it(
    admin: httpx.Client, new_mock: Callable[[], str], probe: Probe, field: str, pattern: str
) -> None:
    mock_id = new_mock()
    record_tripping_request(admin, mock_id)

    answers = while_probing(probe, lambda: admin.post(f"/count/{mock_id}", json={field: pattern}))

    for answer in answers:
        assert answer.status_code == 400
        assert answer.json() == {"errors": [filter_error(field, pattern)]}
    assert admin.post(f"/count/{mock_id}", json={field: ".*!"}).json()["count"] == 1


def test_a_wait_that_gives_up_on_a_recorded_request_is_a_400_at_once(
    admin: httpx.Client, new_mock: Callable[[], str], probe: Probe
) -> None:
    mock_id = new_mock()
    record_tripping_request(admin, mock_id)
    wait = {"rule": f"POST /{PATTERN}", "timeout": 30}

    answers = while_probing(probe, lambda: admin.post(f"/wait/{mock_id}", json=wait, timeout=60))

    for answer in answers:
        assert answer.status_code == 400
        assert answer.json() == {"errors": [filter_error("rule", f"POST /{PATTERN}")]}


def test_a_wait_ends_with_a_400_when_a_new_request_makes_it_give_up(
    server: Server, admin: httpx.Client, new_mock: Callable[[], str], probe: Probe
) -> None:
    mock_id = new_mock()
    answer: list[httpx.Response] = []

    def wait() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            wanted = {"body": PATTERN, "count": 2, "timeout": 30}
            answer.append(client.post(f"/wait/{mock_id}", json=wanted))

    created = admin.get(f"/http/{mock_id}").json()["last_call"]
    waiting = threading.Thread(target=wait)
    waiting.start()
    # The wait marks the mock as used (last_call) right before it starts waiting.
    wait_until(lambda: admin.get(f"/http/{mock_id}").json()["last_call"] != created, 10, 0.01)
    admin.post(f"/mockhttp/{mock_id}/x", content=b"aaaa")  # matches: one of the two wanted
    assert not answer, "the wait must still be waiting"

    while_probing(probe, lambda: record_tripping_request(admin, mock_id), times=1)

    waiting.join(20)
    assert answer[0].status_code == 400
    assert answer[0].json() == {"errors": [filter_error("body", PATTERN)]}
    # the request that tripped it was recorded and answered as usual
    assert len(admin.get(f"/history/{mock_id}").json()) == 2


@pytest.mark.parametrize(
    ("stage", "send"),
    [
        ("rcpt", lambda smtp: smtp.sendmail("me@example.com", [f"{TRIPS}@x.org"], "Hi\r\n")),
        ("data", lambda smtp: smtp.sendmail("me@example.com", ["you@x.org"], TRIPS)),
    ],
)
def test_an_smtp_script_match_that_gives_up_is_skipped_and_the_session_goes_on(
    server: Server,
    admin: httpx.Client,
    probe: Probe,
    stage: str,
    send: Callable[[smtplib.SMTP], object],
) -> None:
    created = admin.post("/smtp", json={}).json()
    mock_id, port = created["id"], int(created["full_host"].rsplit(":", 1)[1])
    try:
        preset = {"stage": stage, "match": PATTERN, "status": 550, "times": "FOREVER"}
        add_preset(admin, mock_id, preset)

        def deliver() -> object:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                return send(smtp)  # raises on any refusal: the normal replies came

        assert while_probing(probe, deliver, times=2) == [{}, {}]
        assert len(admin.get(f"/history/{mock_id}").json()) == 2
        (warning,) = server.warnings_about(mock_id)
        assert f"SMTP mock {mock_id}, scripted reply 0 ({stage})" in warning
        assert f"'{PATTERN}' {GAVE_UP}" in warning
    finally:
        admin.delete(f"/smtp/{mock_id}")
