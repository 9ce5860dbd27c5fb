"""What every scenario gets: settings, the server specs, and guarded progress reporting."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from benchmarks.references import Reference
from benchmarks.servers import ServerSpec, aiohttp_spec, ours_spec, ref145_spec, sink_spec
from benchmarks.settings import Settings
from benchmarks.stats import Series

T = TypeVar("T")


def describe(exc: BaseException) -> str:
    """The exception's type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def ours_missing(spec: ServerSpec) -> str | None:
    """Why our server cannot be imported, or None when it can."""
    try:
        proc = subprocess.run(
            [spec.argv[0], "-c", "import pretenders.server.server"],
            capture_output=True,
            text=True,
            env=spec.env,
            cwd=spec.run_dir,
            timeout=60,
            check=False,
        )
    except OSError as exc:
        return describe(exc)
    if proc.returncode == 0:
        return None
    last = proc.stderr.strip().splitlines()[-1:] or ["import failed"]
    return last[0]


@dataclass
class Context:
    """Shared state of one harness run."""

    settings: Settings
    ours: ServerSpec
    ours_src: Path
    ours_unavailable: str | None  # why our server cannot be imported
    ref145: ServerSpec = field(default_factory=ref145_spec)
    aiohttp: ServerSpec = field(default_factory=aiohttp_spec)
    sink: ServerSpec = field(default_factory=sink_spec)
    fail_fast: bool = False
    before: ServerSpec | None = None
    """Our server from another checkout (``--before-src``), measured beside ours in the
    same rounds, so that a change is compared with the commit before it in one run."""
    started: float = field(default_factory=time.monotonic)
    references: dict[str, Reference] = field(default_factory=dict)
    """The peers (WireMock, uvicorn hello) by name, set up once per run by the command."""

    @classmethod
    def create(
        cls,
        settings: Settings,
        ours_python: str,
        ours_src: Path,
        fail_fast: bool = False,
        before_src: Path | None = None,
    ) -> Context:
        spec = ours_spec(ours_python, ours_src)
        spec.run_dir.mkdir(parents=True, exist_ok=True)
        before = None
        if before_src is not None:
            before = ours_spec(ours_python, before_src, name="before")
            before.run_dir.mkdir(parents=True, exist_ok=True)
            missing = ours_missing(before)
            if missing:
                raise SystemExit(f"--before-src {before_src}: cannot import the server: {missing}")
        return cls(
            settings=settings,
            ours=spec,
            ours_src=ours_src,
            ours_unavailable=ours_missing(spec),
            fail_fast=fail_fast,
            before=before,
        )

    @property
    def have_ours(self) -> bool:
        return self.ours_unavailable is None

    def rounds(self) -> range:
        return range(1, self.settings.rounds + 1)

    def say(self, scenario: str, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.1f}s] [{scenario}] {message}", flush=True)

    def ours_series(self, unit: str, label: str = "ours") -> Series:
        """A series for our server, marked unavailable when it cannot be imported."""
        return Series(label, unit, unavailable="not available" if self.ours_unavailable else None)

    def guard(self, scenario: str, what: str, fn: Callable[[], T], *series: Series) -> T | None:
        """Run one measurement; on failure, record the error on ``series`` and go on."""
        try:
            return fn()
        except Exception as exc:
            for s in series:
                s.fail(describe(exc))
            self.say(scenario, f"{what} FAILED: {type(exc).__name__}: {exc}")
            if self.fail_fast:
                raise
            return None
