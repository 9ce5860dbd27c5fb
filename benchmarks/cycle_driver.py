"""One test's worth of mock use, repeated, with the pretenders client of the running Python.

Run by each project's own interpreter (1.4.5 from .bench/venv145, ours from the current
environment) so that each side is measured with its own client. Prints one JSON line:
{"ms": [per-cycle milliseconds]}. Standard library plus the pretenders client only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from urllib.parse import urlsplit

from pretenders.client.http import HTTPMock


def fetch(host: str, port: int, path: str) -> tuple[int, bytes]:
    """One GET on a new connection, as code under test would do it."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def cycle(host: str, port: int, at_once: bool = False) -> None:
    """Create a mock, preset 3 replies, make one request, read history, delete the mock.

    ``at_once``: the mock is created with its presets in one call (``presets=``, a
    client of this project only)."""
    if at_once:
        from pretenders.client.http import when

        presets = [when(f"GET /{c}").reply(c.encode()) for c in "abc"]
        mock = HTTPMock(host, port, presets=presets)
    else:
        mock = HTTPMock(host, port)
        mock.when("GET /a").reply(b"a")
        mock.when("GET /b").reply(b"b")
        mock.when("GET /c").reply(b"c")
    path = urlsplit(mock.pretend_url).path
    status, body = fetch(host, port, f"{path}/a")
    history = mock.get_request()
    mock.delete_mock()
    if status != 200 or body != b"a" or len(history) != 1:
        raise SystemExit(f"unexpected: status {status}, body {body!r}, history {len(history)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cycles", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument(
        "--presets-at-once",
        action="store_true",
        help="create each mock with its presets in one call (this project's client only)",
    )
    args = parser.parse_args()
    deadline = time.monotonic() + args.max_seconds
    for _ in range(args.warmup):
        cycle(args.host, args.port, args.presets_at_once)
    timings = []
    for _ in range(args.cycles):
        if time.monotonic() > deadline:
            break
        start = time.perf_counter()
        cycle(args.host, args.port, args.presets_at_once)
        timings.append((time.perf_counter() - start) * 1000)
    json.dump({"ms": timings}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
