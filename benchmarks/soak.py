"""Soak: a few minutes of steady load with history capped; memory must stay flat.

    python -m benchmarks.soak                 # 3 minutes, history capped at 10,000
    python -m benchmarks.soak --minutes 10 --history-limit 50000

Our server runs in its own process (core 0), wrk loads one mock from core 1 in slices of
10 s, and the server's resident memory is read after each slice. It prints the requests
sent, memory at the start, after the warm-up and at the end, and the mock's history as
the server reports it (received, kept, dropped). Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks import wrk
from benchmarks.api import Api, expect_reply, http_mock_with_preset
from benchmarks.servers import ours_spec, rss_kib, running

SLICE_S = 10.0
MAX_MINUTES = 30.0


def history_counts(base_url: str, mock_id: str) -> tuple[str, str, int]:
    """(received, dropped, kept) from one ``GET /history/<id>``."""
    with urllib.request.urlopen(f"{base_url}/history/{mock_id}", timeout=60) as answer:
        kept = answer.read().count(b'"method"')
        return (
            answer.headers.get("X-Pretenders-Total", "?"),
            answer.headers.get("X-Pretenders-Dropped", "?"),
            kept,
        )


def soak(minutes: float, history_limit: int, src: Path) -> None:
    spec = ours_spec(sys.executable, src)
    spec = dataclasses.replace(spec, argv=(*spec.argv, "--history-limit", str(history_limit)))
    with running(spec) as server, Api(server.port) as api:
        mock = http_mock_with_preset(api, "GET /soak", b"ok")
        expect_reply(api, f"{mock.path}/soak", b"ok")
        url = server.url(f"{mock.path}/soak")
        start_kib = rss_kib(server.proc.pid)
        print(
            f"history limit {history_limit:,}; {minutes:g} min of load; "
            f"server RSS at start {start_kib / 1024:.1f} MiB",
            flush=True,
        )
        slices = max(2, round(minutes * 60 / SLICE_S))
        warmup = max(1, slices // 5)
        sent = 0
        samples: list[int] = []
        ended = time.monotonic() + minutes * 60 + 60
        for number in range(1, slices + 1):
            if time.monotonic() > ended:
                break
            result = wrk.run(url, SLICE_S)
            sent += result.requests
            samples.append(rss_kib(server.proc.pid))
            print(
                f"  {number * SLICE_S:5.0f} s  {sent:>10,} requests  "
                f"RSS {samples[-1] / 1024:7.1f} MiB  {result.summary()}",
                flush=True,
            )
        warm_kib, end_kib = samples[warmup - 1], samples[-1]
        received, dropped, kept = history_counts(server.url(""), mock.id)
        print()
        print("| measure | value |")
        print("|---|---|")
        print(f"| requests sent | {sent:,} |")
        print(f"| RSS at start | {start_kib / 1024:.1f} MiB |")
        print(f"| RSS after warm-up ({warmup * SLICE_S:.0f} s) | {warm_kib / 1024:.1f} MiB |")
        print(f"| RSS at the end | {end_kib / 1024:.1f} MiB |")
        print(f"| growth after warm-up | {(end_kib - warm_kib) / 1024:+.1f} MiB |")
        print(f"| history: received / kept / dropped | {received} / {kept:,} / {dropped} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--history-limit", type=int, default=10_000)
    parser.add_argument("--ours-src", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    if not 0 < args.minutes <= MAX_MINUTES:
        parser.error(f"--minutes must be more than 0 and at most {MAX_MINUTES:g}")
    soak(args.minutes, args.history_limit, args.ours_src)


if __name__ == "__main__":
    main()
