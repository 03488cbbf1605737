"""Reply fan-out, the client side: N websocket readers on one discussion, a poster, and the bare
``websockets`` broadcast server (bench/bare.py) driven by the same client code as the floor.

Each reply is timed from just before its POST to its arrival at every socket; the POST's own
time and what delivery adds after the POST returned are kept beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPSConnection
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
BODY = ("Pacing helps me most on bad days; I rest before I am tired. " * 9)[:500]
CONNECT_CONCURRENCY = 50
BARE = "bare websockets broadcast"


# --- Servers -----------------------------------------------------------------------------


def listening_socket() -> socket.socket:
    """Bound here and inherited by the server (daphne --fd), so no other process
    can take the port between choosing it and listening on it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    """The inherited socket accepts at once (the kernel queues), so ready means the
    server answers an HTTP request, whatever it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {process.returncode}")
        try:
            http = HTTPConnection("127.0.0.1", port, timeout=2)
            http.request("GET", "/healthz")
            http.getresponse().read()
            http.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


class Servers:
    def __init__(self, commands: list[tuple[socket.socket, list[str]]], env: dict, log: Path) -> None:
        self.sockets = [sock for sock, _ in commands]
        self.ports = [sock.getsockname()[1] for sock in self.sockets]
        self.log = log.open("ab")
        self.processes = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=self.log, pass_fds=(sock.fileno(),))
            for sock, command in commands
        ]

    def __enter__(self) -> Servers:
        try:
            for port, process in zip(self.ports, self.processes, strict=True):
                wait_listening(port, process)
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for sock in self.sockets:
            sock.close()
        self.log.close()


# --- The client side --------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    readers: int
    replies: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per delivery
    post_latencies: list[float] = field(default_factory=list)
    after_post: list[float] = field(default_factory=list)  # seconds from the POST's return to each delivery
    rates: list[float] = field(default_factory=list)  # deliveries/s per reply
    delivered: int = 0
    connect_seconds: float = 0.0
    frame_bytes: int = 0
    note: str = ""
    all_p99: list[float] = field(default_factory=list)
    all_connect: list[float] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.readers * self.replies

    def pct(self, values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def p50(self) -> float:
        return self.pct(self.latencies, 0.50)

    def p99(self) -> float:
        return self.pct(self.latencies, 0.99)

    def max(self) -> float:
        return max(self.latencies, default=float("nan")) * 1000


class Readers:
    """N websocket clients in one event loop, recording when each reply number arrives."""

    def __init__(
        self, urls: list[str], headers: list[dict], origins: list[str], tls: ssl.SSLContext | None = None
    ) -> None:
        self.urls, self.headers, self.origins, self.tls = urls, headers, origins, tls
        self.arrivals: dict[int, list[float]] = {}
        self.frame_bytes = 0
        self.sockets: list = []
        self.tasks: list[asyncio.Task] = []
        self.waiters: dict[int, asyncio.Event] = {}
        self.greeted = 0

    async def open(self) -> float:
        from websockets.asyncio.client import connect

        started = time.perf_counter()
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(url: str, headers: dict, origin: str):
            async with limit:
                websocket = await connect(
                    url,
                    additional_headers=headers,
                    origin=origin,
                    max_size=None,
                    ping_interval=None,
                    open_timeout=60,
                    max_queue=None,
                    **({"ssl": self.tls} if self.tls else {}),
                )
                return websocket

        self.sockets = await asyncio.gather(
            *(one(u, h, o) for u, h, o in zip(self.urls, self.headers, self.origins, strict=True))
        )
        elapsed = time.perf_counter() - started
        self.tasks = [asyncio.create_task(self._listen(ws)) for ws in self.sockets]
        # Ready when every socket has had its first frame (the server's hello).
        deadline = time.perf_counter() + 60
        while self.greeted < len(self.sockets) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        return time.perf_counter() - started if self.greeted else elapsed

    async def _listen(self, websocket) -> None:
        try:
            first = True
            async for message in websocket:
                now = time.perf_counter()
                if first:
                    first = False
                    self.greeted += 1
                if '"reply.created"' not in message:
                    continue
                number = int(re.search(r'"number": ?(\d+)', message).group(1))
                self.frame_bytes = len(message)
                arrived = self.arrivals.setdefault(number, [])
                arrived.append(now)
                if len(arrived) == len(self.sockets) and number in self.waiters:
                    self.waiters[number].set()
        except Exception:
            pass

    async def wait_for(self, number: int, timeout: float) -> None:
        event = self.waiters.setdefault(number, asyncio.Event())
        if len(self.arrivals.get(number, ())) >= len(self.sockets):
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


class Poster:
    """A signed-in member posting through the real form endpoint, over HTTPS as a browser does
    (Origin and Referer sent: Django checks them on secure requests)."""

    def __init__(self, port: int, tls: ssl.SSLContext, discussion_id: int, session: str) -> None:
        self.discussion_id, self.session = discussion_id, session
        self.origin = f"https://127.0.0.1:{port}"
        http = HTTPSConnection("127.0.0.1", port, timeout=30, context=tls)
        http.request("GET", f"/d/{discussion_id}/", headers={"Cookie": f"sessionid={session}"})
        page = http.getresponse()
        html = page.read().decode()
        if page.status != 200:
            raise RuntimeError(f"discussion page answered {page.status}")
        cookies = " ".join(v for k, v in page.getheaders() if k.lower() == "set-cookie")
        self.csrf_cookie = re.search(r"csrftoken=([^;]+)", cookies).group(1)
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        self.http = http

    def post(self, body: str) -> float:
        started = time.perf_counter()
        self.http.request(
            "POST",
            f"/d/{self.discussion_id}/reply/",
            body=urlencode({"body": body, "csrfmiddlewaretoken": self.token}),
            headers={
                "Cookie": f"sessionid={self.session}; csrftoken={self.csrf_cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": f"{self.origin}/d/{self.discussion_id}/",
            },
        )
        response = self.http.getresponse()
        response.read()
        if response.status not in (302, 303):
            raise RuntimeError(f"reply POST answered {response.status}")
        return time.perf_counter() - started


async def measure(run: Run, readers: Readers, post, settle: float) -> Run:
    """Post ``run.replies`` replies one after another; each waits for its fan-out (or 5 s)."""
    run.connect_seconds = await readers.open()
    await asyncio.sleep(settle)  # let presence frames and connection work settle
    gc.collect()
    gc.disable()
    loop = asyncio.get_running_loop()
    for number in range(1, run.replies + 1):
        started = time.perf_counter()
        post_future = loop.run_in_executor(None, post, number)
        await readers.wait_for(number, timeout=5)
        post_seconds = await post_future
        if post_seconds is not None:
            run.post_latencies.append(post_seconds)
        arrivals = readers.arrivals.get(number, [])
        if os.environ.get("BENCH_VERBOSE"):
            print(number, len(arrivals), f"{(max(arrivals, default=started) - started) * 1000:.0f}ms", flush=True)
        run.delivered += len(arrivals)
        run.latencies.extend(t - started for t in arrivals)
        if post_seconds is not None:
            run.after_post.extend(max(0.0, t - started - post_seconds) for t in arrivals)
        if arrivals:
            spread = max(arrivals) - started
            run.rates.append(len(arrivals) / spread if spread > 0 else float("inf"))
        await asyncio.sleep(0.02)
    gc.enable()
    run.frame_bytes = readers.frame_bytes
    await readers.close()
    return run


def bare_run(readers: int, replies: int, frame_bytes: int, log: Path) -> Run:
    sock = listening_socket()
    port = sock.getsockname()[1]
    command = [sys.executable, "-m", "bench.bare", str(sock.fileno()), str(frame_bytes)]
    with Servers([(sock, command)], dict(os.environ), log):
        url = f"ws://127.0.0.1:{port}/"
        client = Readers([url] * readers, [{}] * readers, [f"http://127.0.0.1:{port}"] * readers)

        async def go() -> Run:
            from websockets.sync.client import connect

            poster = connect(url)

            def post(number: int) -> None:
                poster.send(str(number))

            try:
                return await measure(Run(BARE, readers, replies), client, post, 0.2)
            finally:
                poster.close()

        return asyncio.run(go())
