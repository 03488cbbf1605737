"""The written estimate: machines for 100,000 members with 10,000 reading at once, computed from
one run's figures and the assumptions named below (shown in the report with the arithmetic)."""

from __future__ import annotations

import math
import re
import statistics
import subprocess
from typing import TYPE_CHECKING

from bench.seed import COMMUNITY, PAGE_REPLIES

if TYPE_CHECKING:
    from bench.report import Results

# The estimate's assumptions, named so the arithmetic can show them.
MEMBERS = 100_000
READING_AT_ONCE = 10_000
SECONDS_PER_PAGE = 60  # a reader opens a page a minute (reading a discussion of ~50 replies)
PEAK_FACTOR = 3  # the busiest minute against the average reading minute
PAGE_MIX = {
    f"discussion ({PAGE_REPLIES} replies), signed in": 0.6,
    "home, signed in": 0.2,
    f"community #{COMMUNITY}, signed in": 0.1,
    f"discussion ({PAGE_REPLIES} replies), visitor": 0.1,
}
REPLIES_PER_MEMBER_DAY = 0.2
BUSY_HOUR_FACTOR = 4
READERS_PER_REPLY = 100  # readers with the replied-to discussion open, averaged over replies
HEADROOM = 0.6  # run machines at 60% of what was measured
SOCKET_MACHINE_RAM_GIB = 4  # what the socket processes may use on one socket machine


def pgbench_reads_per_second(database_url: str, seconds: int = 5) -> float:
    """PostgreSQL's simple indexed reads per second on this machine (pgbench -S, 8 clients): the
    yardstick for the database tier. Its tables go into the benchmark's own database."""
    subprocess.run(["pgbench", "-i", "-q", "-s", "10", database_url], check=True, capture_output=True)
    output = subprocess.run(
        ["pgbench", "-S", "-c", "8", "-j", "2", "-T", str(seconds), database_url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(re.search(r"tps = ([\d.]+)", output).group(1))


def estimate(results: Results) -> list[str]:
    """Machines for MEMBERS members with READING_AT_ONCE reading, from this run's figures."""
    # A page mix's throughput is the weighted harmonic mean: the time per page adds up.
    mix_rate = 1 / sum(share / results.page(name).rate() for name, share in PAGE_MIX.items())
    page_rate = READING_AT_ONCE / SECONDS_PER_PAGE * PEAK_FACTOR
    web_machines = math.ceil(page_rate / (mix_rate * HEADROOM))

    queries = sum(share * max(0, results.queries.get(name, 0)) for name, share in PAGE_MIX.items())
    query_rate = page_rate * queries
    pg_machines = math.ceil(query_rate / (results.pg_reads * HEADROOM))

    server = results.args.servers[0]
    per_socket_kib = results.memory[server][max(results.args.memory)]
    socket_gib = READING_AT_ONCE * per_socket_kib / 1024 / 1024
    top = max(results.args.readers)
    run = next(run for run in results.runs if run.label == f"layout, {server} x2, Redis" and run.readers == top)
    delivery_rate = statistics.median(run.rates)
    replies_per_second = MEMBERS * REPLIES_PER_MEMBER_DAY / 86_400 * BUSY_HOUR_FACTOR
    deliveries_needed = replies_per_second * READERS_PER_REPLY
    socket_machines = max(
        math.ceil(socket_gib / (SOCKET_MACHINE_RAM_GIB * HEADROOM)),
        math.ceil(deliveries_needed / (delivery_rate * HEADROOM)),
        1,
    )
    reconnect_seconds = READING_AT_ONCE / top * run.connect_seconds / socket_machines

    tiers = {"pages (gunicorn)": web_machines, "PostgreSQL": pg_machines, "sockets": socket_machines}
    bottleneck = max(tiers, key=tiers.get)
    return [
        f"Assumptions (not measured): {MEMBERS:,} members, {READING_AT_ONCE:,} reading at once, each opening a "
        f"page every {SECONDS_PER_PAGE} s, the busiest minute {PEAK_FACTOR}x the average; pages are "
        + ", ".join(f"{share:.0%} {name}" for name, share in PAGE_MIX.items())
        + f"; {REPLIES_PER_MEMBER_DAY} replies per member a day, the busiest hour {BUSY_HOUR_FACTOR}x the average,"
        f" {READERS_PER_REPLY} readers on a replied-to discussion on average; every tier runs at {HEADROOM:.0%} of"
        " what was measured here. A machine means one like this one (2 cores), where the client, nginx,"
        " PostgreSQL and Redis shared the same cores: the figures are pessimistic for each tier alone.",
        "",
        "| tier | arithmetic | machines |",
        "|---|---|---:|",
        f"| pages | {READING_AT_ONCE:,} / {SECONDS_PER_PAGE} s x {PEAK_FACTOR} = {page_rate:,.0f} pages/s; the mix "
        f"runs at {mix_rate:,.1f} pages/s on this machine (the weighted harmonic mean of the measured rates); "
        f"{page_rate:,.0f} / ({mix_rate:,.1f} x {HEADROOM}) | **{web_machines}** |",
        f"| PostgreSQL | {page_rate:,.0f} pages/s x {queries:.1f} queries per page (the mix, counted in this run) = "
        f"{query_rate:,.0f} queries/s; pgbench -S read {results.pg_reads:,.0f} simple reads/s here; "
        f"{query_rate:,.0f} / ({results.pg_reads:,.0f} x {HEADROOM}) (plus a replica to fail over to) "
        f"| **{pg_machines}** |",
        f"| sockets | memory: {READING_AT_ONCE:,} x {per_socket_kib:.1f} KiB ({server}) = {socket_gib:.2f} GiB "
        f"against {SOCKET_MACHINE_RAM_GIB} GiB x {HEADROOM}; fan-out: {MEMBERS:,} x {REPLIES_PER_MEMBER_DAY} / "
        f"86,400 s x {BUSY_HOUR_FACTOR} = {replies_per_second:.1f} replies/s x {READERS_PER_REPLY} = "
        f"{deliveries_needed:,.0f} deliveries/s against {delivery_rate:,.0f}/s measured at {top:,} readers x "
        f"{HEADROOM}; all {READING_AT_ONCE:,} reconnecting after a restart take {READING_AT_ONCE:,} / {top:,} x "
        f"{run.connect_seconds:.1f} s / {socket_machines} = {reconnect_seconds:.0f} s | **{socket_machines}** "
        "(2 for redundancy) |",
        f"| Redis | {replies_per_second:.1f} publishes/s, one per reply, each read by every socket process; the "
        "cache's reads follow the page rate | **1** (shared, small) |",
        "",
        f"First bottleneck: **{bottleneck}** ({tiers[bottleneck]} machines). Each page's own cost (its queries "
        "and its template) decides how many web machines are needed and how hard PostgreSQL works; the sockets "
        "are cheap by comparison, so the page work of issue 13 moves this estimate most. Next comes the "
        f"reconnect after a socket process restarts: {reconnect_seconds:.0f} s for all {READING_AT_ONCE:,} at the "
        "measured connect rate, which fast handshakes and reconnect jitter (issue 13) address.",
    ]
