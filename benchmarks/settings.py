"""Paths and the knobs that differ between a full run and a quick run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BENCH_PKG = Path(__file__).resolve().parent
REPO_ROOT = BENCH_PKG.parent
CACHE_DIR = REPO_ROOT / ".bench"
RESULTS_FILE = CACHE_DIR / "last-results.md"

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Settings:
    """Durations and counts for one harness run.

    Every load loop in the scenarios is bounded by one of these numbers.
    """

    quick: bool
    rounds: int
    # Scenario 1: throughput (seconds).
    warmup_s: float
    measure_s: float
    ref145_warmup_s: float
    ref145_measure_s: float
    connections: int
    jvm_warmup_s: float
    """WireMock's warm-up before it is measured: the JVM compiles its hot paths meanwhile."""
    # Scenario 2: many presets.
    preset_count: int
    presets_warmup_s: float
    presets_measure_s: float
    # Scenario 3: long history.
    history_requests: int
    history_warmup_s: float
    history_record_limit_s: float
    # Scenario 4: per-test cycle.
    cycles: int
    cycle_warmup: int
    # Scenario 5: delays.
    delay_concurrency: int
    delay_after_s: int
    ref145_delay_concurrency: int
    ref145_delay_timeout_s: float
    # Scenario 6: SMTP.
    smtp_creates: int
    smtp_messages: int
    smtp_visible_timeout_s: float


FULL = Settings(
    quick=False,
    rounds=2,
    warmup_s=15,
    measure_s=10,
    ref145_warmup_s=2,
    ref145_measure_s=5,
    connections=32,
    jvm_warmup_s=15,
    preset_count=1000,
    presets_warmup_s=3,
    presets_measure_s=8,
    history_requests=200_000,
    history_warmup_s=5,
    history_record_limit_s=120,
    cycles=200,
    cycle_warmup=10,
    delay_concurrency=50,
    delay_after_s=1,
    ref145_delay_concurrency=50,
    ref145_delay_timeout_s=10,
    smtp_creates=20,
    smtp_messages=2000,
    smtp_visible_timeout_s=10,
)

QUICK = Settings(
    quick=True,
    rounds=2,
    warmup_s=3,
    measure_s=3,
    ref145_warmup_s=1,
    ref145_measure_s=2,
    connections=32,
    jvm_warmup_s=3,
    preset_count=1000,
    presets_warmup_s=1,
    presets_measure_s=2,
    history_requests=20_000,
    history_warmup_s=2,
    history_record_limit_s=30,
    cycles=50,
    cycle_warmup=5,
    delay_concurrency=50,
    delay_after_s=1,
    ref145_delay_concurrency=0,
    ref145_delay_timeout_s=10,
    smtp_creates=20,
    smtp_messages=300,
    smtp_visible_timeout_s=5,
)
