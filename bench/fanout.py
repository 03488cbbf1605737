"""Reply fan-out: one reply to N open sockets on one discussion, end to end.

Starts the real server (daphne: one process with the in-memory layer, and two
processes with Redis), opens N sockets on one discussion as N signed-in
members, posts replies through the real ``POST /d/<id>/reply/`` endpoint and
times each reply from just before the POST to its arrival at every socket. A
bare ``websockets`` broadcast server, driven by the same client code with a
frame of the same size, runs in the same invocation as the floor.

    python -m bench                      # 10, 100 and 1,000 readers
    python -m bench --readers 1000 --replies 50
    python -m bench --no-write           # print only, leave docs/benchmarks.md alone

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-only-for-127-0-0-1-benchmarks-0123456789"
BODY = ("Pacing helps me most on bad days; I rest before I am tired. " * 9)[:500]
CONNECT_CONCURRENCY = 50


# --- Servers -----------------------------------------------------------------------------


def listening_socket() -> socket.socket:
    """Bound here and inherited by the server (daphne --fd), so no other process
    can take the port between choosing it and listening on it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def server_env(database_url: str, redis_url: str | None) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        ALLOWED_HOSTS="127.0.0.1",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
        LOG_LEVEL="WARNING",
        # One benchmark poster sends 50 replies a run, far past a member's posting limit.
        APP_RATE_LIMITS="false",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


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


def daphne(sock: socket.socket) -> tuple[socket.socket, list[str]]:
    return sock, [sys.executable, "-m", "daphne", "--fd", str(sock.fileno()), "spoonful.asgi:application"]


# --- Data ---------------------------------------------------------------------------------


@dataclass
class Fixture:
    database_url: str
    poster_session: str
    reader_sessions: list[str]


