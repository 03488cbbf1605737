"""A real daphne serving ``spoonful.asgi`` against the test database, for what only the server
itself decides (the status line, sockets between processes)."""

import os
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

from django.conf import settings

from tests.helpers.workers import ROOT, database_url


def listening_socket() -> socket.socket:
    """Bound here and handed to daphne (--fd), so no other process can take the
    port between choosing it and listening on it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def start_daphne(sock: socket.socket, log, **environment: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        # Same key as this process, so a session this test signs in is valid there.
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        **environment,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "daphne", "--fd", str(sock.fileno()), "spoonful.asgi:application"],
        pass_fds=(sock.fileno(),),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


def wait_until_listening(port: int, process: subprocess.Popen, log_path: Path, timeout: float = 20) -> None:
    """The socket accepts from the start (the kernel queues); ready means daphne answers HTTP."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            http = HTTPConnection("127.0.0.1", port, timeout=2)
            http.request("GET", "/healthz")
            http.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne on {port} did not start")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
