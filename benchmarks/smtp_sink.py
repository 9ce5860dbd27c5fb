"""Bare aiosmtpd sink: accepts every message, keeps it in a list, answers 250 OK.

The ceiling for SMTP throughput. Runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from aiosmtpd.controller import Controller


class Sink:
    """aiosmtpd handler that only appends each message to a list."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    controller = Controller(Sink(), hostname=args.host, port=args.port)
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
