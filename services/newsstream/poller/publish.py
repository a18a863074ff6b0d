"""Publishing an article revision to Kafka from the poller's asyncio loop.

kafka-python's producer is thread-based; its send futures are bridged into asyncio so that a
poll round waits for every acknowledgement without blocking its fetches. Only an
acknowledged article is recorded in the poller's state: a crash means "publish again",
never "lost".
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from newsstream.errors import PublishError
from newsstream.messages import Article
from newsstream.poller.stats import ERRORS, PUBLISH_SECONDS


async def _acknowledged(future: Any, timeout: float) -> Any:
    """Await a kafka-python send future from asyncio without blocking the loop."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def settle(metadata: Any = None, exc: BaseException | None = None) -> None:
        if done.done():
            return
        if exc is not None:
            done.set_exception(exc)
        else:
            done.set_result(metadata)

    def ok(metadata: Any) -> None:
        loop.call_soon_threadsafe(settle, metadata)

    def failed(exc: BaseException) -> None:
        loop.call_soon_threadsafe(settle, None, exc)

    future.add_callback(ok)
    future.add_errback(failed)
    return await asyncio.wait_for(done, timeout)


async def publish(producer: Any, topic: str, article: Article, timeout_s: float) -> None:
    """Send ``article`` keyed by its id and wait for Kafka's acknowledgement (``acks=all``)."""
    started = time.perf_counter()
    try:
        future = producer.send(
            topic, key=article.article_id.encode("utf-8"), value=article.to_bytes()
        )
        await _acknowledged(future, timeout_s)
    except Exception as exc:  # kafka errors, timeouts: the feed is retried later
        ERRORS.labels("publish").inc()
        raise PublishError(f"Kafka did not acknowledge {article.article_id}: {exc!r}") from exc
    PUBLISH_SECONDS.observe(time.perf_counter() - started)
