"""--admin-token over real sockets: the admin API and the UI ask for it, mocks never do."""

from __future__ import annotations

import asyncio
import base64
import smtplib
from collections.abc import Iterator

import httpx
import pytest

from pretenders.client.aio import AsyncHTTPMock, AsyncSMTPMock
from pretenders.client.http import HTTPMock
from pretenders.client.smtp import SMTPMock
from pretenders.common.exceptions import AuthenticationRequired
from pretenders.server.access import MISSING, WRONG, is_loopback, presented_token
from pretenders.server.embedded import EmbeddedServer

TOKEN = "s3cret-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def secured() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(admin_token=TOKEN) as server:
        yield server


@pytest.fixture
def client(secured: EmbeddedServer) -> Iterator[httpx.Client]:
    """No token unless a test sends one."""
    with httpx.Client(base_url=secured.url, timeout=10) as client:
        yield client


@pytest.fixture
def mock_id(client: httpx.Client) -> Iterator[str]:
    created = client.post("/http", json={}, headers=BEARER).json()["id"]
    client.post(
        f"/preset/{created}",
        json={"rule": "GET /hello", "body": "SGVsbG8=", "times": "FOREVER"},
        headers=BEARER,
    )
    yield created
    client.delete(f"/http/{created}", headers=BEARER)


