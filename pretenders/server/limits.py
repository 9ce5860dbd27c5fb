"""The size limits of HTTP bodies, and the messages that name the option raising them."""

from __future__ import annotations

from pretenders.server.core.errors import TooLarge

OPTION = "--max-body-size"


def check_reply_body(body: bytes, limit: int) -> None:
    """Refuse a preset reply body over ``limit`` bytes."""
    if len(body) > limit:
        raise TooLarge(
            f"body: the reply body is {len(body)} bytes, over this server's limit of {limit} "
            f"bytes; start the server with a higher {OPTION}",
            field="body",
        )


def payload_too_large(limit: int, max_body_size: int) -> TooLarge:
    """An admin call whose body is over ``limit`` bytes (aiohttp's ``client_max_size``)."""
    return TooLarge(
        f"the request body is over {limit} bytes, the most an admin call may send: a preset's "
        f"reply body may be up to {max_body_size} bytes (base64-encoded); start the server "
        f"with a higher {OPTION}"
    )


def refused_body(size: int | None, limit: int) -> bytes:
    """The 413 text of a mock request whose body is over ``limit`` bytes (``size`` if known)."""
    body = f"The request body ({size} bytes)" if size is not None else "The request body"
    return (
        f"{body} is over this pretenders server's limit of {limit} bytes; start the server "
        f"with a higher {OPTION}. The request was recorded without its body.\n"
    ).encode()
