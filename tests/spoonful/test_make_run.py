"""`make run` starts the server and a job worker under honcho, which hands each process type its own
PORT (the second gets PORT + 100): every one of them must still link to the address the site serves."""

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Each stand-in writes the address its emails would link to, then waits to be stopped with the rest.
PROBE = (
    "import pathlib, sys, time, django; django.setup(); from django.conf import settings; "
    "pathlib.Path(sys.argv[1]).write_text(settings.SITE_URL); time.sleep(60)"
)


def honcho_command_of_make_run(port: int) -> str:
    ours = {"SITE_URL", "HOST", "PORT", "DEBUG"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    dry = subprocess.run(
        ["make", "--dry-run", "run", f"PORT={port}"], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert dry.returncode == 0, dry.stderr
    return next(line for line in dry.stdout.splitlines() if "honcho -f Procfile.dev start" in line)


def test_every_process_make_run_starts_links_to_the_address_it_serves(tmp_path):
    names = [line.split(":")[0] for line in (ROOT / "Procfile.dev").read_text().splitlines() if ":" in line]
    assert len(names) > 1
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "".join(f"{name}: {shlex.quote(sys.executable)} -c {shlex.quote(PROBE)} {tmp_path / name}\n" for name in names)
    )
    command = honcho_command_of_make_run(8123).replace("-f Procfile.dev", f"-f {procfile} -d {ROOT}")
    environment = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT"}}
    environment["DJANGO_SETTINGS_MODULE"] = "spoonful.settings"
    honcho = subprocess.Popen(
        ["bash", "-c", command], cwd=ROOT, env=environment, start_new_session=True, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / name).exists() for name in names) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.2)
        addresses = {name: (tmp_path / name).read_text() if (tmp_path / name).exists() else None for name in names}
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        honcho.wait(timeout=30)

    assert addresses == dict.fromkeys(names, "http://127.0.0.1:8123")
