"""Command line entry point: ``pretenders`` or ``python -m pretenders.server.server``."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import logging
import math
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from pretenders import __version__
from pretenders.common.constants import FOREVER
from pretenders.common.wire_names import STORE_VARIABLE, TOKEN_VARIABLE
from pretenders.server.app import start_server
from pretenders.server.browser_guard import ALLOWED_HOSTS_VARIABLE
from pretenders.server.certificates import CertificateError
from pretenders.server.connections import raise_open_file_limit
from pretenders.server.core.errors import CoreError
from pretenders.server.core.registry import MIN_TIMEOUT
from pretenders.server.loader import LoadError
from pretenders.server.settings import (
    DEFAULT_FILES_ROOT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_HISTORY_BYTES,
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_HOST,
    DEFAULT_KEEPALIVE_TIMEOUT,
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_MOCKS,
    DEFAULT_MAX_OWN_PORTS,
    DEFAULT_MAX_PRESETS,
    DEFAULT_MOCK_TIMEOUT,
    DEFAULT_PORT,
    DEFAULT_PRESET_BYTES,
    DEFAULT_REGEX_TIMEOUT,
    DEFAULT_SHUTDOWN_TIMEOUT,
    DEFAULT_SMTP_SIZE_LIMIT,
    DEFAULT_STORE,
    DEFAULT_STORE_TIMEOUT,
    DEFAULT_WEBHOOK_MAX,
    Settings,
    check_store_url,
)
from pretenders.server.workers import start_workers, stop_workers

logger = logging.getLogger("pretenders.server")

ALL_INTERFACES = "0.0.0.0"


def _timeout(text: str) -> float | None:
    if text.upper() == FOREVER:
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected seconds or "FOREVER", got {text!r}') from None
    if not seconds >= MIN_TIMEOUT:
        raise argparse.ArgumentTypeError(f"must be {MIN_TIMEOUT:g} seconds or more, got {text}")
    return seconds


def _seconds(zero: bool = False) -> Any:
    """An argparse type: a finite number of seconds, more than 0 (or 0 too, if ``zero``)."""

    def parse(text: str) -> float:
        try:
            seconds = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
        allowed = seconds >= 0 if zero else seconds > 0
        if not allowed or not math.isfinite(seconds):
            least = "0 seconds or more" if zero else "more than 0 seconds"
            raise argparse.ArgumentTypeError(f"must be {least}, got {text}")
        return seconds

    return parse


def _port(text: str) -> int:
    """An argparse type: a TCP port, 0 to 65535 (0: a free one)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be 0-65535, got {text}")
    return port


