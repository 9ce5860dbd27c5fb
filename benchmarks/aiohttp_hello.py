"""Bare aiohttp server answering "Hello" to any GET: the ceiling for HTTP throughput.

Default asyncio event loop (no uvloop) and no access log, so it measures aiohttp itself.
"""

from __future__ import annotations

import argparse

from aiohttp import web


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_get("/{tail:.*}", hello)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
