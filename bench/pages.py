"""Page throughput with wrk at 16 connections: through the production layout (nginx with TLS ->
gunicorn), and the same pages straight from gunicorn (2 workers) and from daphne
(2 processes sharing one listening socket), plain HTTP, for the daphne-vs-gunicorn ratio."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPSConnection
from pathlib import Path

from bench.fanout import Servers, listening_socket

CONNECTIONS = 16
# What nginx tells the layout's processes; the direct servers get it from wrk, so both run the
# same settings (HTTPS seen through a proxy, no redirect).
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


@dataclass
class PageResult:
    page: str
    server: str
    rates: list[float] = field(default_factory=list)  # req/s, one per repetition
    p99s: list[float] = field(default_factory=list)  # ms, under load
    errors: int = 0

    def rate(self) -> float:
        return median(self.rates)

    def p99(self) -> float:
        return median(self.p99s)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else float("nan")


def wrk(url: str, cookie: str, seconds: float, headers: dict[str, str] | None = None) -> tuple[float, float, int]:
    """req/s, p99 ms and failed responses (non-2xx/3xx and socket errors) of one wrk run."""
    if shutil.which("wrk") is None:
        raise SystemExit("the page benchmark needs wrk (Debian/Ubuntu: apt-get install wrk)")
    # A slow page must count as slow, not as wrk's default 2 s timeout (which drops it from the rate).
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "20s", "--latency", url]
    for name, value in {**(headers or {}), **({"Cookie": cookie} if cookie else {})}.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    failed += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return rate, float(p99.group(1)) * scale, failed


def check_page(connection: HTTPConnection, path: str, cookie: str, headers: dict[str, str]) -> None:
    """A page that redirects to sign-in or fails would be measured as fast: refuse it."""
    connection.request("GET", path, headers={**headers, **({"Cookie": cookie} if cookie else {})})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}, not 200: the benchmark's sign-in failed")
    if cookie and b"Sign out" not in body and b"Floor" not in body:
        raise RuntimeError(f"{path} does not look signed in")


def layout_pages(layout, paths: dict[str, tuple[str, str]], seconds: float, repeat: int) -> list[PageResult]:
    """Every page through nginx, interleaved: each repetition runs every page once."""
    results = {name: PageResult(name, "layout: nginx -> gunicorn") for name in paths}
    for _ in range(repeat):
        for name, (path, session) in paths.items():
            # Also waits out the requests the previous wrk run left queued in the workers.
            check_page(HTTPSConnection("127.0.0.1", layout.port, context=layout.tls), path, cookie(session), {})
            rate, p99, failed = wrk(f"{layout.url}{path}", cookie(session), seconds)
            results[name].rates.append(rate)
            results[name].p99s.append(p99)
            results[name].errors += failed
            print(f"   {name}: {rate:,.0f} req/s, p99 {p99:.1f} ms", flush=True)
    return list(results.values())


def cookie(session: str) -> str:
    return f"sessionid={session}" if session else ""


def direct_servers(env: dict[str, str], server: str, log: Path) -> Servers:
    sock = listening_socket()
    fd = str(sock.fileno())
    if server == "gunicorn":
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"fd://{fd}",
            "--workers",
            "2",
            "--forwarded-allow-ips",
            "*",
        ]
        commands = [(sock, [*command, "spoonful.wsgi:application"])]
    else:
        # Two processes accepting from one inherited socket: the kernel shares the load.
        command = [sys.executable, "-m", "daphne", "--fd", fd, "--proxy-headers", "spoonful.asgi:application"]
        commands = [(sock, command), (sock, command)]
        # Under ASGI a persistent connection belongs to whichever executor thread ran the request
        # and is never closed by the request's end (Django ticket #33497): without this the two
        # processes ran PostgreSQL out of connections.
        env = {**env, "CONN_MAX_AGE": "0"}
    return Servers(commands, env, log)


def direct_pages(
    env: dict[str, str], log: Path, paths: dict[str, tuple[str, str]], seconds: float, repeat: int
) -> list[PageResult]:
    """The same pages from gunicorn and from daphne, each with 2 processes, interleaved."""
    results: dict[tuple[str, str], PageResult] = {}
    for _ in range(repeat):
        for server in ("gunicorn", "daphne"):
            with direct_servers(env, server, log) as servers:
                port = servers.ports[0]
                time.sleep(0.5)
                for name, (path, session) in paths.items():
                    # Also waits out the requests the previous wrk run left queued.
                    check_page(HTTPConnection("127.0.0.1", port), path, cookie(session), PROXY_HEADERS)
                    rate, p99, failed = wrk(f"http://127.0.0.1:{port}{path}", cookie(session), seconds, PROXY_HEADERS)
                    result = results.setdefault((name, server), PageResult(name, server))
                    result.rates.append(rate)
                    result.p99s.append(p99)
                    result.errors += failed
                    print(f"   {server} {name}: {rate:,.0f} req/s", flush=True)
    return list(results.values())
