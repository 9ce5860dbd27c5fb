"""Run wrk against one URL and read its results from a JSON line printed by lua/report.lua."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace

from benchmarks.machine import LOAD_CORE, pinned
from benchmarks.settings import BENCH_PKG, HOST

REPORT_LUA = BENCH_PKG / "lua" / "report.lua"
REQUEST_LUA = BENCH_PKG / "lua" / "request.lua"
MARKER = "WRK_JSON "
LIMIT_MARKER = "WRK_LIMIT_REACHED"


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed no result line."""


@dataclass(frozen=True)
class Request:
    """A request other than a plain GET, sent by lua/request.lua (which reports as
    lua/report.lua does): its method, headers and body."""

    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""

    def env(self) -> dict[str, str]:
        """The environment lua/request.lua reads the request from."""
        for name, value in self.headers:
            if "\n" in name + value or ":" in name:
                raise WrkError(f"header not expressible for wrk: {name!r}: {value!r}")
        return {
            "WRK_METHOD": self.method,
            "WRK_HEADERS": "\n".join(f"{name}: {value}" for name, value in self.headers),
            "WRK_BODY": self.body,
        }


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    socket_errors: int
    status_errors: int
    timeouts: int
    server_cpu_s: float = 0.0
    """Processor time the server used during the run, when measured (see ``measured``)."""

    @property
    def cpu_us_per_request(self) -> float:
        """The server's processor time per request: steadier than req/s on a machine whose
        speed varies, since it does not depend on how much of a core the server got."""
        return self.server_cpu_s / self.requests * 1e6 if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def problems(self) -> str:
        """A short note on errors, empty when there were none."""
        counts = (
            (self.status_errors, "non-2xx/3xx response"),
            (self.socket_errors, "socket error"),
            (self.timeouts, "timeout"),
        )
        return ", ".join(f"{n} {what}{'s' if n != 1 else ''}" for n, what in counts if n)

    def summary(self) -> str:
        text = f"{self.rps:,.0f} req/s, p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms"
        problems = self.problems()
        return f"{text} ({problems})" if problems else text


def parse(output: str) -> WrkResult:
    """Read the JSON line that lua/report.lua prints at the end of a run."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            break
    else:
        raise WrkError(f"no result line in wrk output:\n{output[-2000:]}")
    return WrkResult(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1e3,
        p90_ms=data["p90_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        p999_ms=data["p999_us"] / 1e3,
        max_ms=data["max_us"] / 1e3,
        socket_errors=data["connect_errors"] + data["read_errors"] + data["write_errors"],
        status_errors=data["status_errors"],
        timeouts=data["timeouts"],
    )


def _wrk(
    url: str,
    duration_s: float,
    connections: int,
    limit: int,
    timeout_s: float,
    request: Request | None = None,
) -> str:
    if shutil.which("wrk") is None:
        raise WrkError("wrk is not installed (apt-get install wrk)")
    if not url.startswith((f"http://{HOST}:", f"https://{HOST}:")):
        raise WrkError(f"refusing to load anything but {HOST}: {url}")
    seconds = max(1, round(duration_s))
    cmd = pinned(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            f"--timeout={timeout_s:g}s",
            "-s",
            str(REPORT_LUA if request is None else REQUEST_LUA),
            url,
        ],
        LOAD_CORE,
    )
    env = dict(os.environ, WRK_LIMIT=str(limit))
    if request is not None:
        env.update(request.env())
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=seconds + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish within {seconds + 30} s") from exc
    if proc.returncode != 0:
        raise WrkError(f"wrk exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def run(
    url: str,
    duration_s: float,
    *,
    connections: int = 32,
    timeout_s: float = 2.0,
    request: Request | None = None,
) -> WrkResult:
    """One measured wrk run: 1 thread, ``connections`` keep-alive connections, ``duration_s``;
    a plain GET unless ``request`` says otherwise."""
    return parse(_wrk(url, duration_s, connections, 0, timeout_s, request))


def send(url: str, count: int, max_s: float, *, connections: int = 32) -> bool:
    """Load ``url`` until about ``count`` responses or ``max_s`` seconds, whichever is first.

    True when ``count`` was reached. The server's own history says exactly how many arrived.
    """
    output = _wrk(url, max_s, connections, count, 2.0)
    return LIMIT_MARKER in output


def measured(
    url: str,
    duration_s: float,
    cpu_seconds: Callable[[], float],
    *,
    connections: int = 32,
    request: Request | None = None,
) -> WrkResult:
    """:func:`run`, with the processor time the server used meanwhile (``cpu_seconds``
    reads the server's total so far)."""
    start = cpu_seconds()
    result = run(url, duration_s, connections=connections, request=request)
    return replace(result, server_cpu_s=cpu_seconds() - start)
