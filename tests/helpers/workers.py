"""Child processes against the test database: real job workers (`manage.py qcluster`) in their own
process group, and the database URL any child server or worker opens."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as a URL a child process can open."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """One ``qcluster``; ``kill()`` takes its whole process group down at once, as a crash would."""

    def __init__(self, log_path: Path, command: str = "qcluster", **environment: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "false",
            "JOB_WORKERS": "1",
            "JOB_POLL_SECONDS": "0.1",
            **environment,
        }
        env.pop("REDIS_URL", None)
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", command],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """After the test: a bare qcluster whose group is told to stop hangs until killed (why
        ``job_workers`` exists, tested on its own), and nothing a test checks depends on how it ends."""
        if self.process.poll() is None:
            self.kill()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def wait_for(condition: Callable[[], bool], what: str, worker: Worker, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            raise AssertionError(f"the worker exited while waiting for {what}: {worker.log()}")
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}: {worker.log()}")
