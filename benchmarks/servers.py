"""Start and stop the servers under test, each in its own process group."""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.machine import SERVER_CORE, pinned
from benchmarks.provision import clean_env, python145
from benchmarks.settings import BENCH_PKG, CACHE_DIR, HOST

POLL_S = 0.02


class ServerStartError(RuntimeError):
    """A server did not accept connections within its start timeout."""


@dataclass(frozen=True)
class ServerSpec:
    """How to launch one kind of server on a given port."""

    name: str
    argv: tuple[str, ...]  # "{port}" is replaced by the port number
    run_dir: Path
    env: dict[str, str] = field(default_factory=dict, compare=False)
    start_timeout_s: float = 30.0
    stale_files: tuple[str, ...] = ()
    cores: int | str = SERVER_CORE
    listeners: int = 1
    """Processes that each listen on the port (SO_REUSEPORT): readiness waits for all."""
    https: bool = False
    """The server also listens for HTTPS on a second port ("{https_port}" in argv)."""

    def command(self, port: int, https_port: int | None = None) -> list[str]:
        argv = [arg.replace("{port}", str(port)) for arg in self.argv]
        if https_port is not None:
            argv = [arg.replace("{https_port}", str(https_port)) for arg in argv]
        return argv


def ref145_spec() -> ServerSpec:
    """pretenders 1.4.5 from ``.bench/venv145``; it writes pid and log files into its cwd."""
    return ServerSpec(
        name="1.4.5",
        argv=(
            str(python145()),
            "-m",
            "pretenders.server.server",
            "--host",
            HOST,
            "--port",
            "{port}",
        ),
        run_dir=CACHE_DIR / "run145",
        env=clean_env(),
        stale_files=("pretenders.log", "pretenders-boss.pid", "maintain-boss.pid"),
    )


def ours_spec(python: str, src: Path, name: str = "ours") -> ServerSpec:
    """Our server, importable from ``src`` (the repository root by default)."""
    env = clean_env()
    env["PYTHONPATH"] = str(src)
    # Bytecode goes to .bench/, so the source tree under test is only read.
    env["PYTHONPYCACHEPREFIX"] = str(CACHE_DIR / "pycache")
    return ServerSpec(
        name=name,
        argv=(python, "-m", "pretenders.server.server", "--host", HOST, "--port", "{port}"),
        run_dir=CACHE_DIR / f"run-{name}",
        env=env,
    )


def aiohttp_spec() -> ServerSpec:
    """The bare aiohttp "Hello" server, the ceiling for HTTP throughput."""
    return ServerSpec(
        name="aiohttp",
        argv=(
            sys.executable,
            str(BENCH_PKG / "aiohttp_hello.py"),
            "--host",
            HOST,
            "--port",
            "{port}",
        ),
        run_dir=CACHE_DIR / "run-aiohttp",
        env=clean_env(),
    )


def sink_spec() -> ServerSpec:
    """A bare aiosmtpd sink, the ceiling for SMTP throughput."""
    return ServerSpec(
        name="aiosmtpd",
        argv=(sys.executable, str(BENCH_PKG / "smtp_sink.py"), "--host", HOST, "--port", "{port}"),
        run_dir=CACHE_DIR / "run-sink",
        env=clean_env(),
    )


def free_port() -> int:
    """A port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = HOST) -> bool:
    """True when a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def listening_sockets(port: int) -> int:
    """How many sockets listen on ``port`` (IPv4), from /proc/net/tcp: with SO_REUSEPORT
    each process of a server has its own."""
    count = 0
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return 0
    for line in lines:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            count += 1
    return count