def fresh_postgres(url: str) -> None:
    """Drop and create the benchmark's own PostgreSQL database (named in the URL)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or "bench" not in name:
        raise SystemExit(f"--database-url must name a database for the benchmark alone (with 'bench' in it): {name}")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def prepare_database(workdir: Path, readers: int, database_url: str | None) -> Fixture:
    if database_url:
        fresh_postgres(database_url)
    else:
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = server_env(database_url, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "SECRET_KEY", "DEBUG")})
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spoonful.settings")
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    password = make_password("bench password not used for sign-in")
    users = User.objects.bulk_create(
        [User(username=f"reader{i}", email=f"reader{i}@example.org", password=password) for i in range(readers + 1)]
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users]
    )

    def session_for(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    sessions = [session_for(user) for user in users]
    return Fixture(database_url=database_url, poster_session=sessions[0], reader_sessions=sessions[1:])


def new_discussion(title: str) -> int:
    from django.utils import timezone

    from accounts.models import User
    from discussions.models import Discussion, Visibility

    return Discussion.objects.create(
        author=User.objects.get(username="reader0"),
        title=title,
        body="Benchmark",
        body_html="<p>Benchmark</p>",
        visibility=Visibility.MEMBERS,
        last_activity_at=timezone.now(),
    ).pk


# --- The client side --------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    readers: int
    replies: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per delivery
    post_latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)  # deliveries/s per reply
    delivered: int = 0
    connect_seconds: float = 0.0
    frame_bytes: int = 0
    note: str = ""
    all_p99: list[float] = field(default_factory=list)

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

    def __init__(self, urls: list[str], headers: list[dict], origins: list[str]) -> None:
        self.urls, self.headers, self.origins = urls, headers, origins
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
    """A signed-in member posting through the real form endpoint."""

    def __init__(self, port: int, discussion_id: int, session: str) -> None:
        self.port, self.discussion_id, self.session = port, discussion_id, session
        http = HTTPConnection("127.0.0.1", port, timeout=30)
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
                return await measure(Run("bare websockets broadcast", readers, replies), client, post, 0.2)
            finally:
                poster.close()

        return asyncio.run(go())


def daphne_run(fixture: Fixture, readers: int, replies: int, processes: int, redis_url: str | None, log: Path) -> Run:
    label = "daphne, in-memory, 1 process" if not redis_url else f"daphne, Redis, {processes} processes"
    sockets = [listening_socket() for _ in range(processes)]
    ports = [sock.getsockname()[1] for sock in sockets]
    env = server_env(fixture.database_url, redis_url)
    discussion_id = new_discussion(f"{label} {readers}")
    with Servers([daphne(sock) for sock in sockets], env, log):
        # Readers spread over the processes; the POST goes to the first.
        urls = [f"ws://127.0.0.1:{ports[i % processes]}/ws/d/{discussion_id}/" for i in range(readers)]
        origins = [f"http://127.0.0.1:{ports[i % processes]}" for i in range(readers)]
        headers = [{"Cookie": f"sessionid={session}"} for session in fixture.reader_sessions[:readers]]
        client = Readers(urls, headers, origins)
        poster = Poster(ports[0], discussion_id, fixture.poster_session)

        def post(number: int) -> float:
            return poster.post(f"{BODY} ({number})")

        return asyncio.run(measure(Run(label, readers, replies), client, post, settle=1.5))


def redis_available(url: str) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


# --- Report ---------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def table(runs: list[Run]) -> list[str]:
    bare = {run.readers: run for run in runs if run.label.startswith("bare")}
    lines = [
        "| readers | server | delivered/expected | p50 ms | p99 ms | max ms | p99 vs bare | deliveries/s (median) "
        "| reply POST p50 / p99 ms | connect N sockets s | p99 of each repeat ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        floor = bare.get(run.readers)
        ratio = f"{run.p99() / floor.p99():.1f}x" if floor and floor.p99() > 0 else "-"
        posts = (
            f"{run.pct(run.post_latencies, 0.5):.0f} / {run.pct(run.post_latencies, 0.99):.0f}"
            if run.post_latencies
            else "-"
        )
        rate = f"{statistics.median(run.rates):,.0f}" if run.rates else "-"
        lines.append(
            f"| {run.readers:,} | {run.label}{run.note} | {run.delivered:,}/{run.expected:,} | {run.p50():.0f} "
            f"| {run.p99():.0f} | {run.max():.0f} | {ratio} | {rate} | {posts} | {run.connect_seconds:.2f} "
            f"| {', '.join(f'{value:.0f}' for value in run.all_p99) or '-'} |"
        )
    return lines


def write_report(path: Path, runs: list[Run], args: argparse.Namespace, elapsed: float) -> str:
    frame = max((run.frame_bytes for run in runs if not run.label.startswith("bare")), default=0)
    database_note = "PostgreSQL" if args.database_url else "SQLite (WAL), a temporary file"
    redis_note = args.redis_url if args.redis_runs else "not reachable, two-process runs skipped"
    report = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`, see `bench/fanout.py`); every number below comes from one run",
        "of that command. Method: N websocket clients (signed-in members, one session each) on one discussion; "
        f"{args.replies} replies of {len(BODY)} characters posted one after another through `POST /d/<id>/reply/`;",
        "latency is from just before the POST to each socket receiving the reply's frame (which carries the rendered",
        f"`_reply.html`, about {frame:,} bytes). The bare baseline is a `websockets` broadcast server (bench/bare.py)",
        "sending frames of the same size, driven by the same client code. Client and servers share the machine.",
        f"Each layout ran {args.repeat} times, interleaved; each row is the run with the median p99 (all p99s in",
        "the last column), and the ratio compares median to median. The client pauses its garbage collector while",
        "measuring, so its pauses do not land on one layout.",
        "",
        f"- Machine: {machine()}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}; whole run {elapsed:.0f} s",
        f"- Database: {database_note}; Redis: {redis_note}",
        "",
        "## Reply fan-out",
        "",
        *table(runs),
        "",
    ]
    text = "\n".join(report)
    if not args.no_write:
        path.write_text(text)
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--replies", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="runs per layout; the median p99 is reported")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a PostgreSQL database the benchmark may drop and create (default: a temporary SQLite file)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", choices=["memory", "redis"], help="run one server layout (and the bare floor)")
    args = parser.parse_args(argv)
    args.redis_runs = redis_available(args.redis_url)

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="spoonful-bench-"))
    log = workdir / "servers.log"
    runs: list[Run] = []
    try:
        fixture = prepare_database(workdir, max(args.readers), args.database_url)
        for readers in args.readers:
            print(f"-- {readers} readers", flush=True)
            # Repeats interleave the layouts, so a noisy moment hits them alike;
            # the report keeps each layout's run with the median p99.
            repeats: dict[str, list[Run]] = {}
            for _ in range(args.repeat):
                batch = []
                if args.only != "redis":
                    batch.append(daphne_run(fixture, readers, args.replies, 1, None, log))
                if args.redis_runs and args.only != "memory":
                    batch.append(daphne_run(fixture, readers, args.replies, 2, args.redis_url, log))
                frame_bytes = max(run.frame_bytes for run in batch) or 1500
                batch.insert(0, bare_run(readers, args.replies, frame_bytes - 60, log))
                for run in batch:
                    repeats.setdefault(run.label, []).append(run)
                    print(table([run])[-1], flush=True)
            for label_runs in repeats.values():
                ordered = sorted(label_runs, key=Run.p99)
                chosen = ordered[len(ordered) // 2]
                chosen.all_p99 = [run.p99() for run in label_runs]
                runs.append(chosen)
    finally:
        print(f"server logs: {log}")
    text = write_report(args.out, runs, args, time.monotonic() - started)
    print(text)
    if not args.no_write:
        print(f"written to {args.out}")
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(workdir, ignore_errors=True)
