"""A 429 as a browser shows it: the status line (daphne writes its reason phrase itself, since ASGI
carries none) and the page that tells the member to wait."""

from http.client import HTTPConnection

import pytest

from spoonful.ratelimits import DEFAULT_LIMITS
from tests.helpers.servers import listening_socket, start_daphne, stop, wait_until_listening


@pytest.fixture
def daphne_port(transactional_db, tmp_path):
    log_path = tmp_path / "daphne.log"
    sock = listening_socket()
    with log_path.open("ab") as log:
        process = start_daphne(sock, log)
        try:
            wait_until_listening(sock.getsockname()[1], process, log_path)
            yield sock.getsockname()[1]
        finally:
            sock.close()
            stop([process])


def test_a_rate_limited_page_says_too_many_requests_under_daphne(daphne_port):
    # Fixed windows: one more than two windows' worth is over the limit whichever way they fall.
    _, allowed, _ = DEFAULT_LIMITS["search"][-1]
    http = HTTPConnection("127.0.0.1", daphne_port, timeout=10)
    for _ in range(2 * allowed + 1):
        http.request("GET", "/search/?q=pacing")
        response = http.getresponse()
        body = response.read().decode()
        if response.status == 429:
            break

    assert response.status == 429
    assert response.reason == "Too Many Requests"
    assert int(response.getheader("Retry-After")) >= 1
    assert "Please wait" in body


def test_too_many_sign_in_attempts_get_a_calm_page_saying_to_wait(client, settings, member):
    settings.ACCOUNT_RATE_LIMITS = {"login": "1/m/ip"}
    client.post("/accounts/login/", {"login": "alice", "password": "wrong"})

    response = client.post("/accounts/login/", {"login": "alice", "password": "wrong again"})

    assert response.status_code == 429
    assert response.reason_phrase == "Too Many Requests"
    page = response.content.decode()
    assert "Please wait a moment" in page
    assert "Spoonful" in page
