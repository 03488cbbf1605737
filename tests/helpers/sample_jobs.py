"""Jobs for the worker tests. They live in an importable module because a worker
process imports a job by its dotted name, as it does the product's own."""

import time
from pathlib import Path

from notifications.emails import send_immediate


def fails_until_fixed(fixed_flag: str) -> str:
    if not Path(fixed_flag).exists():
        raise RuntimeError("the mail server said no")
    return "sent"


def emails_once_released(started_flag: str, release_flag: str, notification_ids: list[int]) -> int:
    """Marks that it started, waits (a worker may be killed here), then sends the notification emails."""
    Path(started_flag).touch()
    deadline = time.monotonic() + 4
    while not Path(release_flag).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return send_immediate(notification_ids)
