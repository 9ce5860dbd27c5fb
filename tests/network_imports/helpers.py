"""What the import tests share: the fixtures' paths, and cases of request and answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
WIREMOCK_ROOT = FIXTURES / "wiremock"
MOUNTEBANK_FILE = FIXTURES / "mountebank" / "imposters.json"


@dataclass
class Case:
    """A request to the imported mock and what the original tool would answer."""

    method: str
    path: str
    status: int
    body: bytes | None = None
    """Expected body (None: not checked)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Request headers."""
    content: bytes = b""
    """Request body."""
    reply_headers: dict[str, str] = field(default_factory=dict)
    """Expected reply headers."""
    body_contains: str | None = None
    slower_than: float = 0.0
    """The reply comes at least this many seconds late."""
