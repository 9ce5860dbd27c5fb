"""``--workers N``: N processes serving one port, sharing their state through the store.

The first process binds the port (with SO_REUSEPORT, so the others can bind it too) and
starts the others with its own command line, the port it got, and ``--worker`` (bind
the same way, leave ``--load`` files to the first). The kernel spreads connections
across them. They stop when the first one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
from collections.abc import Sequence

logger = logging.getLogger("pretenders.server")


def start_workers(argv: Sequence[str], count: int, port: int) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` more workers of the command line ``argv`` on ``port``."""
    command = [sys.executable, "-m", "pretenders.server.server", *argv]
    command += ["--workers", "1", "--worker", "--port", str(port)]
    started = [subprocess.Popen(command) for _ in range(count)]
    if started:
        pids = ", ".join(str(process.pid) for process in started)
        logger.info("started %d more workers on port %d (PIDs %s)", count, port, pids)
    return started


async def stop_workers(workers: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """Ask each worker to stop (SIGTERM); kill those still running after ``timeout`` s."""
    for process in workers:
        if process.poll() is None:
            process.terminate()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for process in workers:
        while process.poll() is None and loop.time() < deadline:
            await asyncio.sleep(0.05)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()