def _count(least: int) -> Any:
    """An argparse type: a whole number, ``least`` or more."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if number < least:
            raise argparse.ArgumentTypeError(f"must be {least} or more, got {number}")
        return number

    return parse


def _budget(text: str) -> int | None:
    """An argparse type: a number of bytes (or of presets), 0 for no limit (None)."""
    number = _count(0)(text)
    return number or None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pretenders",
        description="Run the pretenders server: fake HTTP and SMTP services for tests.",
    )
    parser.add_argument(
        "-H",
        "--host",
        nargs="?",
        const=ALL_INTERFACES,
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; --host alone: all interfaces)",
    )
    parser.add_argument(
        "-p",
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on, 0-65535 (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "-t",
        "--timeout",
        type=_timeout,
        default=DEFAULT_MOCK_TIMEOUT,
        help='seconds a mock may stay idle before it is removed, or "FOREVER" (default 120)',
    )
    parser.add_argument(
        "--smtp-size-limit",
        type=int,
        default=DEFAULT_SMTP_SIZE_LIMIT,
        metavar="BYTES",
        help="largest message SMTP mocks accept; larger ones get 552 (default 32 MiB)",
    )
    parser.add_argument(
        "--smtp-tls-cert",
        metavar="FILE",
        help="certificate (PEM) for STARTTLS; a self-signed one is made when not given",
    )
    parser.add_argument("--smtp-tls-key", metavar="FILE", help="private key of --smtp-tls-cert")
    parser.add_argument(
        "--tls-ca-cert",
        metavar="FILE",
        help="certificate authority (PEM) that signs HTTPS mocks' certificates; one is made "
        "at start-up when not given (either way: GET /tls/ca.pem)",
    )
    parser.add_argument("--tls-ca-key", metavar="FILE", help="private key of --tls-ca-cert")
    parser.add_argument(
        "--max-own-ports",
        type=_count(1),
        default=DEFAULT_MAX_OWN_PORTS,
        metavar="N",
        help="HTTP mocks on a port of their own this process serves at once; one more is a "
        f"409 (default {DEFAULT_MAX_OWN_PORTS})",
    )
    parser.add_argument(
        "--shutdown-timeout",
        type=_seconds(zero=True),
        default=DEFAULT_SHUTDOWN_TIMEOUT,
        metavar="SECONDS",
        help="on SIGTERM or Ctrl-C, how long replies under way may take to finish; then "
        f"they are cut (default {DEFAULT_SHUTDOWN_TIMEOUT:g})",
    )
    parser.add_argument(
        "--webhook-max",
        type=_count(0),
        default=DEFAULT_WEBHOOK_MAX,
        metavar="N",
        help="webhook calls each process makes at once, delayed ones included; past it a "
        f"call is recorded as skipped, not queued (default {DEFAULT_WEBHOOK_MAX})",
    )
    parser.add_argument(
        "--header-timeout",
        type=_seconds(),
        default=DEFAULT_HEADER_TIMEOUT,
        metavar="SECONDS",
        help="a connection whose request line and headers take longer than this to arrive "
        f"is closed (default {DEFAULT_HEADER_TIMEOUT:g})",
    )
    parser.add_argument(
        "--keepalive-timeout",
        type=_seconds(),
        default=DEFAULT_KEEPALIVE_TIMEOUT,
        metavar="SECONDS",
        help="a connection idle this long between requests is closed "
        f"(default {DEFAULT_KEEPALIVE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=_count(1),
        default=None,
        metavar="N",
        help="open connections (HTTP and SMTP, and SMTP mocks' listeners) the server holds; "
        "past it new ones get 503 (SMTP: 421) (default: the open-file limit less a reserve)",
    )
    parser.add_argument(
        "--history-limit",
        type=_count(0),
        default=DEFAULT_HISTORY_LIMIT,
        metavar="N",
        help="requests or mails each mock keeps; past it the oldest are dropped, and the "
        f"API and clients say how many (default {DEFAULT_HISTORY_LIMIT})",
    )
    parser.add_argument(
        "--max-body-size",
        type=_count(0),
        default=DEFAULT_MAX_BODY_SIZE,
        metavar="BYTES",
        help="largest request body an HTTP mock accepts (larger ones get 413, recorded "
        "without their body), and largest preset reply body (default 16 MiB)",
    )
    parser.add_argument(
        "--max-mocks",
        type=_count(1),
        default=DEFAULT_MAX_MOCKS,
        metavar="N",
        help="live mocks (HTTP and SMTP) the server holds; creating more is refused with "
        f"409 (default {DEFAULT_MAX_MOCKS})",
    )
    parser.add_argument(
        "--history-bytes",
        type=_budget,
        default=DEFAULT_HISTORY_BYTES,
        metavar="BYTES",
        help="bytes all mocks' histories together keep (bodies, headers, URLs, mail data); "
        "past it the oldest records of the whole server are dropped and counted, like "
        "--history-limit's (default 512 MiB; 0: no limit)",
    )
    parser.add_argument(
        "--max-presets",
        type=_budget,
        default=DEFAULT_MAX_PRESETS,
        metavar="N",
        help="presets (or scripted SMTP replies) one mock holds; more are refused with 409 "
        f"(default {DEFAULT_MAX_PRESETS}; 0: no limit)",
    )
    parser.add_argument(
        "--preset-bytes",
        type=_budget,
        default=DEFAULT_PRESET_BYTES,
        metavar="BYTES",
        help="bytes the presets of all mocks together hold (reply bodies, rules, headers); "
        "a preset past it is refused with 409 (default 256 MiB; 0: no limit)",
    )
    parser.add_argument(
        "--regex-timeout",
        type=_seconds(),
        default=DEFAULT_REGEX_TIMEOUT,
        metavar="SECONDS",
        help="how long one evaluation of a user's regex (preset rule or body, history, "
        "count or wait filter, SMTP script match) may run before it gives up: a miss for "
        f"a preset, a 400 for a filter (default {DEFAULT_REGEX_TIMEOUT:g})",
    )
    parser.add_argument(
        "--files-root",
        type=_directory,
        default=DEFAULT_FILES_ROOT,
        metavar="DIR",
        help="the directory presets may name reply body files in (body_file, a path "
        "relative to it; never outside it); default: none, presets cannot name files",
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get(TOKEN_VARIABLE),
        metavar="TOKEN",
        help="require this token for the admin API and the UI (the mock endpoints stay "
        f"open); default ${TOKEN_VARIABLE}, which keeps it out of the process list",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a name the admin API and the UI answer to when it is the request's Host, "
        "besides loopback names, IP addresses and this machine's name (others get 403, "
        "against DNS rebinding); repeatable; '*' for any name; also "
        f"${ALLOWED_HOSTS_VARIABLE}, comma-separated",
    )
    parser.add_argument(
        "--load",
        action="append",
        default=[],
        metavar="FILE",
        help="create the mocks described in FILE (YAML or JSON) at start-up; repeatable",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="how much to log to stderr (debug also logs every request)",
    )
    parser.add_argument(
        "-d", "--debug", action="store_true", help="same as --log-level debug (1.4 option)"
    )
    parser.add_argument(
        "--store",
        default=os.environ.get(STORE_VARIABLE, DEFAULT_STORE),
        type=_store,
        metavar="URL",
        help="where mocks, presets and history are kept: memory (default: this process "
        "alone, nothing to install) or a Redis URL such as redis://127.0.0.1:6379/0, which "
        f"every process and host given the same URL shares (also ${STORE_VARIABLE})",
    )
    parser.add_argument(
        "--store-timeout",
        type=_seconds(),
        default=DEFAULT_STORE_TIMEOUT,
        metavar="SECONDS",
        help="how long a shared store may take to answer before a call gets a 503 naming "
        f"it (default {DEFAULT_STORE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--workers",
        type=_count(1),
        default=1,
        metavar="N",
        help="serve the port with N processes (default 1); more than one needs a shared "
        "--store, since the memory store lives in one process",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"pretenders {__version__}")
    args = parser.parse_args(argv)
    if bool(args.tls_ca_cert) != bool(args.tls_ca_key):
        parser.error(
            "--tls-ca-cert and --tls-ca-key go together: give the authority's certificate "
            "and its private key, or neither (a new authority is then made at start-up)"
        )
    if args.workers > 1 and args.store == "memory":
        parser.error(
            f"--workers {args.workers} needs a shared store: the memory store lives in one "
            "process, so the workers would not see each other's mocks. Add --store "
            "redis://HOST:PORT/DB (e.g. redis://127.0.0.1:6379/0), or use --workers 1"
        )
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        mock_timeout=args.timeout,
        access_log=args.log_level == "debug",
        smtp_size_limit=args.smtp_size_limit,
        smtp_tls_cert=args.smtp_tls_cert,
        smtp_tls_key=args.smtp_tls_key,
        tls_ca_cert=args.tls_ca_cert,
        tls_ca_key=args.tls_ca_key,
        max_own_ports=args.max_own_ports,
        load=tuple(args.load),
        shutdown_timeout=args.shutdown_timeout,
        webhook_max=args.webhook_max,
        header_timeout=args.header_timeout,
        keepalive_timeout=args.keepalive_timeout,
        max_connections=args.max_connections,
        history_limit=args.history_limit,
        max_body_size=args.max_body_size,
        max_mocks=args.max_mocks,
        history_bytes=args.history_bytes,
        max_presets=args.max_presets,
        preset_bytes=args.preset_bytes,
        regex_timeout=args.regex_timeout,
        files_root=args.files_root,
        admin_token=args.admin_token or None,
        allowed_hosts=allowed_hosts(args.allowed_host),
        store=args.store,
        store_timeout=args.store_timeout,
        workers=args.workers,
        reuse_port=args.workers > 1 or args.worker,
    )


def allowed_hosts(given: Sequence[str]) -> tuple[str, ...]:
    """The names of ``--allowed-host``, with those of the environment variable."""
    from_environment = os.environ.get(ALLOWED_HOSTS_VARIABLE, "").split(",")
    names = (name.strip() for name in (*from_environment, *given))
    return tuple(dict.fromkeys(name for name in names if name))


def _directory(text: str) -> str:
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    return text


def _store(text: str) -> str:
    try:
        return check_store_url(text)
    except CoreError as error:
        raise argparse.ArgumentTypeError(error.message) from None


async def serve_until_stopped(settings: Settings, argv: Sequence[str] = ()) -> None:
    """Serve until SIGINT or SIGTERM; then stop listening, let replies under way finish
    (for ``shutdown_timeout`` seconds at most) and close every HTTP and SMTP listener.

    With ``settings.workers`` above 1, this process binds the port first (learning it,
    when 0 asked for a free one), then starts the other workers on it (``argv`` is this
    process's command line) and stops them when it stops."""
    server = await start_server(settings)
    workers = start_workers(argv, settings.workers - 1, server.port)
    # Everything made so far (modules, routes, templates) lives as long as the process;
    # kept out of the collector's sight, it no longer makes each full collection a pause
    # of several milliseconds under load.
    gc.collect()
    gc.freeze()
    logger.info("pretenders %s listening on %s", __version__, server.url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        logger.info("stopping")
        await stop_workers(workers, settings.shutdown_timeout + 5)
        await server.stop()


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on uvloop where the platform has it, else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:1] == ["import"]:  # pretenders import wiremock|mountebank SOURCE
        from pretenders.server.import_command import main as import_main

        return import_main(given[1:])
    args = parse_args(argv)
    if args.debug:
        args.log_level = "debug"
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.log_level != "debug":
        # aiosmtpd logs every SMTP connection at INFO.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
    raise_open_file_limit()
    try:
        settings = settings_from(args)
        if args.worker:
            settings = dataclasses.replace(settings, load=())  # the first process loads them
        run(serve_until_stopped(settings, sys.argv[1:] if argv is None else argv))
    except (LoadError, CertificateError) as error:
        logger.error("%s", error)
        return 2
    except OSError as error:
        logger.error(
            "cannot listen on %s:%s (%s); stop whatever uses that port, or pick another "
            "with --port",
            args.host,
            args.port,
            error.strerror or error,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
