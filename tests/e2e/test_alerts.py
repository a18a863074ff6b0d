"""Watches through the whole product, driven like a user: ``watch add`` with a webhook, then
``newsstream run --until-idle`` delivers the alerts before it exits."""

from __future__ import annotations

import pytest
from tests.e2e.helpers import run_cli, serve
from tests.support.corpus import make_corpus
from tests.support.feedserver import FeedServer
from tests.support.webhook import WebhookReceiver

from newsstream.alerts.payload import SIGNATURE_HEADER, verify
from newsstream.messages import article_id_for
from newsstream.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_alerts_run_until_idle_delivers_each_quoting_article_once(
    ns_settings: Settings, feed_server: FeedServer
) -> None:
    settings = ns_settings.model_copy(update={"feeds": [feed_server.feed_url], "allowed_hosts": []})
    corpus = make_corpus(12, quotes=2)
    speaker = corpus[0].quotes[0][0]
    quoting = {
        feed_server.url_for(v.slug) for v in corpus if any(n == speaker for n, _ in v.quotes)
    }
    assert 0 < len(quoting) < len(corpus)
    serve(feed_server, corpus)
    hook = WebhookReceiver().start()
    try:
        added = run_cli(settings, "watch", "add", "who", "--speaker", speaker,
                        "--notify", f"webhook:{hook.url}", "--secret", "k")  # fmt: skip
        assert added.returncode == 0, added.stderr
        bad = run_cli(settings, "watch", "add", "bad", "--query", "title:(")
        assert bad.returncode == 2 and "[NS071]" in bad.stderr

        first = run_cli(settings, "run", "--until-idle", "--no-status", timeout=600)
        assert first.returncode == 0, first.stderr[-3000:]
        bodies = hook.bodies()
        assert sorted(b["url"] for b in bodies) == sorted(quoting)  # each exactly once
        assert all(verify("k", r.body, r.headers[SIGNATURE_HEADER]) for r in hook.received)
        assert all(b["quotes"] and b["quotes"][0]["speaker"] == speaker for b in bodies)
        assert {b["article_id"] for b in bodies} == {article_id_for(u) for u in quoting}

        again = run_cli(settings, "run", "--until-idle", "--no-status", timeout=600)
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(hook.received) == len(quoting)  # nothing new, nothing sent
    finally:
        hook.stop()
