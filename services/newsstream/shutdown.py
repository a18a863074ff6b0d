"""Graceful shutdown, one way for every role: SIGTERM and SIGINT set a stop event.

The loops check the event between batches, so the batch in hand is finished (produced or
written, and committed) before the process exits; nothing is cut off mid-write.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """Within the block, SIGTERM/SIGINT set ``stop``; the previous handlers come back after.

    Only the main thread may install handlers: elsewhere (a role run in a test's thread)
    the block runs unchanged and ``stop`` is set by the caller.
    """
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame: object) -> None:
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
