"""`make prod`'s layout, started as `make prod` starts it: nginx (HTTPS) in front of gunicorn for
pages and POSTs and two socket processes (uvicorn) for /ws/, with the job workers, on PostgreSQL and
Redis. A reply posted through gunicorn reaches sockets held by both socket processes, through
nginx; then the whole layout stops cleanly."""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.utils import timezone
from websockets.sync.client import connect

from discussions.models import Discussion, Reply, Visibility
from tests.helpers.environment import IN_CI, redis_url_or_skip
from tests.helpers.workers import database_url

ROOT = Path(__file__).resolve().parents[2]
SOCKETS = 2

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def requirements_or_skip() -> str:
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip(
            "the production layout runs on PostgreSQL: run with DATABASE_URL=postgres://... (CI's second suite)"
        )
    redis_url = redis_url_or_skip()
    if shutil.which("nginx") is None:
        if IN_CI:
            pytest.fail("nginx is required in CI (.ci/run installs it)")
        pytest.skip("needs nginx (apt-get install nginx-light)")
    return redis_url


@pytest.fixture
def production(tmp_path):
    redis_url = requirements_or_skip()
    run_dir = tmp_path / "prod"
    https_port, http_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        # This process signs the test's sessions in; the layout must accept them.
        "SECRET_KEY": settings.SECRET_KEY,
        "HTTPS_PORT": str(https_port),
        "HTTP_PORT": str(http_port),
        "SOCKET_PROCESSES": str(SOCKETS),
        "WEB_WORKERS": "2",
        "JOB_WORKERS": "1",
    }
    subprocess.run(
        [sys.executable, "deploy/local_prod.py", "prepare", "--dir", str(run_dir)], cwd=ROOT, env=env, check=True
    )
    # As `make prod` does: pages name their static files through collectstatic's manifest.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**env, "DEBUG": "false"},
        check=True,
    )
    log_path = tmp_path / "layout.log"
    with log_path.open("ab") as log:
        honcho = subprocess.Popen(
            [sys.executable, "deploy/local_prod.py", "start", "--dir", str(run_dir)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        layout = {
            "url": f"https://127.0.0.1:{https_port}",
            "port": https_port,
            "run_dir": run_dir,
            "certificate": run_dir / "tls" / "certificate.pem",
            "honcho": honcho,
            "log": log_path,
        }
        try:
            wait_until_serving(layout)
            yield layout
        finally:
            # honcho starts each process in a session of its own: only honcho can stop them
            # all, so ask it first; whatever is left (a failed start) is found by its directory.
            if honcho.poll() is None:
                honcho.send_signal(signal.SIGTERM)
                try:
                    honcho.wait(timeout=45)
                except subprocess.TimeoutExpired:
                    os.killpg(honcho.pid, signal.SIGKILL)
                    honcho.wait(timeout=10)
            if (run_dir / "nginx.pid").exists():
                nginx = ["nginx", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"), "-e", "stderr"]
                subprocess.run([*nginx, "-s", "stop"], check=False, capture_output=True)
            subprocess.run(["pkill", "-KILL", "-f", str(run_dir)], check=False)


def wait_until_serving(layout, timeout: float = 90) -> None:
    """Ready when nginx answers through gunicorn and every socket process has made its socket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if layout["honcho"].poll() is not None:
            raise RuntimeError(f"the layout exited: {layout['log'].read_text()[-3000:]}")
        sockets_ready = all((layout["run_dir"] / f"socket{index}.sock").exists() for index in range(SOCKETS))
        try:
            health = requests.get(f"{layout['url']}/healthz", verify=str(layout["certificate"]), timeout=5)
            if health.status_code == 200 and sockets_ready:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the layout did not start: {layout['log'].read_text()[-3000:]}")


def signed_in(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def post_reply(layout, discussion: Discussion, session_id: str, body: str) -> requests.Response:
    url = layout["url"]
    browser = requests.Session()
    certificate = str(layout["certificate"])
    browser.cookies.set(settings.SESSION_COOKIE_NAME, session_id, domain="127.0.0.1")
    page = browser.get(f"{url}/d/{discussion.pk}/", verify=certificate, timeout=20)
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(
        f"{url}/d/{discussion.pk}/reply/",
        data={"body": body, "csrfmiddlewaretoken": token},
        headers={"Origin": url, "Referer": f"{url}/d/{discussion.pk}/"},
        allow_redirects=False,
        verify=certificate,
        timeout=20,
    )


def wait_for_reply_frame(websocket, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(websocket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if frame["type"] == "reply.created":
            return frame


def stop(layout, timeout: float = 40) -> str:
    """SIGTERM, as a service manager stops it; honcho passes it on and reports each process."""
    layout["honcho"].send_signal(signal.SIGTERM)
    assert layout["honcho"].wait(timeout=timeout) == 128 + signal.SIGTERM
    return layout["log"].read_text()


def test_a_reply_posted_through_gunicorn_reaches_sockets_on_both_socket_processes_through_nginx(
    production, member, other_member
):
    discussion = Discussion.objects.create(
        author=member,
        title="Through the proxy",
        body="b",
        body_html="<p>b</p>",
        visibility=Visibility.MEMBERS,
        last_activity_at=timezone.now(),
    )
    url = production["url"]
    reader_cookie = f"{settings.SESSION_COOKIE_NAME}={signed_in(other_member)}"
    # The layout's own self-signed certificate is the one trusted: TLS is checked, not skipped.
    tls = ssl.create_default_context(cafile=str(production["certificate"]))

    with contextlib.ExitStack() as open_sockets:
        readers = [
            open_sockets.enter_context(
                connect(
                    f"wss://127.0.0.1:{production['port']}/ws/d/{discussion.pk}/",
                    origin=url,
                    ssl=tls,
                    additional_headers={"Cookie": reader_cookie},
                    open_timeout=20,
                )
            )
            for _ in range(2 * SOCKETS)
        ]
        for websocket in readers:
            assert json.loads(websocket.recv(timeout=20))["type"] == "hello"

        response = post_reply(production, discussion, signed_in(member), "through nginx and gunicorn")
        assert response.status_code in (302, 303), response.text[:300]

        for websocket in readers:
            frame = wait_for_reply_frame(websocket)
            assert frame["number"] == 1
            assert "through nginx and gunicorn" in frame["html"]
    assert Reply.objects.get(discussion=discussion).body == "through nginx and gunicorn"

    log = stop(production)
    assert "SIGKILL" not in log, log[log.find("SIGTERM received") :]
    for process in ["proxy", "web", "worker", *(f"socket{index}" for index in range(SOCKETS))]:
        assert re.search(rf"system +\| {process}\.1 stopped \(rc=", log), f"{process} did not report stopping"
    left_running = subprocess.run(["pgrep", "-f", str(production["run_dir"])], capture_output=True, text=True)
    assert left_running.stdout == "", f"processes still running: {left_running.stdout}"

    access_log = (production["run_dir"] / "access.log").read_text().splitlines()
    socket_upstreams = {line.rsplit("upstream=", 1)[1] for line in access_log if f"/ws/d/{discussion.pk}/" in line}
    assert socket_upstreams == {f"unix:{production['run_dir']}/socket{index}.sock" for index in range(SOCKETS)}
    [post_line] = [line for line in access_log if f'"POST /d/{discussion.pk}/reply/"' in line]
    assert post_line.endswith(f"upstream=unix:{production['run_dir']}/web.sock")
    assert not any("?" in line for line in access_log), "the request log must not keep query strings"
