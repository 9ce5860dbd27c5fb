"""How many pretenders processes one Redis can carry, measured on this machine.

``python -m benchmarks.redis_capacity`` starts a redis-server (free loopback port, no
persistence, pinned to core 0), and measures with ``redis-benchmark`` (pinned to core 1):

- PING and SET, the baseline of one round trip;
- the store's real SERVE script (imported from ``pretenders.server.store.redis_scripts``,
  loaded with SCRIPT LOAD) as one mock request runs it: one FOREVER preset claimed, the
  mock touched, a record of realistic size (a ``RequestRecord`` with a few headers and a
  small JSON body, msgpack-encoded as the store does) appended to a history kept to
  1000 records, and the notice published;

then one pretenders process on that Redis under wrk (as ``python -m benchmarks``' stores
scenario does, server on core 0 and wrk on core 1), all in ``--rounds`` interleaved
rounds (2 by default, about a minute and a half). It prints a table of medians and the
projection: processes one Redis carries ≈ SERVE scripts a second ÷ requests a second of
one process. Redis runs scripts on one thread, so that is per Redis (one core).

Every run is bounded: ``-n`` requests per redis-benchmark test, a fixed wrk duration.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from statistics import median

from benchmarks import wrk
from benchmarks.api import Api, expect_reply, http_mock_with_preset
from benchmarks.machine import LOAD_CORE, SERVER_CORE, pin_this_process, pinned
from benchmarks.redis_server import RunningRedis, running_redis
from benchmarks.servers import ours_spec, running
from benchmarks.settings import HOST, REPO_ROOT

MOCK_ID = "capacity"
GEN = "0123456789abcdef"
NOW = "1767225600.0"
BENCH_TIMEOUT_S = 120.0
SERVE = "EVALSHA SERVE (one mock request)"
ONE = "one pretenders process on Redis (wrk -t1 -c32)"


@dataclass(frozen=True)
class Measured:
    what: str
    per_s: float
    note: str = ""


def record_blob() -> bytes:
    """A realistic request record as the Redis store keeps it, of its size, free of NUL
    bytes (it is passed to redis-benchmark on its command line, where a NUL would end it)."""
    from pretenders.server.core.records import RequestRecord
    from pretenders.server.store.redis import encode_record

    headers = (
        ("Host", "pretenders.internal:8000"),
        ("User-Agent", "python-httpx/0.27.0"),
        ("Accept", "application/json"),
        ("Accept-Encoding", "gzip, deflate"),
        ("Content-Type", "application/json"),
        ("X-Request-Id", "5f2b8c1e-9a47-4d3e-b8f1-7c6d2e4a9b10"),
        ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"),
        ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    )
    body = b'{"order": {"id": "A-1042", "items": [{"sku": "X1", "qty": 2}], "total": "19.90"}}'
    record = RequestRecord(
        "POST",
        "/api/v1/orders?customer=42&page=1",
        headers,
        body,
        1767225600.123,
        status=201,
        preset_id=1,
    )
    # A record of more than 15 fields is a msgpack map16, whose length has a zero byte:
    # SERVE keeps the record without reading it, so a byte of the same length stands in.
    return encode_record(record).replace(b"\0", b"\1")


def set_up(redis: RunningRedis) -> tuple[str, list[str]]:
    """Create the mock and its FOREVER preset with the store's own scripts; return the
    SERVE script's SHA and its arguments after the command name."""
    import redis as redis_py

    from pretenders.server.core.reply_spec import ReplySpec
    from pretenders.server.core.rule_spec import RuleSpec
    from pretenders.server.store import redis_scripts as lua
    from pretenders.server.store.redis import StoredPreset, _encode, _keys

    client = redis_py.Redis(host=HOST, port=redis.port, db=0)
    try:
        keys = _keys(MOCK_ID)
        client.eval(lua.CREATE, len(keys), *keys, MOCK_ID, GEN, NOW, "http", "")
        reply = ReplySpec(status=200, body=b"Hello")
        preset = _encode(StoredPreset(RuleSpec("GET /hello"), reply))
        added = client.eval(lua.ADD, len(keys), *keys, MOCK_ID, GEN, NOW, preset, -1, "", "")
        if added[0] != 1:
            raise RuntimeError(f"ADD answered {added!r}")
        ver = client.hget(keys[0], "ver")
        version = ver.decode() if isinstance(ver, bytes) else str(ver)
        sha = str(client.script_load(lua.SERVE))
    finally:
        client.close()
    blob = record_blob().decode("latin-1")  # argv bytes, unchanged by the round trip
    args = [
        "EVALSHA",
        sha,
        str(len(keys)),
        *keys,
        MOCK_ID,
        GEN,
        NOW,
        version,
        str(added[1]),
        blob,
        "1000",  # the history limit: the list stays bounded
        "",
        "touch",
    ]
    return sha, args


