"""Server settings, as given on the command line or to the embedded server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pretenders.server.core.errors import InvalidInput

if TYPE_CHECKING:
    from pretenders.server.core.reply_render import ReplyOptions

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MOCK_TIMEOUT = 120.0
DEFAULT_SMTP_SIZE_LIMIT = 32 * 1024 * 1024
DEFAULT_HISTORY_LIMIT = 250_000
DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024
DEFAULT_MAX_MOCKS = 10_000
DEFAULT_SHUTDOWN_TIMEOUT = 10.0
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_KEEPALIVE_TIMEOUT = 15.0
DEFAULT_HISTORY_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_PRESETS = 10_000
DEFAULT_PRESET_BYTES = 256 * 1024 * 1024
DEFAULT_REGEX_TIMEOUT = 0.05
DEFAULT_STORE = "memory"
DEFAULT_STORE_TIMEOUT = 2.0
DEFAULT_FILES_ROOT = None
DEFAULT_WEBHOOK_MAX = 64
DEFAULT_MAX_OWN_PORTS = 256


@dataclass(frozen=True)
class Settings:
    """How the server runs. ``port=0`` lets the operating system pick a free port."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    mock_timeout: float | None = DEFAULT_MOCK_TIMEOUT
    """Seconds a mock may stay idle before it is removed (None: never)."""
    prune_interval: float = 0.5
    """How often idle mocks are looked for, in seconds."""
    access_log: bool = False
    """Log every request (costly under load; on with ``--log-level debug``)."""
    smtp_size_limit: int = DEFAULT_SMTP_SIZE_LIMIT
    """Largest message an SMTP mock accepts (advertised as SIZE; larger ones get 552)."""
    smtp_tls_cert: str | None = None
    smtp_tls_key: str | None = None
    """Certificate and key for STARTTLS; a self-signed pair is made when not given."""
    tls_ca_cert: str | None = None
    tls_ca_key: str | None = None
    """The certificate authority (PEM files) that signs HTTPS mocks' certificates; one is
    made when the server starts when not given."""
    max_own_ports: int = DEFAULT_MAX_OWN_PORTS
    """HTTP mocks on a port of their own this process listens for at once; one more is a 409."""
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT
    """On SIGTERM, seconds in-flight replies (delayed ones included) get to finish."""
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    """Seconds a request head (request line and headers) may take to arrive, from its
    first byte; a connection still sending one then is closed."""
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT
    """Seconds a connection may stay idle between requests before it is closed."""
    max_connections: int | None = None
    """Open connections (HTTP and SMTP, and SMTP mocks' listening sockets) the server holds;
    past it a new one gets 503 (SMTP: 421). None: derived from the open-file limit."""
    load: tuple[str, ...] = ()
    """Mock files (YAML or JSON) whose mocks are created when the server starts."""
    history_limit: int | None = DEFAULT_HISTORY_LIMIT
    """Records (requests or mails) each mock keeps; past it the oldest are dropped and
    counted. None: no limit."""
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    """Largest request body an HTTP mock accepts (larger: 413), and largest preset reply body."""
    max_mocks: int | None = DEFAULT_MAX_MOCKS
    """Live mocks (HTTP and SMTP together) the server holds; creating one more is a 409."""
    history_bytes: int | None = DEFAULT_HISTORY_BYTES
    """Bytes all mocks' histories together keep (bodies, headers, URLs, mail data); past
    it the oldest records of the whole server are dropped and counted. None: no limit."""
    max_presets: int | None = DEFAULT_MAX_PRESETS
    """Presets (or scripted SMTP replies) one mock holds; one more is a 409. None: no limit."""
    preset_bytes: int | None = DEFAULT_PRESET_BYTES
    """Bytes the presets of all mocks together hold (reply bodies, rules, headers); a preset
    past it is a 409. None: no limit."""
    regex_timeout: float = DEFAULT_REGEX_TIMEOUT
    """Seconds one evaluation of a user's regex (preset rule or body, filter, SMTP script
    match) may take before it gives up: a miss for a preset, a 400 for a filter."""
    admin_token: str | None = None
    """When set, the admin API and the UI answer 401 to requests without it; the mock
    endpoints stay open."""
    store: str = DEFAULT_STORE
    """Where the state is kept: ``memory`` (this process alone), or a Redis URL such as
    ``redis://127.0.0.1:6379/0`` that several processes and hosts share."""
    store_timeout: float = DEFAULT_STORE_TIMEOUT
    """Seconds a shared store may take to answer before a call gets a 503 naming it."""
    workers: int = 1
    """Processes serving the same port (more than one needs a shared store)."""
    reuse_port: bool = False
    """Bind with SO_REUSEPORT, so that several workers share the port."""
    allowed_hosts: tuple[str, ...] = ()
    """Names (in the ``Host`` header) the admin API and the UI answer to, besides loopback
    names, IP addresses, ``host`` and this machine's name; ``"*"``: any name."""
    files_root: str | None = DEFAULT_FILES_ROOT
    """The directory presets' ``body_file`` paths are read from (never outside it); None:
    presets cannot name files."""

    def reply_options(self) -> ReplyOptions:
        """What replies made per request need of these settings (a files root of its own,
        with its cache, each call)."""
        from pretenders.server.core.body_files import FilesRoot
        from pretenders.server.core.reply_render import ReplyOptions

        files = None
        if self.files_root is not None:
            files = FilesRoot(self.files_root, self.max_body_size)
        return ReplyOptions(files, self.max_body_size, self.regex_timeout)

    webhook_max: int = DEFAULT_WEBHOOK_MAX
    """Webhook calls this process makes at once (delayed ones included); past it a call is
    not made but recorded as skipped."""

    @property
    def admin_payload_limit(self) -> int:
        """Largest admin call body: a preset whose reply body, base64-encoded, is as large as
        ``max_body_size`` allows, with room to spare for its rule and headers."""
        return (self.max_body_size + 2) // 3 * 4 + 1024 * 1024


SCHEMES = ("redis://", "rediss://", "unix://")


def check_store_url(url: str) -> str:
    """``memory`` or a Redis URL; anything else is refused, saying what is accepted."""
    if url == "memory" or url.startswith(SCHEMES):
        return url
    raise InvalidInput(
        f"store must be 'memory' or a Redis URL such as redis://127.0.0.1:6379/0, got {url!r}",
        field="store",
    )
