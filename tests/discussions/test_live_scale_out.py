"""Two daphne processes sharing live updates through Redis: a reply posted
through one process reaches a socket held by the other."""

import json
import re
import time
from http.client import HTTPConnection
from urllib.parse import urlencode

import pytest
from django.test import Client
from websockets.sync.client import connect

from discussions.models import Discussion, Visibility
from tests.helpers.environment import redis_url_or_skip
from tests.helpers.servers import listening_socket, start_daphne, stop, wait_until_listening


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    redis_url = redis_url_or_skip()
    log_path = tmp_path / "daphne.log"
    log = log_path.open("ab")
    sockets = [listening_socket(), listening_socket()]
    ports = [sock.getsockname()[1] for sock in sockets]
    processes = [start_daphne(sock, log, REDIS_URL=redis_url) for sock in sockets]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_until_listening(port, process, log_path)
        yield ports
    finally:
        for sock in sockets:
            sock.close()
        stop(processes)
        log.close()


def post_reply(port: int, discussion: Discussion, session_id: str, body: str) -> int:
    cookie = f"sessionid={session_id}"
    http = HTTPConnection("127.0.0.1", port, timeout=10)
    http.request("GET", f"/d/{discussion.pk}/", headers={"Cookie": cookie})
    page = http.getresponse()
    html = page.read().decode()
    assert page.status == 200, (page.status, html[:300])
    cookies = " ".join(value for name, value in page.getheaders() if name.lower() == "set-cookie")
    csrf_cookie = re.search(r"csrftoken=([^;]+)", cookies).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    http.request(
        "POST",
        f"/d/{discussion.pk}/reply/",
        body=urlencode({"body": body, "csrfmiddlewaretoken": token}),
        headers={
            "Cookie": f"{cookie}; csrftoken={csrf_cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = http.getresponse()
    response.read()
    return response.status


def test_a_reply_posted_through_one_process_reaches_a_socket_on_the_other(two_servers, member, other_member):
    from django.utils import timezone

    posting_port, reading_port = two_servers
    discussion = Discussion.objects.create(
        author=member,
        title="Scale out",
        body="b",
        body_html="<p>b</p>",
        visibility=Visibility.MEMBERS,
        last_activity_at=timezone.now(),
    )
    poster, reader = Client(), Client()
    poster.force_login(member)
    reader.force_login(other_member)

    with connect(
        f"ws://127.0.0.1:{reading_port}/ws/d/{discussion.pk}/",
        origin=f"http://127.0.0.1:{reading_port}",
        additional_headers={"Cookie": f"sessionid={reader.cookies['sessionid'].value}"},
        open_timeout=10,
    ) as websocket:
        assert json.loads(websocket.recv(timeout=10))["type"] == "hello"

        status = post_reply(posting_port, discussion, poster.cookies["sessionid"].value, "across processes")
        assert status in (200, 302, 303)

        deadline = time.monotonic() + 10
        while True:
            frame = json.loads(websocket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if frame["type"] == "reply.created":
                break
        assert frame["number"] == 1
        assert "across processes" in frame["html"]
