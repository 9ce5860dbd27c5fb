"""Names the server and the clients must agree on: extra headers, the token variable."""

from typing import Final

TOTAL_HEADER: Final = "X-Pretenders-Total"
"""On history answers: records the mock received since its last reset, dropped ones included."""

DROPPED_HEADER: Final = "X-Pretenders-Dropped"
"""On history answers: the oldest records pushed out by the server's ``--history-limit``
or ``--history-bytes``."""

NEXT_OFFSET_HEADER: Final = "X-Pretenders-Next-Offset"
"""On a page of ``GET /history`` or ``GET /preset`` that stops before the end: the
``offset`` of the next page."""

TOKEN_HEADER: Final = "X-Pretenders-Token"
"""Carries the admin token, as ``Authorization: Bearer <token>`` does."""

TOKEN_VARIABLE: Final = "PRETENDERS_ADMIN_TOKEN"
"""The environment variable the server and the clients take the admin token from."""

STORE_VARIABLE: Final = "PRETENDERS_STORE"
"""The environment variable naming the store (``--store``) when no option names it."""
