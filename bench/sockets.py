"""Sockets through the production layout: fan-out with the POST beside it, connect time, and
resident memory per idle socket, each against the bare `websockets` server in the same run."""

from __future__ import annotations

import asyncio
import math
import sys
import time
from http.client import HTTPSConnection
from pathlib import Path

from bench.fanout import BODY, Poster, Readers, Run, Servers, listening_socket, measure
from bench.layout import Layout, rss_kib
from bench.seed import Fixture, fanout_discussion

SETTLE_SECONDS = 1.0
PER_DISCUSSION = 50  # idle sockets per discussion in the memory measurement


def layout_label(layout: Layout) -> str:
    return f"layout, {layout.socket_server} x2, Redis"


def layout_readers(layout: Layout, discussion_ids: list[int], sessions: list[str], first: int = 0) -> Readers:
    """Socket ``first + i`` reads discussion ``i // PER_DISCUSSION`` of the list (all one discussion
    when the list has one)."""
    last = len(discussion_ids) - 1
    ids = [discussion_ids[min(last, (first + i) // PER_DISCUSSION)] for i in range(len(sessions))]
    urls = [f"wss://127.0.0.1:{layout.port}/ws/d/{discussion_id}/" for discussion_id in ids]
    return Readers(
        urls,
        [{"Cookie": f"sessionid={session}"} for session in sessions],
        [layout.url] * len(sessions),
        tls=layout.tls,
    )


def layout_run(layout: Layout, fixture: Fixture, readers: int, replies: int) -> Run:
    """Readers connect through nginx (TLS) and spread over the socket processes; the poster
    posts through nginx to gunicorn."""
    discussion_id = fanout_discussion(f"{layout.socket_server} {readers} readers")
    client = layout_readers(layout, [discussion_id], fixture.reader_sessions[:readers])
    poster = Poster(layout.port, layout.tls, discussion_id, fixture.poster_session)

    def post(number: int) -> float:
        return poster.post(f"{BODY} ({number})")

    return asyncio.run(measure(Run(layout_label(layout), readers, replies), client, post, settle=SETTLE_SECONDS))


def floor_p99_ms(layout: Layout, session: str, requests: int = 200) -> float:
    """The floor page's p99 for one client alone (one keep-alive connection, one request at a
    time), the yardstick for post-to-screen at 10 readers."""
    http = HTTPSConnection("127.0.0.1", layout.port, context=layout.tls, timeout=20)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        http.request("GET", "/bench/floor/", headers={"Cookie": f"sessionid={session}"})
        response = http.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"the floor page answered {response.status}")
        timings.append(time.perf_counter() - started)
    http.close()
    timings.sort()
    return timings[min(len(timings) - 1, int(0.99 * len(timings)))] * 1000


async def idle_growth(client_for, counts: list[int], rss) -> dict[int, float]:
    """KiB of server RSS per idle socket, as sockets are opened up to each count in turn
    (every socket has had its hello); the sockets are closed at the end."""
    baseline = rss()
    opened: list[Readers] = []
    per_socket: dict[int, float] = {}
    total = 0
    try:
        for count in counts:
            client = client_for(total, count)
            await client.open()
            opened.append(client)
            total = count
            await asyncio.sleep(2)
            per_socket[count] = (rss() - baseline) / count
    finally:
        for client in opened:
            await client.close()
    return per_socket


def layout_memory(layout: Layout, fixture: Fixture, counts: list[int]) -> dict[int, float]:
    # Spread as readers are: thousands on one discussion would keep every socket busy with
    # presence frames ("N reading now"), and they would not be idle.
    discussion_ids = [
        fanout_discussion(f"{layout.socket_server} idle sockets {index}")
        for index in range(math.ceil(max(counts) / PER_DISCUSSION))
    ]

    def client_for(start: int, end: int) -> Readers:
        return layout_readers(layout, discussion_ids, fixture.reader_sessions[start:end], first=start)

    return asyncio.run(idle_growth(client_for, counts, layout.socket_rss_kib))


def bare_memory(counts: list[int], frame_bytes: int, log: Path) -> dict[int, float]:
    sock = listening_socket()
    port = sock.getsockname()[1]
    command = [sys.executable, "-m", "bench.bare", str(sock.fileno()), str(frame_bytes)]
    with Servers([(sock, command)], None, log) as server:
        url = f"ws://127.0.0.1:{port}/"

        def client_for(start: int, end: int) -> Readers:
            return Readers([url] * (end - start), [{}] * (end - start), [f"http://127.0.0.1:{port}"] * (end - start))

        return asyncio.run(idle_growth(client_for, counts, lambda: rss_kib(server.processes[0].pid)))
