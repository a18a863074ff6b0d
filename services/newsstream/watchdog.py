"""A consumer that has stopped making progress says so and exits, so it can be restarted.

A monitoring pipeline that silently stalls is the worst failure it can have. Three states
were seen in practice (kafka-python 3.0 against a restarted broker or a fresh topic):

* **stalled**: records are waiting (lag > 0) but no position has moved for
  ``NEWSSTREAM_STALL_SECONDS`` (an endless retry, a fetch that never returns data);
* **unassigned**: the member holds no partition long after joining, although the group has
  fewer members than the topic has partitions (a join that never completed);
* **spinning**: ``poll()`` returns at once with nothing, more than 50 times a second for 10 s
  (a busy loop at full CPU).

The watchdog decides from what the worker tells it (polls, records, positions) plus a look at
the consumer's own state, logs everything that helps a post-mortem (assignment, positions,
coordinator and member state) and raises :class:`~newsstream.errors.ConsumerStalledError`;
the process exits with :data:`STALL_EXIT_CODE` and ``newsstream run`` restarts it with
back-off. Nothing is lost: offsets were only committed for durable output.
A worker that is *deliberately* waiting (the indexer during an Elasticsearch outage) says so
with :meth:`Watchdog.waiting`, which stops the stall clock.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter

from newsstream.errors import ConsumerStalledError

log = logging.getLogger(__name__)

#: Exit code of a worker the watchdog stopped (EX_TEMPFAIL: "try again").
STALL_EXIT_CODE = 75
#: Empty polls per second that count as a busy loop, and for how long.
SPIN_POLLS_PER_S = 50.0
SPIN_WINDOW_S = 10.0
#: An idle consumer (no record for a whole window) whose process uses more than this share of
#: a core is spinning inside the client (seen with kafka-python 3.0: 85 % of a core, idle).
SPIN_CPU_SHARE = 0.6
#: How often the watchdog looks (its checks read only local client state).
CHECK_EVERY_S = 1.0

STALLS = Counter(
    "newsstream_consumer_stalls_total", "Consumers the watchdog stopped, by reason", ["reason"]
)


def _positions(consumer: Any) -> dict[Any, int | None]:
    out: dict[Any, int | None] = {}
    for tp in consumer.assignment():
        try:
            out[tp] = consumer.position(tp)
        except Exception:  # a partition being reset: unknown, not progress
            out[tp] = None
    return out


def describe(consumer: Any) -> dict[str, Any]:
    """What a post-mortem needs: assignment, positions, high watermarks, coordinator state."""
    coordinator = getattr(consumer, "_coordinator", None)
    positions = _positions(consumer)
    return {
        "assignment": sorted(f"{tp.topic}:{tp.partition}" for tp in positions),
        "positions": {f"{tp.topic}:{tp.partition}": pos for tp, pos in positions.items()},
        "highwaters": {
            f"{tp.topic}:{tp.partition}": consumer.highwater(tp) for tp in consumer.assignment()
        },
        "paused": sorted(f"{tp.topic}:{tp.partition}" for tp in consumer.paused()),
        "member_state": str(getattr(coordinator, "state", "?")),
        "coordinator_id": getattr(coordinator, "coordinator_id", None),
        "generation": str(getattr(coordinator, "_generation", "?")),
    }


@dataclass
class Watchdog:
    """One per consumer; ``polled`` after every poll, ``check`` once per loop turn."""

    consumer: Any
    role: str
    stall_s: float
    join_grace_s: float
    #: Lag of the assigned partitions (may ask the broker; called at most every ``CHECK_EVERY_S``).
    lag: Callable[[], int]
    #: Partitions of the topic and members of the group, for the "unassigned" verdict;
    #: None when unknown (then an unassigned member is given the benefit of the doubt).
    group_shape: Callable[[], tuple[int, int] | None] = lambda: None
    clock: Callable[[], float] = time.monotonic
    #: The process's CPU seconds (all threads); None turns the idle-CPU check off.
    cpu: Callable[[], float] | None = None
    _started: float = field(default=0.0, init=False)
    _last_progress: float = field(default=0.0, init=False)
    _last_positions: dict[Any, int | None] = field(default_factory=dict, init=False)
    _empty_polls: deque[float] = field(default_factory=deque, init=False)
    _next_check: float = field(default=0.0, init=False)
    _unassigned_since: float | None = field(default=None, init=False)
    _waiting: bool = field(default=False, init=False)
    _idle_window: tuple[float, float] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._started = self._last_progress = self.clock()
        self._unassigned_since = self._started  # a new member starts without partitions

    def waiting(self, on: bool) -> None:
        """The worker waits on purpose (e.g. for Elasticsearch): not a stall."""
        self._waiting = on
        self._last_progress = self.clock()

    def progress(self) -> None:
        """The worker has just finished work (a batch): a fresh idle-CPU window starts now."""
        self._idle_window = None

    def polled(self, records: int) -> None:
        now = self.clock()
        if records:
            self._last_progress = now
            self._empty_polls.clear()
            self._idle_window = None
            return
        self._empty_polls.append(now)
        while self._empty_polls and self._empty_polls[0] < now - SPIN_WINDOW_S:
            self._empty_polls.popleft()

    def check(self) -> None:
        """Raise :class:`ConsumerStalledError` if the consumer is stalled, unassigned, spinning."""
        now = self.clock()
        if now < self._next_check:
            return
        self._next_check = now + CHECK_EVERY_S
        reason = self._spinning(now) or self._unassigned(now) or self._stalled(now)
        if reason is not None:
            self._trip(reason)

    def _burning(self, now: float) -> str | None:
        """Idle for a whole window, yet the process kept a core busy: a spin in the client."""
        if self.cpu is None or self._waiting:
            return None
        if self._idle_window is None:
            self._idle_window = (now, self.cpu())
            return None
        began, cpu_then = self._idle_window
        if now - began < SPIN_WINDOW_S:
            return None
        cpu_now = self.cpu()
        share = (cpu_now - cpu_then) / (now - began)
        self._idle_window = (now, cpu_now)
        if share > SPIN_CPU_SHARE:
            return f"spinning: {share:.0%} of a core while idle for {now - began:.0f}s"
        return None

    def _spinning(self, now: float) -> str | None:
        burning = self._burning(now)
        if burning is not None:
            return burning
        if now - self._started < SPIN_WINDOW_S or not self._empty_polls:
            return None
        rate = len(self._empty_polls) / SPIN_WINDOW_S
        if rate > SPIN_POLLS_PER_S:
            return f"spinning: {rate:.0f} empty polls/s for {SPIN_WINDOW_S:.0f}s"
        return None

    def _unassigned(self, now: float) -> str | None:
        if self.consumer.assignment():
            self._unassigned_since = None
            return None
        if self._unassigned_since is None:
            self._unassigned_since = now
        waited = now - max(self._unassigned_since, self._started)
        if waited < self.join_grace_s:
            return None
        shape = self.group_shape()
        if shape is None:
            return None
        partitions, members = shape
        if members < partitions:  # the group has partitions to spare, yet none came to us
            self._unassigned_since = now  # ask the broker again only after another grace
            return (
                f"unassigned for {waited:.0f}s (group: {members} members, {partitions} partitions)"
            )
        return None

    def _stalled(self, now: float) -> str | None:
        positions = _positions(self.consumer)
        if not positions:
            return None  # nothing assigned: the "unassigned" verdict's business
        if positions != self._last_positions:
            self._last_positions = positions
            self._last_progress = now
            return None
        if self._waiting or now - self._last_progress < self.stall_s:
            return None
        lag = self.lag()
        if lag > 0:
            return f"stalled: lag {lag}, no position moved for {now - self._last_progress:.0f}s"
        self._last_progress = now  # caught up: nothing to move
        return None

    def _trip(self, reason: str) -> None:
        kind = reason.split(":", 1)[0]
        STALLS.labels(reason=kind).inc()
        try:
            state = describe(self.consumer)
        except Exception as exc:  # the post-mortem must not hide the verdict
            state = {"describe_failed": repr(exc)}
        extra = {"role": self.role, "reason": reason, **state}
        log.error("consumer stopped by the watchdog", extra=extra)
        raise ConsumerStalledError(f"{self.role} {reason}")


@contextlib.contextmanager
def waiting(watchdog: Watchdog | None) -> Iterator[None]:
    """A block during which the worker waits on purpose (its stall clock is stopped)."""
    if watchdog is not None:
        watchdog.waiting(True)
    try:
        yield
    finally:
        if watchdog is not None:
            watchdog.waiting(False)
