"""The peers measured beside our server: WireMock standalone and a bare uvicorn "hello".

Each is set up idempotently in ``.bench/`` on first use, as the 1.4.5 virtualenv is:
WireMock's standalone jar from npm's ``wiremock`` package (run with Debian's ``java``), and
uvicorn with httptools and uvloop (the ``bench`` extra of pyproject.toml) from this
interpreter, or else from ``.bench/venv-bench``. A reference that cannot be set up (no
java, no npm, no network) says why, and the rest of the run goes on without it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.provision import clean_env
from benchmarks.servers import ServerSpec
from benchmarks.settings import BENCH_PKG, CACHE_DIR, HOST

WIREMOCK_VERSION = "3.13.2"
WIREMOCK_DIR = CACHE_DIR / "wiremock"
VENV_BENCH = CACHE_DIR / "venv-bench"
BENCH_REQUIREMENTS = ("uvicorn[standard]>=0.30", "httptools>=0.6", "uvloop>=0.19")
"""As the ``bench`` extra of pyproject.toml."""
_BENCH_VERSIONS = (
    "import importlib.metadata as m; "
    "print(', '.join(f'{n} {m.version(n)}' for n in ('uvicorn', 'httptools', 'uvloop')))"
)
HELLO_PATH = "/mockhttp/bench/hello"
"""The path every hello reference and WireMock's stub answer, shaped as a mock's."""


@dataclass(frozen=True)
class Reference:
    """A peer server: how to start it, what it is, or why it is not available."""

    name: str
    spec: ServerSpec | None
    version: str = ""
    settings: str = ""
    unavailable: str | None = None

    def fact(self) -> tuple[str, str]:
        """A line for the report's machine facts: version and settings, or why not."""
        if self.spec is None:
            return (f"reference {self.name}", f"not available: {self.unavailable}")
        return (f"reference {self.name}", f"{self.version}; {self.settings}")


def _run(
    cmd: list[str], timeout: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd, env=clean_env()
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


# uvicorn


def _bench_versions(python: str) -> str | None:
    try:
        proc = _run([python, "-c", _BENCH_VERSIONS], timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def bench_python() -> tuple[str, str]:
    """An interpreter with uvicorn, httptools and uvloop, and their versions: this one if
    it has them, else ``.bench/venv-bench``, created on first use. Raises RuntimeError
    saying why when neither can be had."""
    versions = _bench_versions(sys.executable)
    if versions:
        return sys.executable, versions
    python = VENV_BENCH / "bin" / "python"
    versions = _bench_versions(str(python)) if python.exists() else None
    if versions:
        return str(python), versions
    print(f"setting up {VENV_BENCH} with {' '.join(BENCH_REQUIREMENTS)} ...", flush=True)
    try:
        if not python.exists():
            made = _run([sys.executable, "-m", "venv", str(VENV_BENCH)], timeout=300)
            if made.returncode != 0:
                raise RuntimeError(f"python -m venv failed: {_last_line(made.stderr)}")
        pip = _run(
            [str(python), "-m", "pip", "install", "--quiet", *BENCH_REQUIREMENTS], timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"cannot set up {VENV_BENCH}: {exc}") from None
    if pip.returncode != 0:
        raise RuntimeError(f"pip install into {VENV_BENCH} failed: {_last_line(pip.stderr)}")
    versions = _bench_versions(str(python))
    if not versions:
        raise RuntimeError(f"{VENV_BENCH} was set up but uvicorn does not import")
    return str(python), versions


def uvicorn_reference() -> Reference:
    """The bare uvicorn + httptools + uvloop "hello" (benchmarks/uvicorn_hello.py)."""
    name = "uvicorn hello"
    try:
        python, versions = bench_python()
    except RuntimeError as exc:
        return Reference(name, None, unavailable=str(exc))
    spec = ServerSpec(
        name="uvicorn",
        argv=(python, str(BENCH_PKG / "uvicorn_hello.py"), "--host", HOST, "--port", "{port}"),
        run_dir=CACHE_DIR / "run-uvicorn",
        env=clean_env(),
    )
    settings = (
        "raw ASGI app answering Hello, loop=uvloop, http=httptools, 1 process, "
        "no access log, lifespan off"
    )
    return Reference(name, spec, f"{versions}, Python {_python_version(python)}", settings)


def _python_version(python: str) -> str:
    proc = _run([python, "-c", "import platform; print(platform.python_version())"], timeout=60)
    return proc.stdout.strip() or "?"


# WireMock


def wiremock_jar() -> Path:
    """WireMock's standalone jar, from npm's ``wiremock`` package installed into
    ``.bench/wiremock`` on first use. Raises RuntimeError saying why it cannot be had."""
    jars = sorted(WIREMOCK_DIR.glob(f"node_modules/wiremock/build/*{WIREMOCK_VERSION}*.jar"))
    if jars:
        return jars[0]
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm not found (apt-get install npm), needed once to fetch the jar")
    WIREMOCK_DIR.mkdir(parents=True, exist_ok=True)
    print(f"installing wiremock@{WIREMOCK_VERSION} from npm into {WIREMOCK_DIR} ...", flush=True)
    try:
        proc = _run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(WIREMOCK_DIR),
                f"wiremock@{WIREMOCK_VERSION}",
            ],
            timeout=600,
            cwd=WIREMOCK_DIR,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"npm install wiremock@{WIREMOCK_VERSION} failed: {exc}") from None
    if proc.returncode != 0:
        raise RuntimeError(
            f"npm install wiremock@{WIREMOCK_VERSION} failed: {_last_line(proc.stderr)}"
        )
    jars = sorted(WIREMOCK_DIR.glob(f"node_modules/wiremock/build/*{WIREMOCK_VERSION}*.jar"))
    if not jars:
        raise RuntimeError(f"npm installed wiremock@{WIREMOCK_VERSION} but no jar in it")
    return jars[0]


