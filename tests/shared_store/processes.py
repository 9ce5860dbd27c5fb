"""Pretenders servers in processes of their own, as on several hosts: started from the
command line on a free port, stopped by PID."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence

LISTENING = re.compile(r"listening on (http://\S+)")


class ServerProcess:
    """``python -m pretenders.server.server --port 0 ARGS``; ``url`` once it listens."""

    def __init__(self, args: Sequence[str], timeout: float = 20.0) -> None:
        self.args = list(args)
        self.timeout = timeout
        self.url = ""
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self._listening = threading.Event()

    def start(self) -> ServerProcess:
        command = [sys.executable, "-m", "pretenders.server.server", "--port", "0", *self.args]
        self.process = subprocess.Popen(
            command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if not self._listening.wait(self.timeout):
            self.stop()
            raise TimeoutError(f"the server did not listen within {self.timeout} s: {self.log}")
        return self

    def _read_log(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            found = LISTENING.search(line)
            if found and not self.url:
                self.url = found.group(1)
                self._listening.set()

    @property
    def log(self) -> str:
        return "".join(self.lines[-30:])

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not stopped within ``timeout`` seconds."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        self._reader.join(timeout)  # it reads to the end of the log, then the pipe is closed
        if process.stderr is not None:
            process.stderr.close()
        return process.returncode

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
