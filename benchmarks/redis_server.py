"""A throwaway ``redis-server`` for the Redis rows: free loopback port, no persistence.

Started only when a measurement needs it, stopped by its PID; every wait is bounded.
Commands go through ``redis-cli`` (Debian's redis-tools, installed with redis-server),
so the harness needs no Redis client of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from benchmarks.machine import pinned
from benchmarks.servers import free_port, port_open
from benchmarks.settings import CACHE_DIR, HOST

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
CLI_TIMEOUT_S = 30.0


class RedisUnavailable(RuntimeError):
    """redis-server or redis-cli is not installed, or the server did not start."""


def missing() -> str | None:
    """Why no Redis can be started here, or None when it can."""
    absent = [name for name in ("redis-server", "redis-cli") if shutil.which(name) is None]
    if absent:
        return f"{' and '.join(absent)} not installed (apt-get install redis-server)"
    return None


@dataclass
class RunningRedis:
    """A started redis-server: its port and process."""

    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def cli(self, *args: str, raw: bool = False) -> str:
        """One command through redis-cli; its reply as text."""
        cmd = ["redis-cli", "-h", HOST, "-p", str(self.port)]
        if raw:
            cmd.append("--raw")
        proc = subprocess.run(
            [*cmd, *args], capture_output=True, text=True, timeout=CLI_TIMEOUT_S, check=False
        )
        if proc.returncode != 0 or proc.stdout.startswith("ERR"):
            raise RedisUnavailable(f"redis-cli {' '.join(args)}: {proc.stdout}{proc.stderr}")
        return proc.stdout

    def command_calls(self) -> dict[str, int]:
        """Calls per command so far, from ``INFO commandstats`` (the INFO itself excluded).

        Redis counts commands that scripts run with ``redis.call`` here too.
        """
        calls: dict[str, int] = {}
        for line in self.cli("INFO", "commandstats").splitlines():
            if not line.startswith("cmdstat_"):
                continue
            name, _, fields = line[len("cmdstat_") :].partition(":")
            values = dict(pair.split("=", 1) for pair in fields.split(","))
            calls[name] = int(values["calls"])
        calls.pop("info", None)
        return calls

    def cpu_seconds(self) -> float:
        """Processor time (user and system) redis-server has used so far."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def running_redis(core: int | str | None = None) -> Iterator[RunningRedis]:
    """Start redis-server on a free loopback port (``core``: pin it there), stop it on exit."""
    why = missing()
    if why:
        raise RedisUnavailable(why)
    run_dir = CACHE_DIR / "run-redis"
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "server.log"
    port = free_port()
    cmd = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        HOST,
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(run_dir),
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd if core is None else pinned(cmd, core),
            cwd=run_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not port_open(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RedisUnavailable(
                    f"redis-server did not listen on {HOST}:{port} within "
                    f"{START_TIMEOUT_S:g} s: {log_path.read_text(errors='replace')[-500:]}"
                )
            time.sleep(0.02)
        yield RunningRedis(port, proc, log_path)
    finally:
        _stop(proc)
