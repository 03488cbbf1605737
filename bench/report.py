"""docs/benchmarks.md from one `python -m bench` run: the header, the method, the tables, and the
capacity estimate computed from the same numbers."""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import os
import platform
import re
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.estimate import estimate
from bench.fanout import BARE, Run
from bench.layout import WEB_WORKERS
from bench.pages import PageResult, median


@dataclass
class Results:
    args: argparse.Namespace
    queries: dict[str, int]
    pages: list[PageResult] = field(default_factory=list)
    direct: list[PageResult] = field(default_factory=list)
    memory: dict[str, dict[int, float]] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    floor_p99s: list[float] = field(default_factory=list)
    pg_reads: float = 0.0  # pgbench -S transactions per second
    elapsed: float = 0.0
    leftovers: str = ""

    def page(self, name: str) -> PageResult:
        return next(result for result in self.pages if result.page == name)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().split()[1]
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(memory) / 1024 / 1024:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def versions(database_url: str) -> str:
    names = ["Django", "channels", "channels-redis", "daphne", "uvicorn", "gunicorn", "websockets", "psycopg"]
    found = [f"{name} {importlib.metadata.version(name)}" for name in names]
    with psycopg.connect(database_url) as connection:
        server = connection.info.server_version
    found.append(f"PostgreSQL {server // 10000}.{server % 10000}")
    for command in (["nginx", "-v"], ["wrk", "-v"], ["redis-server", "--version"]):
        output = subprocess.run(command, capture_output=True, text=True, check=False)
        number = re.search(r"\d+\.\d+(\.\d+)?", output.stdout + output.stderr)
        found.append(f"{command[0]} {number.group(0) if number else '?'}")
    return ", ".join(found)


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def fanout_rows(runs: list[Run], bare: dict[int, Run] | None = None) -> list[str]:
    bare = bare or {}
    lines = [
        "| readers | server | delivered/expected | p50 ms | p99 ms | p99 vs bare "
        "| delivery after the POST p50 / p99 ms | reply POST p50 / p99 ms | deliveries/s "
        "| connect N s (vs bare) | p99 of each repeat ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        floor = bare.get(run.readers)
        ratio = f"{run.p99() / floor.p99():.1f}x" if floor and floor.p99() > 0 and run is not floor else "-"
        connect = f"{run.connect_seconds:.2f}"
        if floor and floor.connect_seconds > 0 and run is not floor:
            connect += f" ({run.connect_seconds / floor.connect_seconds:.1f}x)"
        lines.append(
            f"| {run.readers:,} | {run.label} | {run.delivered:,}/{run.expected:,} | {ms(run.p50())} | {ms(run.p99())} "
            f"| {ratio} | {pair(run, run.after_post)} | {pair(run, run.post_latencies)} "
            f"| {statistics.median(run.rates) if run.rates else float('nan'):,.0f} | {connect} "
            f"| {', '.join(ms(value) for value in run.all_p99) or '-'} |"
        )
    return lines


def pair(run: Run, values: list[float]) -> str:
    return f"{ms(run.pct(values, 0.5))} / {ms(run.pct(values, 0.99))}" if values else "-"


def page_rows(results: Results) -> list[str]:
    if not results.pages:
        return ["Not measured in this run."]
    floor = results.page("floor")
    direct = {(result.page, result.server): result for result in results.direct}
    lines = [
        "| page | queries | layout req/s | vs the floor | p99 under load ms | gunicorn req/s | daphne req/s "
        "| daphne vs gunicorn | failed responses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results.pages:
        gunicorn, daphne = direct.get((result.page, "gunicorn")), direct.get((result.page, "daphne"))
        errors = result.errors + sum(r.errors for r in (gunicorn, daphne) if r)
        lines.append(
            f"| {result.page} | {results.queries.get(result.page, '-')} | {result.rate():,.0f} "
            f"| {result.rate() / floor.rate():.2f}x | {ms(result.p99())} "
            f"| {gunicorn.rate() if gunicorn else float('nan'):,.0f} "
            f"| {daphne.rate() if daphne else float('nan'):,.0f} "
            f"| {daphne.rate() / gunicorn.rate() if gunicorn and daphne else float('nan'):.2f}x | {errors} |"
        )
    return lines


def memory_rows(results: Results) -> list[str]:
    counts = results.args.memory
    lines = [
        "| server | " + " | ".join(f"KiB per idle socket at {count:,}" for count in counts) + " |",
        "|---|" + "---:|" * len(counts),
    ]
    for server, per_socket in results.memory.items():
        lines.append(
            f"| {server} | " + " | ".join(f"{per_socket.get(count, float('nan')):.1f}" for count in counts) + " |"
        )
    return lines


def socket_choice(results: Results) -> list[str]:
    """daphne against uvicorn on the three figures the brief names."""
    by = {(run.label, run.readers): run for run in results.runs}
    top = max(results.args.readers)
    lines = ["| figure | " + " | ".join(results.args.servers) + " | lower is better |", "|---|" + "---:|" * 2 + "---|"]
    figures = {
        f"fan-out p99 at {top:,} readers, ms": lambda s: by[(f"layout, {s} x2, Redis", top)].p99(),
        f"connect {top:,} sockets, s": lambda s: by[(f"layout, {s} x2, Redis", top)].connect_seconds,
        f"reply POST p99 at {top:,} readers, ms": lambda s: by[(f"layout, {s} x2, Redis", top)].pct(
            by[(f"layout, {s} x2, Redis", top)].post_latencies, 0.99
        ),
        f"KiB per idle socket at {max(results.args.memory):,}": lambda s: results.memory[s][max(results.args.memory)],
    }
    wins: dict[str, int] = {}
    for name, value in figures.items():
        values = {server: value(server) for server in results.args.servers}
        best = min(values, key=values.get)
        wins[best] = wins.get(best, 0) + 1
        lines.append(f"| {name} | " + " | ".join(f"{values[s]:,.2f}" for s in results.args.servers) + f" | {best} |")
    ranked = sorted(wins.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        lines += ["", f"A tie on these figures ({ranked[0][1]} each)."]
    else:
        lines += ["", f"Lower on more figures here: **{ranked[0][0]}** ({ranked[0][1]} of {len(figures)})."]
    return lines


def goal_rows(results: Results) -> list[str]:
    """Issue 13's goals, each as the ratio it names, for every socket server measured."""
    lines = ["| goal | measured | met |", "|---|---:|---|"]

    def add(goal: str, value: float, limit: float, unit: str = "x", at_least: bool = False) -> None:
        if math.isnan(value):
            return
        met = value >= limit if at_least else value <= limit
        lines.append(f"| {goal} | {value:.2f}{unit} | {'yes' if met else '**no**'} |")

    if results.pages:
        floor = results.page("floor").rate()
        for page in results.pages[1:3]:
            add(f"{page.page} >= 0.30x the floor", page.rate() / floor, 0.3, at_least=True)
        for page in results.pages[3:]:
            add(f"{page.page} >= 0.40x the floor", page.rate() / floor, 0.4, at_least=True)
    runs = {(run.label, run.readers): run for run in results.runs}
    low, top = results.args.readers[0], max(results.args.readers)
    floor_p99 = median(results.floor_p99s)
    for server in results.args.servers if results.runs else []:
        label = f"layout, {server} x2, Redis"
        few, many, alone, bare = runs[(label, low)], runs[(label, top)], runs[(label, 0)], runs[(BARE, top)]
        add(f"{server}: post-to-screen p99 at {low:,} readers <= 1.5x the floor page's p99", few.p99() / floor_p99, 1.5)
        after = few.pct(few.after_post, 0.99)
        add(f"{server}: delivery after the POST p99 at {low:,} readers <= 5 ms", after, 5, " ms")
        add(f"{server}: p99 at {top:,} readers <= 2x bare", many.p99() / bare.p99(), 2)
        post_ratio = many.pct(many.post_latencies, 0.99) / alone.pct(alone.post_latencies, 0.99)
        add(f"{server}: POST p99 at {top:,} readers <= 1.5x with none", post_ratio, 1.5)
        add(f"{server}: opening {top:,} sockets <= 3x bare", many.connect_seconds / bare.connect_seconds, 3)
        if server in results.memory:
            most = max(results.args.memory)
            add(f"{server}: KiB per idle socket at {most:,} <= 40", results.memory[server][most], 40, " KiB")
    return lines


def complete(results: Results) -> bool:
    """The estimate needs every section, measured."""
    rates_measured = bool(results.pages) and all(result.rate() > 0 for result in results.pages)
    return rates_measured and bool(results.memory) and bool(results.runs) and results.pg_reads > 0


def render(results: Results) -> str:
    args = results.args
    bare = {run.readers: run for run in results.runs if run.label == BARE}
    floor_p99 = median(results.floor_p99s)
    ten = next((run for run in results.runs if run.readers == args.readers[0] and run.label.startswith("layout")), None)
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`, see `bench/run.py`); every number below comes from one run of "
        "that command, and each ratio compares figures of that same run.",
        "",
        f"- Machine: {machine()}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}; whole run {results.elapsed:.0f} s",
        f"- Versions: {versions(args.database_url)}",
        f"- Settings: {args.repeat} interleaved repetition(s) (medians), {args.replies} replies per fan-out run, wrk "
        f"{args.wrk_seconds:g} s per page (layout) and {args.direct_seconds:g} s (gunicorn vs daphne)",
    ]
    if args.quick:
        lines += [
            "",
            "**A quick run (`--quick`): small numbers and one repetition, to check the bench works. "
            "These are not results; run `make bench` on a quiet machine.**",
        ]
    lines += [
        "",
        "## Method",
        "",
        "- **The layout** is `make prod`'s (deploy/local_prod.py prepare and start, through honcho): nginx with TLS "
        f"-> gunicorn, {WEB_WORKERS} workers (make prod's default, 2 x cores + 1; the issue's first measurement "
        "had 2), for pages and POSTs; 2 socket processes for `/ws/`; the job workers; PostgreSQL "
        "(its own database) and Redis (its own database number). Two layouts run side by side, one with daphne "
        "socket processes and one with uvicorn (`SOCKET_SERVER`); pages are measured on the first. The client, "
        "the layouts, PostgreSQL and Redis share the machine.",
        "- **The floor page** (`/bench/floor/`, only in `bench/urls.py`, which only the benchmark's layouts use) "
        "is the whole middleware stack, the session read and the user lookup (login required), then a tiny "
        "template naming the member: what every page pays before its own work. It has none of the site's chrome.",
        "- **Pages**: wrk, 2 threads, 16 connections, HTTPS through nginx. Two public discussions in #mecfs, "
        "with 5 replies (the size issue 13's own measurement used) and with 50 replies (a long thread's first "
        "window); signed-in pages are read by a member of #mecfs (a session made directly), the visitor "
        "pages with no cookie. Queries per page are counted once in the benchmark's own process with the same "
        "settings. **gunicorn vs daphne**: the same pages straight from each server (plain HTTP, no nginx; 2 "
        "gunicorn workers, or 2 daphne processes sharing one listening socket, with `CONN_MAX_AGE=0` since "
        "persistent connections leak under ASGI), wrk sending the proxy's headers.",
        "- **Fan-out**: N members (one session each) hold sockets on one members-only discussion through nginx; "
        "one member posts replies of 500 characters one after another through `POST /d/<id>/reply/` (to gunicorn), "
        "each waiting for its fan-out. Latency runs from just before the POST to each socket receiving the "
        "reply's frame; *delivery after the POST* is that minus the POST's own time. 0 readers measures the POST "
        "alone. **Bare**: a `websockets` broadcast server (bench/bare.py), frames of the same size, same client "
        "code, plain `ws://` with no proxy. *Connect N* is opening N sockets 50 at a time until every socket has "
        "its hello. Delivered/expected shows lost replies.",
        "- **Idle memory**: sockets opened 50 to a discussion (thousands on one would be kept busy by presence "
        "frames), up to each count in turn; the socket processes' "
        "summed RSS growth over their RSS before, divided by the sockets held (one repetition).",
        "",
        "## Against issue 13's goals",
        "",
        *goal_rows(results),
        "",
        "## Pages",
        "",
        *page_rows(results),
        "",
        "## Reply fan-out through the layout",
        "",
        *fanout_rows(results.runs, bare),
        "",
        f"The floor page's p99 for a lone client (200 requests, one at a time): {ms(floor_p99)} ms"
        + (f"; post-to-screen p99 at {ten.readers:,} readers is {ten.p99() / floor_p99:.1f}x that." if ten else "."),
        f"Lost replies: {sum(run.expected - run.delivered for run in results.runs):,}.",
        "",
        "## Idle memory per socket",
        "",
        *memory_rows(results),
        "",
    ]
    if len(args.servers) > 1 and results.memory and results.runs:
        lines += ["## daphne or uvicorn for the socket processes", "", *socket_choice(results), ""]
    lines += ["## Estimate: 100,000 members, 10,000 reading at once", ""]
    lines += [*estimate(results), ""] if complete(results) else ["Not computed: a section was left out or failed.", ""]
    return "\n".join(lines)


MARKDOWN_SECTION = "## Markdown rendering"


def write(path: Path, text: str) -> None:
    """Keeps the markdown-render section, which `python -m bench.markdown_render` writes."""
    existing = path.read_text() if path.exists() else ""
    kept = existing[existing.find(MARKDOWN_SECTION) :] if MARKDOWN_SECTION in existing else ""
    path.write_text(text + ("\n" + kept if kept else ""))
