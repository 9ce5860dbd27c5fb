"""Facts about the machine, and pinning of processes to CPU cores."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

SERVER_CORE = 0
LOAD_CORE = 1
ALL_CORES = "0,1"
"""For a server of several processes, which needs more than the server's core; the
harness pins itself to the load core, so a child must be given both explicitly."""


def can_pin() -> bool:
    """True when there are two cores and ``taskset`` to put server and load apart."""
    return (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None


def pinned(cmd: list[str], core: int | str) -> list[str]:
    """Prefix ``cmd`` with ``taskset -c core`` when pinning is possible (``core`` may be a
    list such as ``"0,1"``)."""
    if not can_pin():
        return cmd
    return ["taskset", "-c", str(core), *cmd]


def pin_this_process(core: int = LOAD_CORE) -> None:
    """Keep the harness itself (and its Python load loops) off the server's core."""
    if can_pin() and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total() -> str:
    """Total memory from /proc/meminfo, in GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def wrk_version() -> str:
    """First line of ``wrk -v``, or a note that wrk is missing."""
    if shutil.which("wrk") is None:
        return "not installed"
    proc = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
    first = (proc.stdout or proc.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def _busy_seconds() -> float:
    """CPU seconds spent not idle, summed over all cores, from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return 0.0
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    # guest time is already counted in user time.
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    """CPU seconds of this process and of every child it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CpuMeter:
    """How much CPU processes other than the harness and its children used meanwhile.

    Servers and wrk are children of the harness, so what is left is other work on the
    machine, which skews a measurement.
    """

    def __init__(self) -> None:
        self._wall = time.monotonic()
        self._busy = _busy_seconds()
        self._own = _own_seconds()

    def other_cores(self) -> float:
        """Average number of cores used by other processes since the meter started."""
        wall = time.monotonic() - self._wall
        if wall <= 0:
            return 0.0
        other = (_busy_seconds() - self._busy) - (_own_seconds() - self._own)
        return max(0.0, other / wall)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages; other work on the machine skews results."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def git_revision(path: Path) -> str:
    """Short commit and dirty flag of the checkout at ``path``."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(path), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return "unknown"
    return proc.stdout.strip() or "not a git checkout"


def facts(ours_src: Path) -> list[tuple[str, str]]:
    """Machine facts to print above the results."""
    return [
        ("nproc", str(os.cpu_count())),
        ("CPU", cpu_model()),
        ("memory", mem_total()),
        ("kernel", platform.release()),
        ("python", sys.version.split()[0]),
        ("wrk", wrk_version()),
        ("pinning", "server on core 0, load on core 1" if can_pin() else "none"),
        ("load average at start", load_average()),
        ("ours", f"{ours_src} ({git_revision(ours_src)})"),
    ]
