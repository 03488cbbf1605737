"""Re-checking open sockets: after an access event, and on the heartbeat's session sweep.

A socket that may no longer read its discussion is closed (4403); one that may is
moved to the audience it now has. The heartbeat also keeps presence fresh.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from discussions.live import timing
from discussions.live.admission import CLOSE_FORBIDDEN, Admission, still_allowed
from discussions.live.sockets import Reader
from discussions.live.timing import on_live_thread

logger = logging.getLogger(__name__)


def _recheck_all(keys: list[tuple]) -> dict[tuple, Admission | None]:
    return {key: still_allowed(*key) for key in keys}


class SweepMixin:
    """The hub's re-checks. Uses the hub's ``by_discussion``, ``close`` and ``schedule_presence``."""

    async def recheck(self, readers: list[Reader], executor: ThreadPoolExecutor = timing.LIVE_THREAD) -> None:
        readers = [reader for reader in readers if not reader.closed]
        if not readers:
            return
        keys = list({(r.user_id, r.session_key, r.discussion_id) for r in readers})
        verdicts = await on_live_thread(_recheck_all, executor)(keys)
        for reader in readers:
            verdict = verdicts[(reader.user_id, reader.session_key, reader.discussion_id)]
            if verdict is None:
                await self.close(reader, CLOSE_FORBIDDEN)
            else:
                reader.audience = verdict.audience

    async def sweep_sessions(self) -> None:
        # Signed-out visitors too: an access event the transport dropped (a community
        # made private) must not leave them reading. Their checks dedupe per discussion.
        everyone = [r for readers in self.by_discussion.values() for r in readers]
        # In small batches on its own thread: the fan-out goes on meanwhile.
        for start in range(0, len(everyone), 100):
            await self.recheck(everyone[start : start + 100], timing.SWEEP_THREAD)

    async def _heartbeat(self) -> None:
        last_sweep = time.monotonic()
        while True:
            await asyncio.sleep(timing.PRESENCE_HEARTBEAT)
            for discussion_id in list(self.by_discussion):
                self.schedule_presence(discussion_id)
            if time.monotonic() - last_sweep > timing.SESSION_SWEEP:
                last_sweep = time.monotonic()
                try:
                    await self.sweep_sessions()
                except Exception:
                    logger.warning("live: session sweep failed", exc_info=True)
