"""A local news feed in its own process, publishing articles at a steady rate.

The benchmarks measure the pipeline from the moment an article appears on the feed; a feed
server that shares the benchmark's process (and its GIL) would slow down exactly when the
benchmark is busiest, and flatter or spoil the figures. Here the server runs alone, and
every article's publication time (wall clock, ``time.time()``) is written to a JSON-lines
file the parent reads.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _serve(
    conn: Any,
    rate: float,
    total: int,
    window: int,
    full_length: bool,
    log: str,
    page_s: float,
    slow: tuple[int, float],
) -> None:
    from tests.support.corpus import make_corpus
    from tests.support.feedserver import FeedServer

    server = FeedServer(article_latency_s=page_s).start()
    server.feed_window = window
    corpus = make_corpus(total, quotes=2, full_length=full_length)
    conn.send(server.feed_url)
    go = conn.recv()  # the parent says when to start publishing
    began = time.monotonic()
    with open(log, "a", encoding="utf-8") as out:
        for i, variant in enumerate(corpus if go else []):
            due = began + i / rate
            while (wait := due - time.monotonic()) > 0:
                if conn.poll(min(wait, 0.2)) and conn.recv() == "stop":
                    server.stop()
                    return
            server.add_article(variant.slug, variant.title, variant.paragraphs,
                               teaser=variant.teaser)  # fmt: skip
            if slow[0] and i % slow[0] == slow[0] - 1:
                server.set_latency(urlsplit(server.url_for(variant.slug)).path, slow[1])
            out.write(json.dumps({"slug": variant.slug, "url": server.url_for(variant.slug),
                                  "t": time.time()}) + "\n")  # fmt: skip
            out.flush()
    while (asked := conn.recv()) != "stop":  # keep serving the pages until told to stop
        if asked == "reads":
            conn.send(list(server.feed_reads))
    server.stop()


@dataclass
class FeedProcess:
    """``start()`` -> feed URL; ``publish()`` begins the steady stream; ``stop()`` ends it."""

    rate: float
    total: int
    log: Path
    #: Entries the feed shows (newest first). A burst faster than the poller polls needs a
    #: window of ``total``, or articles scroll out of the feed before anyone sees them.
    window: int = 100
    full_length: bool = True
    #: How long each article page takes to answer (the feed itself answers at once). Local
    #: pages come back in a millisecond; a real news site takes tenths of a second, and some
    #: pages far longer.
    page_latency_s: float = 0.0
    #: Every this many-th article's page answers only after ``slow_page_s`` (0: none). A real
    #: site has such pages now and then (a busy CMS, a timeout on its side).
    slow_every: int = 0
    slow_page_s: float = 0.0

    def start(self) -> str:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_text("")
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve,
            args=(
                child,
                self.rate,
                self.total,
                self.window,
                self.full_length,
                str(self.log),
                self.page_latency_s,
                (self.slow_every, self.slow_page_s),
            ),
            daemon=True,
        )
        self._proc.start()
        url: str = self._conn.recv()
        return url

    def publish(self) -> None:
        self._conn.send(True)

    def published(self) -> list[dict[str, Any]]:
        """Every article published so far: slug, url, t (wall-clock seconds)."""
        lines = self.log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def feed_reads(self) -> list[float]:
        """When the feed was served in full (wall clock); ask only once publishing is done."""
        self._conn.send("reads")
        reads: list[float] = self._conn.recv()
        return reads

    @property
    def pid(self) -> int:
        """The feed server's process: it shares the machine's cores with what is measured."""
        assert self._proc.pid is not None
        return self._proc.pid

    def done(self) -> bool:
        return len(self.published()) >= self.total

    def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self._conn.send("stop")
        self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.kill()
