"""Work an app instance does by itself in the background while it runs: a pass every so often
(or at once when woken), in a thread, never on the event loop. The mail worker and the
retention purge are both one of these, started and stopped in the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from starlette.concurrency import run_in_threadpool

# A pass in progress when the app stops is let finish for this long: its thread cannot be
# interrupted, and closing the database under it could leave work done but not recorded.
STOP_GRACE_SECONDS = 30


class PeriodicWorker(ABC):
    """Runs `run_pass` (synchronous, in a thread) `first_delay` seconds after start, then
    every `interval` seconds, or at once after `wake()`. A pass that fails is logged and the
    loop carries on; a pass that returns True is followed by another at once (more is due)."""

    name = "periodic"  # in log lines: "<name> pass failed"
    task_name = "portal-periodic"  # the asyncio task's
    logger = logging.getLogger("portal.periodic")

    def __init__(self, *, interval: float, first_delay: float = 0) -> None:
        self.interval = interval
        self.first_delay = first_delay
        self._task: asyncio.Task[None] | None = None
        # Made in start(): an asyncio.Event belongs to the loop that first uses it.
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @abstractmethod
    def run_pass(self) -> bool:
        """One pass of the work (in a thread); True when more is due at once."""

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the loop as a task of the running event loop."""
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=self.task_name)

    def wake(self) -> None:
        """Run a pass now rather than at the next interval. Safe from any thread."""
        event, loop = self._wake, self._loop
        if event is None or loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:  # a synchronous handler in a worker thread
            loop.call_soon_threadsafe(event.set)

    async def stop(self) -> None:
        """Cancel the loop and wait for it to end, a pass in progress let finish first (for up
        to STOP_GRACE_SECONDS)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # stop() itself was cancelled

    async def _run(self) -> None:
        assert self._wake is not None
        wake = self._wake
        delay = self.first_delay
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), delay)
            wake.clear()
            delay = self.interval
            try:
                more = await self._one_pass()
            except Exception:
                # Tracebacks name no personal data: the engine hides SQL parameters.
                self.logger.exception("%s pass failed", self.name)
                continue
            if more:
                wake.set()

    async def _one_pass(self) -> bool:
        running = asyncio.ensure_future(run_in_threadpool(self.run_pass))
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            running.add_done_callback(self._consume_outcome)
            _done, pending = await asyncio.wait({running}, timeout=STOP_GRACE_SECONDS)
            if pending:
                self.logger.warning("%s pass still running at shutdown", self.name)
            raise

    def _consume_outcome(self, future: asyncio.Future[bool]) -> None:
        # Stopping: the pass's outcome no longer matters, but an exception left unread is reported.
        if not future.cancelled() and future.exception() is not None:
            self.logger.warning("%s pass failed while stopping", self.name)
