"""Helpers shared by test files (a module of its own: test files do not import each other)."""

from __future__ import annotations

import concurrent.futures as cf


class InlineExecutor(cf.Executor):
    """Runs each task at once on the calling thread, counting them (``calls``)."""

    def __init__(self):
        self.calls = 0

    def submit(self, fn, *args, **kwargs):
        self.calls += 1
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future
