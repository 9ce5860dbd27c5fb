"""Scenario 6: SMTP mocks: creation time, message rate, and how soon mail is visible."""

from __future__ import annotations

import smtplib
import statistics
import time
from dataclasses import dataclass

from benchmarks.api import Api, SmtpMock
from benchmarks.context import Context, describe
from benchmarks.servers import ServerSpec, running
from benchmarks.settings import HOST
from benchmarks.stats import Row, Series, at_least, at_most, below

NAME = "smtp"
TITLE = "6. SMTP"
SENDER = "bench@example.invalid"
RECIPIENT = "mock@example.invalid"
SMTP_TIMEOUT_S = 10
SEND_LIMIT_S = 30
CREATE_LIMIT_S = 20


def message(i: int) -> str:
    return f"From: {SENDER}\r\nTo: {RECIPIENT}\r\nSubject: bench {i}\r\n\r\nhello {i}\r\n"


def _check_deadline(deadline: float, sent: int) -> None:
    if time.monotonic() > deadline:
        raise TimeoutError(f"only {sent} messages sent within {SEND_LIMIT_S} s")


def send_one_connection(host: str, port: int, count: int) -> float:
    """Seconds to send ``count`` messages over one SMTP connection."""
    deadline = time.monotonic() + SEND_LIMIT_S
    start = time.perf_counter()
    with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S) as client:
        for i in range(count):
            _check_deadline(deadline, i)
            client.sendmail(SENDER, [RECIPIENT], message(i))
    return time.perf_counter() - start


def send_new_connections(host: str, port: int, count: int) -> float:
    """Seconds to send ``count`` messages, each over a new SMTP connection."""
    deadline = time.monotonic() + SEND_LIMIT_S
    start = time.perf_counter()
    for i in range(count):
        _check_deadline(deadline, i)
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S) as client:
            client.sendmail(SENDER, [RECIPIENT], message(i))
    return time.perf_counter() - start


def wait_visible(api: Api, mock_id: str, count: int, timeout_s: float) -> float:
    """Seconds from now until GET /history lists ``count`` messages."""
    start = time.perf_counter()
    seen = 0
    while time.perf_counter() - start < timeout_s:
        seen = api.history_len(mock_id)
        if seen >= count:
            return time.perf_counter() - start
    raise TimeoutError(f"only {seen} of {count} messages visible after {timeout_s:g} s")


@dataclass
class Rates:
    """Series for message rates and visibility delays of one subject."""

    one: Series
    new: Series
    one_visible: Series
    new_visible: Series


def measure_create(spec: ServerSpec, times: int) -> list[float]:
    """Milliseconds per POST /smtp, at most ``times`` or CREATE_LIMIT_S; each mock is deleted."""
    timings: list[float] = []
    deadline = time.monotonic() + CREATE_LIMIT_S
    with running(spec) as server, Api(server.port) as api:
        while len(timings) < times and (not timings or time.monotonic() < deadline):
            start = time.perf_counter()
            mock = api.create_smtp_mock()
            timings.append((time.perf_counter() - start) * 1000)
            api.delete_smtp_mock(mock.id)
    return timings


def create_and_probe(spec: ServerSpec) -> tuple[float, str]:
    """Milliseconds for one POST /smtp, and whether that mock then takes one message.

    For 1.4.5, whose mock creation sleeps 2 s and whose SMTP mock fails on Python 3.
    """
    with running(spec) as server, Api(server.port) as api:
        start = time.perf_counter()
        mock = api.create_smtp_mock()
        elapsed_ms = (time.perf_counter() - start) * 1000
        try:
            send_one_connection(mock.host, mock.port, 1)
        except (smtplib.SMTPException, OSError) as exc:
            outcome = f"its SMTP mock fails on the first message: {type(exc).__name__}: {exc}"
        else:
            outcome = f"its SMTP mock took a message; history lists {api.history_len(mock.id)}"
        api.delete_smtp_mock(mock.id)
        return elapsed_ms, outcome


def measure_ours(spec: ServerSpec, count: int, timeout_s: float) -> tuple[float, ...]:
    """msg/s over one connection and over new connections, with the visibility delays."""
    with running(spec) as server, Api(server.port) as api:
        mock: SmtpMock = api.create_smtp_mock()
        one_s = send_one_connection(mock.host, mock.port, count)
        one_visible = wait_visible(api, mock.id, count, timeout_s)
        api.reset_history(mock.id)
        new_s = send_new_connections(mock.host, mock.port, count)
        new_visible = wait_visible(api, mock.id, count, timeout_s)
        api.delete_smtp_mock(mock.id)
    return count / one_s, one_visible, count / new_s, new_visible


