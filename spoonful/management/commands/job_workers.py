"""Run the job workers (``manage.py qcluster``) so that stopping them is clean.

Process managers stop a service by signalling its whole process group (honcho, and systemd's
default ``KillMode=control-group``). django-q2's cluster then loses its worker processes under
it and waits for them forever, until it is killed. Here the cluster runs in a session of its
own and only its main process hears the stop, which then stops its workers in order: a task
being run is finished or handed back, and nothing is killed.
"""

import signal
import subprocess
import sys
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background job workers (qcluster); SIGTERM or Ctrl-C stops them cleanly."

    def handle(self, *args, **options) -> None:
        cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, start_new_session=True
        )

        def stop(signum: int, frame: FrameType | None) -> None:
            cluster.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        sys.exit(cluster.wait())