def basic(user: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


PROTECTED = [
    ("GET", "/http"),
    ("POST", "/http"),
    ("GET", "/smtp"),
    ("GET", "/history/some-mock"),
    ("POST", "/preset/some-mock"),
    ("GET", "/stats/some-mock"),
    ("GET", "/openapi.json"),
    ("GET", "/tls/certificate"),
    ("GET", "/"),
    ("GET", "/ui/http/some-mock"),
    ("POST", "/ui/mocks"),
    ("GET", "/ui/events"),
    ("GET", "/no/such/route"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_admin_routes_and_ui_answer_401_without_the_token(
    client: httpx.Client, method: str, path: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"code": "unauthorized", "message": MISSING, "field": None}]
    }
    assert response.headers.get_list("WWW-Authenticate") == [
        'Bearer realm="pretenders"',
        'Basic realm="pretenders", charset="UTF-8"',
    ]


def test_the_401_messages() -> None:
    assert MISSING == (
        "this pretenders server requires its admin token: send it as 'Authorization: Bearer "
        "<token>' or 'X-Pretenders-Token: <token>' (in a browser: any user name, and the "
        "token as password); it is the server's --admin-token or PRETENDERS_ADMIN_TOKEN"
    )
    assert WRONG.startswith(
        "the admin token sent is not this server's: use the server's --admin-token (or "
        "PRETENDERS_ADMIN_TOKEN) and send it as"
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong"},
        {"X-Pretenders-Token": "wrong"},
        basic("anyone", "wrong"),
        {"Authorization": "Basic %%%"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
    ids=["bearer", "header", "basic", "garbled basic", "longer"],
)
def test_a_wrong_token_is_401_saying_so(client: httpx.Client, headers: dict[str, str]) -> None:
    response = client.get("/http", headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == WRONG


@pytest.mark.parametrize(
    "headers",
    [BEARER, {"X-Pretenders-Token": TOKEN}, basic("anyone", TOKEN), basic("", TOKEN)],
    ids=["bearer", "header", "basic", "basic without user"],
)
def test_with_the_token_everything_works(client: httpx.Client, headers: dict[str, str]) -> None:
    assert client.get("/http", headers=headers).status_code == 200
    assert client.get("/openapi.json", headers=headers).status_code == 200
    assert client.get("/", headers=headers).status_code == 200
    created = client.post("/http", json={"name": "with-token"}, headers=headers)
    assert created.status_code == 200
    page = client.get("/ui/http/with-token", headers=headers)
    assert page.status_code == 200
    assert "with-token" in page.text


def test_mock_endpoints_never_ask_for_it(client: httpx.Client, mock_id: str) -> None:
    served = client.get(f"/mockhttp/{mock_id}/hello")
    assert (served.status_code, served.text) == (200, "Hello")
    # Through the router rather than the shortcut (the prefix sent percent-encoded).
    routed = client.get(f"/mock%68ttp/{mock_id}/hello")
    assert (routed.status_code, routed.text) == (200, "Hello")
    missed = client.get(f"/mockhttp/{mock_id}/other", headers={"Authorization": "Bearer no"})
    assert missed.status_code == 404
    assert client.get("/mockhttp/no-such-mock/x").status_code == 404
    history = client.get(f"/history/{mock_id}", headers=BEARER).json()
    assert [r["url"] for r in history] == ["/hello", "/hello", "/other"]


def test_smtp_mocks_never_ask_for_it(client: httpx.Client) -> None:
    created = client.post("/smtp", json={}, headers=BEARER).json()
    port = int(created["full_host"].rsplit(":", 1)[1])
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("a@example.com", ["b@example.com"], "Subject: hi\r\n\r\nhello")
    mails = client.get(f"/history/{created['id']}", headers=BEARER).json()
    assert [m["rcpttos"] for m in mails] == [["b@example.com"]]
    client.delete(f"/smtp/{created['id']}", headers=BEARER)


def test_health_is_open(client: httpx.Client) -> None:
    response = client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_the_openapi_document_says_which_calls_need_the_token(client: httpx.Client) -> None:
    document = client.get("/openapi.json", headers=BEARER).json()
    assert set(document["components"]["securitySchemes"]) == {"bearer", "token_header", "basic"}
    health = document["paths"]["/health"]["get"]
    assert health["security"] == []
    assert "401" not in health["responses"]
    assert "401" in document["paths"]["/http"]["post"]["responses"]


def test_sync_clients(secured: EmbeddedServer, mock_id: str) -> None:
    with pytest.raises(AuthenticationRequired) as refused:
        HTTPMock(secured.host, secured.port)
    assert str(refused.value) == (
        f"the pretenders server at {secured.url} requires its admin token: pass token=... to "
        f"the client (or set PRETENDERS_ADMIN_TOKEN); the server said: {MISSING}"
    )
    with pytest.raises(AuthenticationRequired, match="refused the admin token given"):
        SMTPMock(secured.host, secured.port, token="wrong")
    with HTTPMock(secured.host, secured.port, token=TOKEN) as mock:
        mock.when("GET /x").reply("x")
        assert httpx.get(mock.pretend_url + "/x").text == "x"
        assert mock.get_request(0) is not None
        assert mock.history_stats().total == 1
        mock.delete_mock()
    with SMTPMock(secured.host, secured.port, token=TOKEN) as smtp_mock:
        assert smtp_mock.get_emails() == []
        smtp_mock.delete_mock()


def test_clients_take_the_token_from_the_environment(
    secured: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRETENDERS_ADMIN_TOKEN", TOKEN)
    with HTTPMock(secured.host, secured.port) as mock:
        assert mock.get_request() == []
        mock.delete_mock()

    async def scenario() -> None:
        async with AsyncSMTPMock(secured.host, secured.port) as smtp_mock:
            assert await smtp_mock.get_emails() == []
            await smtp_mock.delete_mock()

    asyncio.run(scenario())
    monkeypatch.setenv("PRETENDERS_ADMIN_TOKEN", "wrong")
    with pytest.raises(AuthenticationRequired, match="refused the admin token given"):
        HTTPMock(secured.host, secured.port)


def test_async_clients(secured: EmbeddedServer) -> None:
    async def scenario() -> None:
        with pytest.raises(AuthenticationRequired, match="requires its admin token"):
            async with AsyncHTTPMock(secured.host, secured.port):
                pass
        with pytest.raises(AuthenticationRequired, match="refused the admin token given"):
            await AsyncSMTPMock.create(secured.host, secured.port, token="wrong")
        async with AsyncHTTPMock(secured.host, secured.port, token=TOKEN) as mock:
            await mock.when("GET /y").reply("y")
            async with httpx.AsyncClient() as http:
                assert (await http.get(mock.pretend_url + "/y")).text == "y"
            assert [r.url for r in await mock.get_request()] == ["/y"]
            await mock.delete_mock()
        created = await AsyncSMTPMock.create(secured.host, secured.port, token=TOKEN)
        assert (await created.history_stats()).kept == 0
        await created.delete_mock()
        await created.aclose()

    asyncio.run(scenario())


PLUGIN_TESTS = """
import httpx


def test_uses_the_secured_server(http_mock, smtp_mock):
    http_mock.when("GET /hi").reply("hi")
    assert httpx.get(http_mock.pretend_url + "/hi").text == "hi"
    assert smtp_mock.get_emails() == []
"""


def test_the_pytest_plugin_passes_the_token(
    pytester: pytest.Pytester, secured: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_user=PLUGIN_TESTS)
    options = ["-p", "no:cacheprovider", f"--pretenders-url={secured.url}"]
    monkeypatch.delenv("PRETENDERS_ADMIN_TOKEN", raising=False)
    pytester.runpytest_subprocess(*options, f"--pretenders-token={TOKEN}").assert_outcomes(passed=1)
    monkeypatch.setenv("PRETENDERS_ADMIN_TOKEN", TOKEN)
    pytester.runpytest_subprocess(*options).assert_outcomes(passed=1)
    monkeypatch.delenv("PRETENDERS_ADMIN_TOKEN")
    without = pytester.runpytest_subprocess(*options)
    without.assert_outcomes(errors=1)
    without.stdout.fnmatch_lines(["*AuthenticationRequired*requires its admin token*"])


def test_presented_token() -> None:
    assert presented_token({"Authorization": "Bearer abc"}) == "abc"
    assert presented_token({"Authorization": "bearer  abc "}) == "abc"
    assert presented_token({"Authorization": "Basic " + base64.b64encode(b"u:p:q").decode()}) == (
        "p:q"
    )
    assert presented_token({"X-Pretenders-Token": "abc"}) == "abc"
    assert presented_token({"Authorization": "Digest x", "X-Pretenders-Token": "abc"}) == "abc"
    assert presented_token({}) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
