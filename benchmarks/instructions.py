"""Instructions per mock request, counted by callgrind: a cost that does not drift.

``python -m benchmarks.instructions --before-src ../before`` runs our server (and the one
from ``--before-src``) under ``valgrind --tool=callgrind`` twice, once with ``--small``
requests and once with ``--large``, and prints the difference of the two totals divided
by the difference of the counts: the instructions one request through a mock costs,
start-up and set-up excluded. Requests are sent one at a time on one keep-alive
connection, to a mock with one preset (or ``--presets N``, the request matching the last).

Wall-clock throughput on a shared machine varies by a quarter between rounds of the same
code; instruction counts vary by about one percent, so they can show that a change costs
(nearly) nothing. They do not see cache misses or system calls: read them beside the
req/s of ``python -m benchmarks``, not instead of it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.api import Api, HttpMock
from benchmarks.servers import free_port, port_open
from benchmarks.settings import REPO_ROOT

START_TIMEOUT_S = 120.0
"""Python under valgrind starts about fifty times slower (``--start-timeout`` on a busy machine)."""


def _mock(api: Api, presets: int) -> tuple[HttpMock, str]:
    mock = api.create_http_mock()
    for i in range(presets):
        api.add_preset(mock.id, f"GET /item/{i}$" if presets > 1 else "GET /hello", b"Hello")
    path = f"/item/{presets - 1}" if presets > 1 else "/hello"
    return mock, f"{mock.path}{path}"


def count(src: Path, requests: int, presets: int, start_timeout_s: float = START_TIMEOUT_S) -> int:
    """Total instructions of a server from ``src`` that served ``requests`` requests."""
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        env = dict(os.environ, PYTHONPATH=str(src), PYTHONHASHSEED="0")
        server = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-m",
                "pretenders.server.server",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + start_timeout_s
            while not port_open(port):
                if server.poll() is not None:
                    raise RuntimeError(f"the server from {src} exited under valgrind")
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the server from {src} did not start under valgrind within "
                        f"{start_timeout_s:g} s (--start-timeout)"
                    )
                time.sleep(0.2)
            with Api(port, timeout_s=60) as api:
                _, path = _mock(api, presets)
                for _ in range(requests):
                    status, _ = api.get(path)
                    if status != 200:
                        raise RuntimeError(f"{path} answered {status}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=120)
        found = re.search(r"^summary:\s+(\d+)", out.read_text(), re.M)
        if found is None:
            raise RuntimeError("callgrind wrote no summary")
        return int(found.group(1))


def per_request(
    src: Path, small: int, large: int, presets: int, start_timeout_s: float = START_TIMEOUT_S
) -> float:
    large_count = count(src, large, presets, start_timeout_s)
    return (large_count - count(src, small, presets, start_timeout_s)) / (large - small)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions")
    parser.add_argument("--ours-src", type=Path, default=REPO_ROOT)
    parser.add_argument("--before-src", type=Path, help="also count a server from DIR")
    parser.add_argument("--presets", type=int, default=1)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=2100)
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=START_TIMEOUT_S,
        help="seconds a server may take to start under valgrind",
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    if args.large <= args.small:
        raise SystemExit("--large must be more than --small")
    trees = [("ours", args.ours_src)]
    if args.before_src is not None:
        trees.insert(0, ("before", args.before_src))
    counts = {}
    for name, src in trees:
        counts[name] = per_request(
            src.resolve(), args.small, args.large, args.presets, args.start_timeout
        )
        print(f"{name} ({src}): {counts[name]:,.0f} instructions per request", flush=True)
    if "before" in counts:
        print(f"ours / before: {counts['ours'] / counts['before']:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
