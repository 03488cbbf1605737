"""The production layout as `make prod` starts it (deploy/local_prod.py prepare, then start through
honcho), on its own run directory, ports, PostgreSQL database and Redis database, with the
benchmark's settings (bench/settings.py adds the floor page). Several layouts may run side by
side (daphne and uvicorn socket processes); they share the database."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
from http.client import HTTPSConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOCKET_PROCESSES = 2
# make prod's own default (deploy/local_prod.py): pages wait on PostgreSQL and Redis, so a core
# serves more than one worker. BENCH_WEB_WORKERS=2 repeats the first measurement.
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1))
STOP_SECONDS = 45


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_env(database_url: str, redis_url: str, secret_key: str) -> dict[str, str]:
    """What every layout and every process the benchmark starts shares."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=secret_key,
        DJANGO_SETTINGS_MODULE="bench.settings",
        SOCKET_PROCESSES=str(SOCKET_PROCESSES),
        WEB_WORKERS=str(WEB_WORKERS),
        JOB_WORKERS="1",
        LOG_LEVEL="WARNING",
        # One benchmark poster sends 50 replies a run, far past a member's posting limit.
        APP_RATE_LIMITS="false",
    )
    return env


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: shlex.split(value)[0] if value else "" for name, value in pairs}


class Layout:
    """nginx -> gunicorn (WEB_WORKERS workers) and SOCKET_PROCESSES socket processes, with the job workers."""

    def __init__(self, workdir: Path, env: dict[str, str], socket_server: str) -> None:
        self.socket_server = socket_server
        self.run_dir = workdir / f"layout-{socket_server}"
        self.port = free_port()
        self.env = {**env, "SOCKET_SERVER": socket_server, "HTTPS_PORT": str(self.port), "HTTP_PORT": str(free_port())}
        self.url = f"https://127.0.0.1:{self.port}"
        self.log_path = self.run_dir.with_suffix(".log")
        self.honcho: subprocess.Popen | None = None

    @property
    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.run_dir / "tls" / "certificate.pem"))

    def prepare(self) -> dict[str, str]:
        """Renders the layout's files; returns the environment its processes get."""
        subprocess.run(
            [sys.executable, "deploy/local_prod.py", "prepare", "--dir", str(self.run_dir)],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return {**self.env, **read_env_file(self.run_dir / "env")}

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.honcho = subprocess.Popen(
                [sys.executable, "deploy/local_prod.py", "start", "--dir", str(self.run_dir)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self.wait_until_serving()
        except Exception:
            self.stop()
            raise

    def wait_until_serving(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.honcho.poll() is not None:
                raise RuntimeError(f"the {self.socket_server} layout exited: {self.log_path.read_text()[-3000:]}")
            sockets = all((self.run_dir / f"socket{index}.sock").exists() for index in range(SOCKET_PROCESSES))
            with contextlib.suppress(OSError):
                if sockets and self.get("/healthz")[0] == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"the {self.socket_server} layout did not start: {self.log_path.read_text()[-3000:]}")

    def get(self, path: str, cookie: str = "") -> tuple[int, str]:
        http = HTTPSConnection("127.0.0.1", self.port, context=self.tls, timeout=20)
        try:
            http.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = http.getresponse()
            return response.status, response.read().decode(errors="replace")
        finally:
            http.close()

    def socket_pids(self) -> list[int]:
        """The socket server processes themselves (not a shell honcho may start them through)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                if Path(argv[0].decode()).name in ("sh", "bash", "dash"):
                    continue
                if any(f"{self.run_dir}/socket".encode() in arg and arg.endswith(b".sock") for arg in argv):
                    pids.append(int(entry.name))
        return sorted(pids)

    def socket_rss_kib(self) -> int:
        return sum(rss_kib(pid) for pid in self.socket_pids())

    def stop(self) -> None:
        """SIGTERM to honcho, as a service manager stops it; whatever a failed start left is
        found by its run directory."""
        if self.honcho is not None and self.honcho.poll() is None:
            self.honcho.send_signal(signal.SIGTERM)
            try:
                self.honcho.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.honcho.pid, signal.SIGKILL)
                self.honcho.wait(timeout=10)
        if (self.run_dir / "nginx.pid").exists():
            nginx = ["nginx", "-p", str(self.run_dir), "-c", str(self.run_dir / "nginx.conf"), "-e", "stderr"]
            subprocess.run([*nginx, "-s", "stop"], check=False, capture_output=True)
        subprocess.run(["pkill", "-KILL", "-f", str(self.run_dir)], check=False)


def rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