def group_members(pgid: int) -> list[tuple[int, str]]:
    """(pid, state) of the live (non-zombie) processes in process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp ...
        rest = stat.rsplit(")", 1)[1].split()
        state, pgrp = rest[0], int(rest[2])
        if pgrp == pgid and state != "Z":
            members.append((int(entry.name), state))
    return members


def rss_kib(pid: int) -> int:
    """Resident set size of one process, from /proc/<pid>/status VmRSS."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class RunningServer:
    """A started server: its port, process and log."""

    spec: ServerSpec
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    https_port: int | None = None
    """The HTTPS port of a server started with ``ServerSpec.https``."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pgid(self) -> int:
        return self.proc.pid

    def group_rss_kib(self) -> int:
        """RSS summed over every live process of the server's process group."""
        return sum(rss_kib(pid) for pid, _ in group_members(self.pgid))

    def cpu_seconds(self) -> float:
        """Processor time (user and system) the server's main process has used so far."""
        try:
            fields = Path(f"/proc/{self.pgid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def group_cpu_seconds(self) -> float:
        """Processor time used so far by the live processes of the server's group (the
        main process and its workers)."""
        total = 0
        for pid, _ in group_members(self.pgid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def url(self, path: str = "") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def https_url(self, path: str = "") -> str:
        """The same path on the HTTPS port (a server started with ``ServerSpec.https``)."""
        if self.https_port is None:
            raise ServerStartError(f"{self.name} was not started with an HTTPS port")
        return f"https://{HOST}:{self.https_port}{path}"


def _die_with_parent() -> None:
    """In the child, before exec: have the kernel SIGKILL it should the harness die
    without stopping it (SIGKILL, a crash), so no server (a JVM) outlives a run."""
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


PR_SET_PDEATHSIG = 1


def _start(spec: ServerSpec) -> RunningServer:
    spec.run_dir.mkdir(parents=True, exist_ok=True)
    for name in spec.stale_files:
        (spec.run_dir / name).unlink(missing_ok=True)
    log_path = spec.run_dir / "server.log"
    port = free_port()
    https_port = free_port() if spec.https else None
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            pinned(spec.command(port, https_port), spec.cores),
            cwd=spec.run_dir,
            env=spec.env or None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    server = RunningServer(spec, port, proc, log_path, https_port)
    _LIVE[proc.pid] = server
    deadline = time.monotonic() + spec.start_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _stop(server)
            raise ServerStartError(
                f"{spec.name} exited with code {proc.returncode} before listening:\n"
                f"{server.log_tail()}"
            )
        if port_open(port) and (spec.listeners <= 1 or listening_sockets(port) >= spec.listeners):
            return server
        time.sleep(POLL_S)
    _stop(server)
    raise ServerStartError(
        f"{spec.name} did not listen on port {port} within "
        f"{spec.start_timeout_s:g} s:\n{server.log_tail()}"
    )


def _signal_group(pgid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _stop(server: RunningServer, grace_s: float = 5.0) -> None:
    """Stop the server (see :func:`_stop_group`) and forget it."""
    try:
        _stop_group(server, grace_s)
    finally:
        _LIVE.pop(server.pgid, None)


def _stop_group(server: RunningServer, grace_s: float = 5.0) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after ``grace_s``.

    Members other than the leader get SIGTERM first, so a leader that supervises a
    worker (1.4.5's reloader) reaps it and its CPU time is accounted to the harness.
    """
    pgid = server.pgid
    for pid, _ in group_members(pgid):
        if pid != pgid:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + min(grace_s, 2.0)
    while time.monotonic() < deadline and server.proc.poll() is None:
        if all(pid == pgid for pid, _ in group_members(pgid)):
            break
        time.sleep(POLL_S)
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None and not group_members(pgid):
            return
        time.sleep(POLL_S)
    _signal_group(pgid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        server.proc.wait(timeout=grace_s)


_LIVE: dict[int, RunningServer] = {}
"""Servers started and not stopped yet, by process group: :func:`stop_all` ends them."""


def stop_all() -> None:
    """Stop every server still running: the harness calls it on exit, whatever the path
    (a JVM left behind would hold a core and skew the next run)."""
    for server in list(_LIVE.values()):
        _stop(server, grace_s=2.0)


atexit.register(stop_all)


@contextmanager
def running(spec: ServerSpec) -> Iterator[RunningServer]:
    """Start ``spec``, wait until its port accepts connections, and stop it on exit."""
    server = _start(spec)
    try:
        yield server
    finally:
        _stop(server)