def redis_benchmark(redis: RunningRedis, requests: int, *args: str) -> list[Measured]:
    """Run redis-benchmark (50 clients, no pipelining) and read its CSV lines."""
    cmd = pinned(
        [
            "redis-benchmark",
            "-h",
            HOST,
            "-p",
            str(redis.port),
            "-n",
            str(requests),
            "-c",
            "50",
            "-P",
            "1",
            "--csv",
            *args,
        ],
        LOAD_CORE,
    )
    proc = subprocess.run(
        [a.encode("latin-1") for a in cmd],
        capture_output=True,
        timeout=BENCH_TIMEOUT_S,
        check=False,
    )
    out = proc.stdout.decode("latin-1")
    if proc.returncode != 0:
        raise RuntimeError(f"redis-benchmark exited {proc.returncode}: {proc.stderr[-500:]!r}")
    rows = list(csv.reader(io.StringIO(out)))
    # Columns: test, rps and six latencies; a custom command's name is not quoted
    # safely (it may hold commas), so rps is read from the end.
    width = len(rows[0]) if rows else 0
    found = [
        Measured(row[0] if len(row) == width else "command", float(row[-(width - 1)]))
        for row in rows[1:]
        if width > 1 and len(row) >= width
    ]
    if not found:
        raise RuntimeError(f"no result in redis-benchmark output: {out[-500:]}")
    return found


def check_serve(redis: RunningRedis, before_seq: int) -> int:
    """Records the SERVE runs appended (the mock's seq): each run must have recorded one."""
    return int(redis.cli("HGET", f"pt:{{{MOCK_ID}}}:m", "seq", raw=True).strip()) - before_seq


def one_process(redis: RunningRedis, warmup_s: float, measure_s: float) -> wrk.WrkResult:
    """Req/s of one pretenders process on this Redis (server on core 0, wrk on core 1)."""
    base = ours_spec(sys.executable, REPO_ROOT)
    spec = replace(
        base,
        name="ours-redis",
        argv=(*base.argv, "--store", redis.url),
        run_dir=base.run_dir.with_name("run-ours-redis"),
        cores=SERVER_CORE,
    )
    with running(spec) as server, Api(server.port) as api:
        mock = http_mock_with_preset(api, "GET /hello", b"Hello")
        url = server.url(f"{mock.path}/hello")
        expect_reply(api, f"{mock.path}/hello", b"Hello")
        wrk.run(url, warmup_s)
        return wrk.run(url, measure_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.redis_capacity",
        description="Measure SERVE scripts a second on one Redis and project how many "
        "pretenders processes it carries.",
    )
    parser.add_argument("-n", "--requests", type=int, default=100_000, help="per test")
    parser.add_argument("--warmup", type=float, default=3, help="wrk warm-up, seconds")
    parser.add_argument("--measure", type=float, default=8, help="wrk run, seconds")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, interleaved")
    args = parser.parse_args(argv)
    for tool in ("redis-server", "redis-cli", "redis-benchmark", "wrk"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install redis-server wrk)")
    pin_this_process()
    started = time.monotonic()
    series: dict[str, list[float]] = {}
    notes: dict[str, str] = {}
    with running_redis(SERVER_CORE) as redis:
        for _ in range(max(1, args.rounds)):
            redis.cli("FLUSHALL")
            for row in redis_benchmark(redis, args.requests, "-t", "ping,set"):
                series.setdefault(row.what, []).append(row.per_s)
            _, serve_args = set_up(redis)
            calls = redis.command_calls().get("evalsha", 0)
            serve = redis_benchmark(redis, args.requests, *serve_args)[0]
            served = check_serve(redis, 0)
            calls = redis.command_calls().get("evalsha", 0) - calls
            if served != calls:
                raise SystemExit(f"{calls} SERVE runs appended {served} records, not as many")
            series.setdefault(SERVE, []).append(serve.per_s)
            notes[SERVE] = f"record {len(serve_args[-4].encode('latin-1'))} bytes"
            redis.cli("FLUSHALL")
            load = one_process(redis, args.warmup, args.measure)
            series.setdefault(ONE, []).append(load.rps)
            if load.problems():
                notes[ONE] = load.problems()
    print(
        f"\nredis-server {redis_version()}, redis-benchmark -c 50 -P 1 -n {args.requests}, "
        f"{args.rounds} rounds"
    )
    print("\n| what | per second (median) | min-max | note |\n|---|---|---|---|")
    for what, values in series.items():
        low, high = min(values), max(values)
        print(
            f"| {what} | {median(values):,.0f} | {low:,.0f}-{high:,.0f} | {notes.get(what, '')} |"
        )
    scripts, process = median(series[SERVE]), median(series[ONE])
    print(
        f"\nprocesses one Redis carries ≈ {scripts:,.0f} / {process:,.0f} = "
        f"{scripts / process:.1f} (took {time.monotonic() - started:.0f} s)"
    )
    return 0


def redis_version() -> str:
    proc = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    for word in proc.stdout.split():
        if word.startswith("v="):
            return word[2:]
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