def measure_sink(spec: ServerSpec, count: int) -> tuple[float, float]:
    """msg/s of the bare aiosmtpd sink, over one connection and over new connections."""
    with running(spec) as server:
        one_s = send_one_connection(HOST, server.port, count)
        new_s = send_new_connections(HOST, server.port, count)
    return count / one_s, count / new_s


def run(ctx: Context) -> list[Row]:
    """Round by round: 1.4.5 (creation only), ours, bare aiosmtpd sink."""
    s = ctx.settings
    n = s.smtp_messages
    create = {"1.4.5": Series("1.4.5", "ms"), "ours": ctx.ours_series("ms")}
    ours = Rates(*(ctx.ours_series(unit) for unit in ("msg/s", "msg/s", "s", "s")))
    sink = Rates(
        Series("aiosmtpd", "msg/s"),
        Series("aiosmtpd", "msg/s"),
        Series("aiosmtpd", "s"),
        Series("aiosmtpd", "s"),
    )
    ours_smtp = ctx.have_ours
    for rnd in ctx.rounds():
        got145 = ctx.guard(
            NAME, f"round {rnd} 1.4.5 create", lambda: create_and_probe(ctx.ref145), create["1.4.5"]
        )
        if got145 is not None:
            create["1.4.5"].add(got145[0])
            create["1.4.5"].note(got145[1])
            ctx.say(NAME, f"round {rnd} 1.4.5: create {got145[0]:.0f} ms; {got145[1]}")
        if ours_smtp:
            try:
                timings = measure_create(ctx.ours, s.smtp_creates)
            except Exception as exc:
                if ctx.fail_fast:
                    raise
                ctx.say(NAME, f"round {rnd} ours create FAILED: {describe(exc)}")
                every = (create["ours"], ours.one, ours.new, ours.one_visible, ours.new_visible)
                for series in every:
                    if create["ours"].ok:
                        series.fail(describe(exc))
                    else:
                        series.unavailable = "not available"
                        series.note(f"POST /smtp failed: {describe(exc)}")
                ours_smtp = False
            else:
                create["ours"].add(statistics.median(timings))
                got = ctx.guard(
                    NAME,
                    f"round {rnd} ours messages",
                    lambda: measure_ours(ctx.ours, n, s.smtp_visible_timeout_s),
                    ours.one,
                    ours.new,
                    ours.one_visible,
                    ours.new_visible,
                )
                if got is not None:
                    for series, value in zip(
                        (ours.one, ours.one_visible, ours.new, ours.new_visible), got, strict=True
                    ):
                        series.add(value)
                    ctx.say(
                        NAME,
                        f"round {rnd} ours: create {statistics.median(timings):.2f} "
                        f"ms; one connection {got[0]:.0f} msg/s (visible after "
                        f"{got[1]:.3f} s); new connections {got[2]:.0f} msg/s "
                        f"(visible after {got[3]:.3f} s)",
                    )
        rates = ctx.guard(
            NAME, f"round {rnd} aiosmtpd", lambda: measure_sink(ctx.sink, n), sink.one, sink.new
        )
        if rates is not None:
            sink.one.add(rates[0])
            sink.new.add(rates[1])
            ctx.say(
                NAME,
                f"round {rnd} aiosmtpd: one connection {rates[0]:.0f} msg/s; "
                f"new connections {rates[1]:.0f} msg/s",
            )
    return [
        Row(TITLE, "create an SMTP mock (POST /smtp)", create["ours"], create["1.4.5"], below(10)),
        Row(TITLE, f"msg/s, {n} over one connection", ours.one, sink.one, at_least(1000)),
        Row(TITLE, f"msg/s, {n} each on a new connection", ours.new, sink.new, at_least(600)),
        Row(
            TITLE,
            "all visible in GET /history after last send, one connection",
            ours.one_visible,
            None,
            at_most(0.1),
        ),
        Row(
            TITLE,
            "all visible in GET /history after last send, new connections",
            ours.new_visible,
            None,
            at_most(0.1),
        ),
    ]
