"""Idempotent set-up of what the references need: a virtualenv with pretenders 1.4.5."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.settings import CACHE_DIR

VENV145 = CACHE_DIR / "venv145"
PINS = ("pretenders==1.4.5", "bottle==0.12.25")
_MARKER = VENV145 / ".bench-ready"
_CHECK = (
    "import bottle, importlib.metadata as m; "
    "assert bottle.__version__ == '0.12.25', bottle.__version__; "
    "assert m.version('pretenders') == '1.4.5'"
)


def python145() -> Path:
    """The interpreter of the 1.4.5 virtualenv."""
    return VENV145 / "bin" / "python"


def clean_env() -> dict[str, str]:
    """The environment without PYTHONPATH, so 1.4.5 never imports the repository's package."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def _ready() -> bool:
    if not (_MARKER.exists() and python145().exists()):
        return False
    if _MARKER.read_text().strip() != " ".join(PINS):
        return False
    proc = subprocess.run(
        [str(python145()), "-c", _CHECK],
        capture_output=True,
        cwd=CACHE_DIR,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    return proc.returncode == 0


def ensure_venv145(say: Callable[[str], None] = print) -> Path:
    """Create ``.bench/venv145`` with the pinned 1.4.5 stack unless it is already there."""
    CACHE_DIR.mkdir(exist_ok=True)
    if _ready():
        return python145()
    say(f"setting up {VENV145} with {' '.join(PINS)} ...")
    if not python145().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV145)], check=True, timeout=300)
    subprocess.run(
        [str(python145()), "-m", "pip", "install", "--quiet", *PINS],
        check=True,
        timeout=600,
        env=clean_env(),
    )
    _MARKER.write_text(" ".join(PINS) + "\n")
    if not _ready():
        raise RuntimeError(f"{VENV145} was set up but pretenders 1.4.5 does not import")
    return python145()
