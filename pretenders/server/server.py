"""Command line entry point: ``pretenders`` or ``python -m pretenders.server.server``."""

from __future__ import annotations

import argparse
import asyncio
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
from pretenders.common.wire_names import TOKEN_VARIABLE
from pretenders.server.app import start_server
from pretenders.server.loader import LoadError
from pretenders.server.settings import (
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_HOST,
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_MOCKS,
    DEFAULT_MOCK_TIMEOUT,
    DEFAULT_PORT,
    DEFAULT_REGEX_TIMEOUT,
    DEFAULT_SMTP_SIZE_LIMIT,
    Settings,
)

logger = logging.getLogger("pretenders.server")

ALL_INTERFACES = "0.0.0.0"


def _timeout(text: str) -> float | None:
    if text.upper() == FOREVER:
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected seconds or "FOREVER", got {text!r}') from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return seconds


def _seconds(text: str) -> float:
    """An argparse type: a finite number of seconds, more than 0."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds more than 0, got {text}")
    return seconds


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
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)",
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
        "--shutdown-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="on SIGTERM or Ctrl-C, how long replies under way may take to finish (default 10)",
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
        "--regex-timeout",
        type=_seconds,
        default=DEFAULT_REGEX_TIMEOUT,
        metavar="SECONDS",
        help="how long one evaluation of a user's regex (preset rule or body, history, "
        "count or wait filter, SMTP script match) may run before it gives up: a miss for "
        f"a preset, a 400 for a filter (default {DEFAULT_REGEX_TIMEOUT:g})",
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get(TOKEN_VARIABLE),
        metavar="TOKEN",
        help="require this token for the admin API and the UI (the mock endpoints stay "
        f"open); default ${TOKEN_VARIABLE}, which keeps it out of the process list",
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
    parser.add_argument("--version", action="version", version=f"pretenders {__version__}")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        mock_timeout=args.timeout,
        access_log=args.log_level == "debug",
        smtp_size_limit=args.smtp_size_limit,
        smtp_tls_cert=args.smtp_tls_cert,
        smtp_tls_key=args.smtp_tls_key,
        load=tuple(args.load),
        shutdown_timeout=args.shutdown_timeout,
        history_limit=args.history_limit,
        max_body_size=args.max_body_size,
        max_mocks=args.max_mocks,
        regex_timeout=args.regex_timeout,
        admin_token=args.admin_token or None,
    )


async def serve_until_stopped(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM; then stop listening, let replies under way finish
    (for ``shutdown_timeout`` seconds at most) and close every HTTP and SMTP listener."""
    server = await start_server(settings)
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
    try:
        run(serve_until_stopped(settings_from(args)))
    except LoadError as error:
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