def java_version(java: str) -> str:
    """The first line of ``java -version``."""
    proc = _run([java, "-version"], timeout=60)
    return _last_line(proc.stderr.splitlines()[0] if proc.stderr.strip() else proc.stdout)


def wiremock_references() -> list[Reference]:
    """WireMock with its request journal on (its default) and off."""
    names = ("WireMock, journal on", "WireMock, journal off")
    java = shutil.which("java")
    if java is None:
        reason = "java not found (apt-get install default-jre-headless)"
        return [Reference(name, None, unavailable=reason) for name in names]
    try:
        jar = wiremock_jar()
        version = f"WireMock {WIREMOCK_VERSION} standalone, {java_version(java)}"
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        return [Reference(name, None, unavailable=str(exc)) for name in names]
    refs = []
    for name, journal in zip(names, (True, False), strict=True):
        argv = [
            java,
            "-jar",
            str(jar),
            "--bind-address",
            HOST,
            "--port",
            "{port}",
            "--https-port",
            "{https_port}",
            "--disable-banner",
        ]
        if not journal:
            argv.append("--no-request-journal")
        spec = ServerSpec(
            name="wiremock-journal" if journal else "wiremock-nojournal",
            argv=tuple(argv),
            run_dir=CACHE_DIR / "run-wiremock",
            env=clean_env(),
            start_timeout_s=120.0,
            https=True,
        )
        settings = (
            f"{'journal on (default)' if journal else '--no-request-journal'}, "
            "HTTP and --https-port, default JVM options and Jetty threads, one stub "
            f"GET {HELLO_PATH} -> 200 Hello, pinned to the server core like every server"
        )
        refs.append(Reference(name, spec, version, settings))
    return refs


def all_references() -> dict[str, Reference]:
    """Every peer, by name, set up (or explained) once per run."""
    refs = [uvicorn_reference(), *wiremock_references()]
    return {ref.name: ref for ref in refs}
