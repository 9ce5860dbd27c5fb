"""A stand-in for the application under test: it calls a weather API over real HTTP."""

from __future__ import annotations

import types
import urllib.error
import urllib.request

settings = types.SimpleNamespace(FOO_ROOT_URL="https://weather.example.com")


def get_weather(city: str) -> bytes:
    """GET <FOO_ROOT_URL>/weather?city=<city>, as the real application would."""
    url = f"{settings.FOO_ROOT_URL}/weather?city={city}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def get_important_data(root_url: str) -> tuple[int, bytes]:
    """What the web app of the remote example fetches when a page is refreshed."""
    try:
        with urllib.request.urlopen(f"{root_url}/important_data", timeout=10) as response:
            return response.status, bytes(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()
