"""``newsstream alert``: the alerter role, matching and delivery in one process.

Two loops, each with its own consumer and thread: the matcher (``news.indexed`` ->
``news.alerts``) and the notifier (``news.alerts`` -> targets, ``news-alerts``). Keeping
delivery apart from matching means a receiver that is down delays its own alerts, never the
matching of new articles, and a restart redoes only what was not committed. If either loop
fails, both stop and the process exits 1 (``newsstream run`` restarts it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from newsstream.alerts.loop import ConsumerLoop, Interrupted
from newsstream.alerts.matcher import Matcher, _Assigned
from newsstream.alerts.notifier import Notifier
from newsstream.alerts.store import ensure_alert_indices
from newsstream.bus import JOIN_GRACE_S, close_quietly, consumer_lag, subscribe
from newsstream.obs import start_metrics_server
from newsstream.reach import require_elasticsearch, require_kafka
from newsstream.settings import Settings
from newsstream.shutdown import stop_on_signals
from newsstream.topics import ensure_topics
from newsstream.watchdog import Watchdog
from newsstream.wiring import Clients

log = logging.getLogger(__name__)


def _watchdog(clients: Clients, consumer: object, role: str, group: str, topic: str) -> Watchdog:
    s = clients.settings
    return Watchdog(
        consumer,
        role,
        stall_s=s.stall_seconds,
        join_grace_s=2 * JOIN_GRACE_S,
        lag=lambda: consumer_lag(consumer),
        group_shape=clients.group_shape(group, topic),
    )


def _run_loop(loop: ConsumerLoop, stop: threading.Event, errors: list[BaseException]) -> None:
    try:
        while not stop.is_set():
            loop.step()
    except Interrupted:
        log.info("stopped while waiting; the batch in hand stays uncommitted",
                 extra={"role": loop.role})  # fmt: skip
    except BaseException as exc:
        log.exception("alerter loop failed", extra={"role": loop.role, "error": repr(exc)[:300]})
        errors.append(exc)
        stop.set()


def run_alerter(
    settings: Settings,
    *,
    until_idle: bool = False,
    stop_event: threading.Event | None = None,
    clients: Clients | None = None,
    on_started: Callable[[Matcher, Notifier], None] | None = None,
) -> int:
    """Match and deliver until stopped (or, with ``until_idle``, until both loops are idle)."""
    clients = clients or Clients(settings)
    require_kafka(settings)
    require_elasticsearch(settings, clients.es)
    ensure_topics(settings)
    ensure_alert_indices(clients.es, settings)
    start_metrics_server(settings.metrics_port_alerter, settings.metrics_enabled)
    listener = _Assigned()
    match_consumer = clients.consumer(settings.alerter_group)
    subscribe(match_consumer, [settings.topic_indexed], listener=listener)
    notify_consumer = clients.consumer(settings.notifier_group, [settings.topic_alerts])
    with stop_on_signals(stop_event or threading.Event()) as stop:
        matcher = Matcher(settings, match_consumer, clients.es, clients.producer, stop, listener,
                          _watchdog(clients, match_consumer, "alerter", settings.alerter_group,
                                    settings.topic_indexed))  # fmt: skip
        notifier = Notifier(settings, notify_consumer, clients.es, clients.producer, stop,
                            _watchdog(clients, notify_consumer, "notifier",
                                      settings.notifier_group, settings.topic_alerts))  # fmt: skip
        if on_started is not None:
            on_started(matcher, notifier)
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_run_loop, args=(loop, stop, errors), name=loop.role)
            for loop in (matcher, notifier)
        ]
        log.info("alerter started", extra={"input": settings.topic_indexed,
                                           "alerts": settings.topic_alerts})  # fmt: skip
        try:
            for thread in threads:
                thread.start()
            while any(t.is_alive() for t in threads):
                if until_idle and matcher.idle and notifier.idle:
                    log.info("idle, exiting", extra={"idle_seconds": settings.idle_seconds})
                    stop.set()
                stop.wait(0.2)
                for thread in threads:
                    thread.join(timeout=0.05)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
            notifier.close()
            close_quietly(match_consumer, autocommit=False)
            close_quietly(notify_consumer, autocommit=False)
            clients.close()
    log.info("alerter stopped", extra={"alerts": matcher.alerts_produced,
                                       "handled": notifier.handled})  # fmt: skip
    if errors:
        raise errors[0]
    return 0
