"""Watching a Dask cluster during a sweep (``benchmark --scheduler``): Dask recomputes the runs of
a lost worker without a word, and waits for ever when every worker is gone. The watch says the
first, and turns the second into :class:`WorkersLost` after a time with no worker, so the sweep
stops with its finished runs recorded."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable, Optional, Set


class WorkersLost(RuntimeError):
    """No Dask worker was connected for the watch's timeout (or the scheduler stopped answering)."""


class WorkerWatch:
    """Polls the client's scheduler for its workers from a thread, every ``interval`` seconds.
    Calling the watch (``sweep(..., watch=)`` does, between its waits) passes each event to
    ``say`` and raises WorkersLost once no worker has been connected for ``timeout`` seconds.

    Parameters
    ----------
    client : distributed.Client
    timeout : float
        Seconds without any worker (from the start, or from the last one lost) before giving up.
    say : callable
        Takes one line of text (a worker lost or joined).
    interval : float
    """

    def __init__(self, client: Any, timeout: float, say: Callable[[str], None], interval: float = 1.0) -> None:
        self.client, self.timeout, self.say, self.interval = client, timeout, say, interval
        self._events: "queue.SimpleQueue[str]" = queue.SimpleQueue()
        self._gave_up: Optional[str] = None
        self._stop = threading.Event()
        self._known: Set[str] = self._workers() or set()
        self._thread = threading.Thread(target=self._run, name="nalu_ext-dask-watch", daemon=True)
        self._thread.start()

    def _workers(self) -> Optional[Set[str]]:
        """The connected workers' addresses; None when the scheduler does not answer."""
        try:
            return set(self.client.scheduler_info()["workers"])
        except Exception:  # noqa: BLE001  (a closed comm, a timeout: no answer is no worker)
            return None

    def _run(self) -> None:
        last_worker = time.monotonic()
        while not self._stop.wait(self.interval):
            workers = self._workers()
            now = set() if workers is None else workers
            for address in sorted(self._known - now):
                self._events.put(f"dask: worker {address} was lost; the runs it was running start again on "
                                 f"the others ({len(now)} left)")
            for address in sorted(now - self._known):
                self._events.put(f"dask: worker {address} joined ({len(now)} now)")
            self._known = now
            if now:
                last_worker = time.monotonic()
            elif time.monotonic() - last_worker >= self.timeout:
                what = "the scheduler stopped answering" if workers is None else "no worker is connected"
                self._gave_up = f"{what} for {self.timeout:g} s; giving up on the runs that had not finished"
                return

    def __call__(self) -> None:
        """Says what happened since the last call; raises WorkersLost when the watch gave up."""
        while True:
            try:
                self.say(self._events.get_nowait())
            except queue.Empty:
                break
        if self._gave_up is not None:
            raise WorkersLost(f"dask: {self._gave_up}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
