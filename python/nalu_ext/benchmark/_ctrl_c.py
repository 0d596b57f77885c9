"""Ctrl-C as a flag, for code that waits on threads.

Python delivers Ctrl-C as a KeyboardInterrupt raised wherever the main thread happens to be. In
the middle of concurrent.futures' own locking that leaves a lock held or released twice: the
sweep then hung with a worker waiting on the lock, or died with "release unlocked lock" (seen on
a second Ctrl-C 10 ms after the first). Inside :func:`ctrl_c_as_flag` a press only sets a flag,
which the waiting loop reads between short waits; later presses, while the work winds down, set
it again and do no harm.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator


class CtrlC:
    """Whether Ctrl-C was pressed inside the block."""

    def __init__(self) -> None:
        self.pressed = False

    def press(self, *_: Any) -> None:  # a signal handler's signature; sets a bool, takes no lock
        self.pressed = True


@contextlib.contextmanager
def ctrl_c_as_flag() -> Iterator[CtrlC]:
    """Within the block Ctrl-C sets ``.pressed`` instead of raising. Only where Python would
    raise it: in the main thread (the only one that receives signals) with Python's default
    handler. A handler of the caller's own, or SIGINT ignored, is left in place; the caller should
    still treat a KeyboardInterrupt as a press."""
    flag = CtrlC()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield flag
        return
    signal.signal(signal.SIGINT, flag.press)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
