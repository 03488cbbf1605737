"""`make bench`: issue 13's measurements in one invocation, written to docs/benchmarks.md.

Starts the production layout twice side by side (deploy/local_prod.py, as `make prod` does: nginx
with TLS -> gunicorn with make prod's workers, 2 socket processes on Redis, the job workers, PostgreSQL),
once with daphne and once with uvicorn socket processes, on the benchmark's own database and
Redis database, and measures pages (wrk), reply fan-out, connect time and idle memory per socket
against the floor page and the bare `websockets` server. Every layout and page is repeated,
interleaved, and the median kept.

    python -m bench              # the full run (about 11 minutes on 2 cores)
    python -m bench --quick      # small numbers and short runs, to check that it works
    python -m bench --no-write   # print only, leave docs/benchmarks.md alone

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench import pages, report, sockets
from bench.estimate import pgbench_reads_per_second
from bench.fanout import Run, bare_run
from bench.layout import WEB_WORKERS, Layout, base_env
from bench.seed import fresh_postgres, fresh_redis, page_queries, prepare_data

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-only-for-127-0-0-1-benchmarks-0123456789"
SECTIONS = ["pages", "direct", "memory", "fanout", "postgres"]
QUICK = {"readers": [10, 100], "replies": 10, "repeat": 1, "wrk_seconds": 3, "direct_seconds": 3, "memory": [100, 500]}


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small numbers, one repetition: a check, not a result")
    parser.add_argument("--readers", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--replies", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions; medians are reported")
    parser.add_argument("--wrk-seconds", type=float, default=6, help="wrk run per page through the layout")
    parser.add_argument("--direct-seconds", type=float, default=3, help="wrk run per page, gunicorn vs daphne")
    parser.add_argument("--memory", type=int, nargs="+", default=[1000, 5000], help="idle sockets held")
    parser.add_argument("--servers", nargs="+", default=["daphne", "uvicorn"], choices=["daphne", "uvicorn"])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/spoonful_bench"),
        help="a PostgreSQL database the benchmark drops and creates (its name must contain 'bench')",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--skip", nargs="+", default=[], choices=SECTIONS, help="leave sections out (a check)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true")
    if parser.parse_args(argv).quick:
        # Defaults only: a number given on the command line still counts.
        parser.set_defaults(**QUICK)
    return parser.parse_args(argv)


def raise_open_files_limit(sockets: int) -> None:
    """Each client socket is one descriptor here; the default soft limit is often 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = sockets + 1024
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        raise SystemExit(f"{sockets:,} sockets need {needed:,} open files; the hard limit is {hard:,}")


def fanout(layouts: list[Layout], fixture, args, log: Path) -> tuple[list[Run], list[float]]:
    """For each reader count: repetitions interleave bare and every layout; the run with the
    median p99 of each is kept. Zero readers measures the POST alone."""
    chosen: list[Run] = []
    floor_p99s: list[float] = []
    for readers in [0, *args.readers]:
        print(f"-- fan-out, {readers} readers", flush=True)
        repeats: dict[str, list[Run]] = {}
        for _ in range(args.repeat):
            batch = [sockets.layout_run(layout, fixture, readers, args.replies) for layout in layouts]
            if readers == args.readers[0]:
                floor_p99s.append(sockets.floor_p99_ms(layouts[0], fixture.member_session))
            if readers:
                frame_bytes = max(run.frame_bytes for run in batch) or 1500
                batch.insert(0, bare_run(readers, args.replies, frame_bytes - 60, log))
            for run in batch:
                repeats.setdefault(run.label, []).append(run)
                print("  ", report.fanout_rows([run])[-1], flush=True)
        for runs in repeats.values():
            ordered = sorted(runs, key=lambda run: run.pct(run.post_latencies, 0.99) if not run.readers else run.p99())
            median = ordered[len(ordered) // 2]
            median.all_p99 = [run.p99() if run.readers else run.pct(run.post_latencies, 0.99) for run in runs]
            median.all_connect = [run.connect_seconds for run in runs]
            chosen.append(median)
    return chosen, floor_p99s


def step(name: str, started: float) -> None:
    print(f"-- {name} (at {time.monotonic() - started:.0f} s)", flush=True)


def leftovers(workdir: Path) -> str:
    found = subprocess.run(["pgrep", "-af", str(workdir)], capture_output=True, text=True).stdout
    return found.strip()


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    started = time.monotonic()
    raise_open_files_limit(max([*args.memory, *args.readers]))
    workdir = Path(tempfile.mkdtemp(prefix="spoonful-bench-"))
    log = workdir / "servers.log"
    fresh_postgres(args.database_url)
    fresh_redis(args.redis_url)
    env = base_env(args.database_url, args.redis_url, SECRET)
    layouts = [Layout(workdir, env, server) for server in args.servers]
    process_envs = [layout.prepare() for layout in layouts]
    process_env = process_envs[0]  # the layouts differ only in their socket server and ports
    step("seeding", started)
    fixture = prepare_data(process_env, members=max([*args.memory, *args.readers]))
    results = report.Results(args=args, queries=page_queries(fixture))
    try:
        for layout in layouts:
            layout.start()
            # A fresh process's first reply and first frame pay for imports and template loading.
            sockets.layout_run(layout, fixture, readers=4, replies=2 * WEB_WORKERS)
        if "pages" not in args.skip:
            step("pages through the layout", started)
            results.pages = pages.layout_pages(layouts[0], fixture.paths(), args.wrk_seconds, args.repeat)
        if "direct" not in args.skip:
            step("pages, gunicorn vs daphne", started)
            results.direct = pages.direct_pages(process_env, log, fixture.paths(), args.direct_seconds, args.repeat)
        if "memory" not in args.skip:
            step("idle sockets", started)
            for layout in layouts:
                results.memory[layout.socket_server] = sockets.layout_memory(layout, fixture, args.memory)
            results.memory["bare websockets"] = sockets.bare_memory(args.memory, 1500, log)
        if "fanout" not in args.skip:
            results.runs, results.floor_p99s = fanout(layouts, fixture, args, log)
        if "postgres" not in args.skip:
            step("PostgreSQL reads (pgbench -S)", started)
            results.pg_reads = pgbench_reads_per_second(args.database_url)
    finally:
        for layout in layouts:
            layout.stop()
        results.leftovers = leftovers(workdir)
        print(f"logs: {workdir}")
    results.elapsed = time.monotonic() - started
    # Kept beside the logs, so that the report can be rendered again without measuring again.
    (workdir / "results.pickle").write_bytes(pickle.dumps(results))
    text = report.render(results)
    print(text)
    if not args.no_write:
        report.write(args.out, text)
        print(f"written to {args.out}")
    if results.leftovers:
        raise SystemExit(f"processes left running: {results.leftovers}")
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(workdir, ignore_errors=True)
