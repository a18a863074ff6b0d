"""Watches and alerts against the real Kafka and Elasticsearch: the indexer announces, the
alerter matches with one ``_msearch`` per batch and delivers to a real local receiver."""

from __future__ import annotations

import json
import threading
import time

import pytest
from elasticsearch import Elasticsearch
from tests.e2e.helpers import dead_letters, topic_records
from tests.support.alerting import alert, index, make_article
from tests.support.webhook import WebhookReceiver, free_port

from newsstream.alerts.manage import WatchSpec, add_watch, remove_watch, try_watch
from newsstream.alerts.payload import SIGNATURE_HEADER, verify
from newsstream.alerts.service import run_alerter
from newsstream.messages import Alert, Indexed
from newsstream.search import search
from newsstream.settings import Settings

pytestmark = pytest.mark.integration

MANGOTT = "Gerhard Mangott"


@pytest.fixture
def settings(ns_settings: Settings) -> Settings:
    return ns_settings.model_copy(
        update={"idle_seconds": 2.0, "index_bulk_max_wait_s": 0.2, "alert_retry_max_s": 2.0}
    )


@pytest.fixture
def receiver() -> WebhookReceiver:
    hook = WebhookReceiver().start()
    yield hook
    hook.stop()


def alert_docs(es: Elasticsearch, settings: Settings) -> list[dict[str, object]]:
    es.indices.refresh(index=settings.alerts_alias)
    hits = es.search(index=settings.alerts_alias, size=100)["hits"]["hits"]
    return [h["_source"] for h in hits]


def test_alerts_speaker_watch_one_signed_alert_no_repeat_new_quote_alerts_again(
    settings: Settings, es: Elasticsearch, receiver: WebhookReceiver
) -> None:
    add_watch(settings, "mangott", WatchSpec(speaker=MANGOTT, notify=[f"webhook:{receiver.url}"],
                                             secret="s3cret"))  # fmt: skip
    quoted = make_article("a1", quotes=[(MANGOTT, "Putin will keine Waffenruhe")])
    other = make_article("a2", quotes=[("Ursula Brenner", "Wir müssen jetzt handeln")])
    index(settings, quoted, other)
    indexed = [Indexed.from_bytes(v) for v in topic_records(settings, settings.topic_indexed)]
    assert {(n.article_id, n.revision) for n in indexed} == {(quoted.article_id, 1),
                                                             (other.article_id, 1)}  # fmt: skip
    assert alert(settings) == 0

    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert verify("s3cret", got.body, got.headers[SIGNATURE_HEADER])
    assert not verify("other", got.body, got.headers[SIGNATURE_HEADER])
    body = got.json
    assert body["watch"] == "mangott" and body["article_id"] == quoted.article_id
    assert body["url"] == quoted.url and body["title"] == quoted.title
    assert [(q["speaker"], q["quote"], q["new"]) for q in body["quotes"]] == [
        (MANGOTT, "Putin will keine Waffenruhe", True)
    ]
    (doc,) = alert_docs(es, settings)
    assert doc["status"] == "delivered" and doc["delivered_to"] == [f"webhook:{receiver.url}"]

    # The same revision delivered again, and an edit that changes nothing the watch sees.
    reworded = make_article("a1", quotes=[(MANGOTT, "Putin will keine Waffenruhe")],
                            revision=2, extra="Ein neuer Satz ohne Zitat.")  # fmt: skip
    index(settings, quoted, reworded)
    assert alert(settings) == 0
    assert len(receiver.received) == 1

    # An edit that adds a quotation of the speaker: one more alert, with just that one new.
    added = make_article("a1", revision=3, quotes=[(MANGOTT, "Putin will keine Waffenruhe"),
                                                   (MANGOTT, "Der Westen zögert")])  # fmt: skip
    index(settings, added)
    assert alert(settings) == 0
    assert len(receiver.received) == 2
    second = receiver.received[1].json
    assert second["revision"] == 3 and second["alert_id"] != body["alert_id"]
    assert {(q["quote"], q["new"]) for q in second["quotes"]} == {
        ("Putin will keine Waffenruhe", False), ("Der Westen zögert", True)
    }  # fmt: skip
    values = [Alert.from_bytes(v) for v in topic_records(settings, settings.topic_alerts)]
    assert len(values) == 2 and len(values[-1].evidence) == 2


def test_alerts_entities_and_query_combine_with_and(
    settings: Settings, es: Elasticsearch, receiver: WebhookReceiver
) -> None:
    add_watch(settings, "putin-ruhe", WatchSpec(entities=["Wladimir Putin"], query="Waffenruhe",
                                                notify=[f"webhook:{receiver.url}"]))  # fmt: skip
    both = make_article("b1", entities=[("Wladimir Putin", "PER")])
    no_entity = make_article("b2", entities=[("Olaf Scholz", "PER")])
    no_word = make_article("b3", title="Haushalt", entities=[("Wladimir Putin", "PER")])
    no_word = no_word.model_copy(update={"body": "Der Haushalt für Wladimir Putin."})
    index(settings, both, no_entity, no_word)
    assert alert(settings) == 0
    assert [b["article_id"] for b in receiver.bodies()] == [both.article_id]
    assert receiver.bodies()[0]["entities"] == ["Wladimir Putin"]
    assert receiver.bodies()[0]["quotes"] == []


def test_alerts_outlet_filter_on_articles_without_outlet_matches_nothing(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    add_watch(settings, "br", WatchSpec(outlet="BR24", notify=[f"webhook:{receiver.url}"]))
    index(settings, make_article("c1", quotes=[(MANGOTT, "Ja")]))
    assert alert(settings) == 0
    assert receiver.received == []
    assert try_watch(settings, "br", since=None)["total"] == 0


def test_alerts_watch_test_finds_what_search_finds(settings: Settings, es: Elasticsearch) -> None:
    articles = [make_article(f"d{i}", quotes=[(MANGOTT if i % 2 else "Ursula Brenner", "Nein")])
                for i in range(6)]  # fmt: skip
    index(settings, *articles)
    add_watch(settings, "mangott", WatchSpec(speaker="Mangott"))
    tested = try_watch(settings, "mangott", since=None)
    found = search(es, settings, "", speaker="Mangott", limit=50)
    assert tested["total"] == found.total == 3
    assert {m["article_id"] for m in tested["matches"]} == {h["article_id"] for h in found.hits}
    assert all(m["quotes"][0]["speaker"] == MANGOTT for m in tested["matches"])


def test_alerts_removed_watch_alerts_no_more(
    settings: Settings, es: Elasticsearch, receiver: WebhookReceiver
) -> None:
    add_watch(settings, "mangott", WatchSpec(speaker=MANGOTT, notify=[f"webhook:{receiver.url}"]))
    index(settings, make_article("e1", quotes=[(MANGOTT, "Erstens")]))
    assert alert(settings) == 0
    assert len(receiver.received) == 1
    remove_watch(settings, "mangott")
    index(settings, make_article("e2", quotes=[(MANGOTT, "Zweitens")]))
    assert alert(settings) == 0
    assert len(receiver.received) == 1
    assert len(topic_records(settings, settings.topic_alerts)) == 1  # not even matched


def test_alerts_webhook_down_for_30_s_then_delivered(
    settings: Settings, receiver: WebhookReceiver
) -> None:
    settings = settings.model_copy(update={"alert_max_tries": 30, "alert_retry_max_s": 4.0})
    add_watch(settings, "mangott", WatchSpec(speaker=MANGOTT, notify=[f"webhook:{receiver.url}"]))
    receiver.stop()
    index(settings, make_article("f1", quotes=[(MANGOTT, "Später")]))
    stop = threading.Event()
    thread = threading.Thread(target=run_alerter, args=(settings,), kwargs={"stop_event": stop})
    thread.start()
    try:
        down_until = time.monotonic() + 30
        while time.monotonic() < down_until:
            assert receiver.received == []
            time.sleep(0.5)
        receiver.start()
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert len(receiver.received) == 1
    assert receiver.received[0].json["quotes"][0]["quote"] == "Später"
    assert dead_letters(settings) == []


def test_alerts_out_of_tries_go_to_the_dead_letter_topic(
    settings: Settings, es: Elasticsearch, receiver: WebhookReceiver
) -> None:
    settings = settings.model_copy(update={"alert_max_tries": 3, "alert_retry_max_s": 0.2})
    receiver.status = 503
    add_watch(settings, "mangott", WatchSpec(speaker=MANGOTT, notify=[f"webhook:{receiver.url}"]))
    index(settings, make_article("g1", quotes=[(MANGOTT, "Nie")]))
    assert alert(settings) == 0
    assert len(receiver.received) == 3
    (letter,) = dead_letters(settings)
    assert letter.stage == "notifier" and letter.error_type == "DeliveryError"
    assert receiver.url in letter.error and "3 tries" in letter.error
    assert Alert.from_bytes(letter.payload).watch == "mangott"
    (doc,) = alert_docs(es, settings)
    assert doc["status"] == "failed" and doc["failed_to"] == [f"webhook:{receiver.url}"]


def test_alerts_console_target_prints_one_line(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    add_watch(settings, "mangott", WatchSpec(speaker=MANGOTT, notify=["console"]))
    index(settings, make_article("h1", title="Ein Titel", quotes=[(MANGOTT, "Laut")]))
    assert alert(settings) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ALERT ")]
    assert len(lines) == 1
    assert "[mangott]" in lines[0] and "„Laut“" in lines[0] and "Ein Titel" in lines[0]


def test_alerts_watch_stored_as_the_query_search_runs(
    settings: Settings, es: Elasticsearch
) -> None:
    from newsstream.search import speaker_filter

    add_watch(settings, "mangott", WatchSpec(speaker=MANGOTT))
    stored = es.get(index=settings.watches_alias, id="mangott")["_source"]
    assert stored["articles_query"] == {"bool": {"filter": [speaker_filter(MANGOTT, quotes=False)]}}
    assert json.loads(json.dumps(stored["quotes_query"])) == speaker_filter(MANGOTT, quotes=True)


#: Twenty queries Elasticsearch's query-string parser refuses, each for its own reason.
BAD_QUERIES = [
    "title:(", "foo AND", '"unclosed', "published_at:abc", "a:b:c", "[a TO", "/[/",
    "revision:x", "foo OR", "NOT", "(a OR b", "a)", "title:", "quote_count:>x", "foo~x",
    "a^x", "published_at:[now TO x]", "\\", "AND AND", "title:/a{2,1}/",
]  # fmt: skip


def test_alerts_twenty_bad_queries_refused_with_the_reason(
    settings: Settings, es: Elasticsearch
) -> None:
    from newsstream.errors import WatchQueryError

    reasons = []
    for i, query in enumerate(BAD_QUERIES):
        with pytest.raises(WatchQueryError) as refused:
            add_watch(settings, f"bad-{i}", WatchSpec(query=query))
        assert refused.value.exit_code == 2
        reasons.append(refused.value.message)
    assert all("Elasticsearch rejects the query" in r for r in reasons)
    assert all("org.elasticsearch" not in r and "QueryShardException" not in r for r in reasons)
    assert any("Cannot parse" in r or "Encountered" in r for r in reasons)
    assert any("failed to parse date" in r for r in reasons)
    es.indices.refresh(index=settings.watches_alias)
    assert es.count(index=settings.watches_alias)["count"] == 0


def test_alerts_email_target_through_a_real_smtp_server(settings: Settings) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    got: list[object] = []

    class Keep(Message):  # type: ignore[misc]
        def handle_message(self, message: object) -> None:
            got.append(message)

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        add_watch(
            settings, "mangott", WatchSpec(speaker=MANGOTT, notify=["email:desk@example.org"])
        )
        index(settings, make_article("i1", title="Mangott zur Lage", quotes=[(MANGOTT, "Ernst")]))
        assert alert(settings) == 0
    finally:
        controller.stop()
    assert len(got) == 1
    message = got[0]
    assert message["To"] == "desk@example.org"  # type: ignore[index]
    assert message["Subject"] == "[newsstream] mangott: Mangott zur Lage"  # type: ignore[index]
    assert "„Ernst“" in message.get_payload(decode=True).decode()  # type: ignore[attr-defined]


def test_alerts_a_watch_broken_at_run_time_does_not_silence_the_others(
    settings: Settings,
    es: Elasticsearch,
    receiver: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from datetime import UTC, datetime

    from newsstream.alerts.store import WatchStore
    from newsstream.alerts.watches import new_watch

    add_watch(settings, "good", WatchSpec(speaker=MANGOTT, notify=[f"webhook:{receiver.url}"]))
    # As if a mapping change broke a stored query after it was validated: stored unvalidated.
    broken = new_watch("broken", query="x", notify=[f"webhook:{receiver.url}"], secret="k",
                       created_at=datetime.now(UTC))  # fmt: skip
    broken.articles_query = {"range": {"published_at": {"gte": "not a date"}}}
    WatchStore(es, settings).add(broken)
    index(settings, make_article("j1", quotes=[(MANGOTT, "Trotzdem")]))
    assert alert(settings) == 0
    assert [b["watch"] for b in receiver.bodies()] == ["good"]
    refused = [r for r in caplog.records if r.getMessage().startswith("watch search refused")]
    assert refused and broken.watch_id in str(refused[0].__dict__.get("watch_id"))


def test_alerts_candidate_watches_are_a_superset_of_what_elasticsearch_matches(
    settings: Settings, es: Elasticsearch
) -> None:
    """Ruling watches out by the announced names never loses a match Elasticsearch finds."""
    from datetime import UTC, datetime

    from newsstream.alerts.matching import batch_names, candidates, plan_msearch, read_responses
    from newsstream.alerts.watches import new_watch

    articles = [
        make_article("k1", quotes=[(MANGOTT, "Eins"), ("Ursula von der Leyen", "Zwei")],
                     entities=[("Wladimir Putin", "PER"), ("Nato", "ORG")]),
        make_article("k2", quotes=[("Jean-Claude Juncker", "Drei")],
                     entities=[("Putins", "PER"), ("Île-de-France", "LOC")]),
    ]  # fmt: skip
    index(settings, *articles)
    now = datetime.now(UTC)
    specs: list[dict[str, object]] = [
        {"speaker": "gerhard MANGOTT"}, {"speaker": "Mangott"}, {"speaker": "Mangot"},
        {"speaker": "von der Leyen"}, {"speaker": "Leyen von der"}, {"speaker": "juncker"},
        {"speaker": "Jean-Claude"}, {"speaker": "Claude Jean"}, {"speaker": "Niemand"},
        {"entities": ["wladimir putin"]}, {"entities": ["PUTINS"]}, {"entities": ["Putin"]},
        {"entities": ["nato", "Wladimir Putin"]}, {"entities": ["Nato", "Putins"]},
        {"entities": ["île-de-france"]}, {"speaker": "Mangott", "entities": ["Nato"]},
        {"speaker": "Mangott", "query": "Waffenruhe"},
    ]  # fmt: skip
    watches = [new_watch(f"w{i}", secret="k", created_at=now, **spec)  # type: ignore[arg-type]
               for i, spec in enumerate(specs)]  # fmt: skip
    ids = [a.article_id for a in articles]

    def matched(among: list[object]) -> set[tuple[str, str]]:
        lines, steps = plan_msearch(among, ids, settings)  # type: ignore[arg-type]
        responses = es.msearch(searches=lines)["responses"]
        found, failures = read_responses(steps, responses, among)  # type: ignore[arg-type]
        assert failures == []
        return {(m.watch.name, m.article["article_id"]) for m in found}

    from newsstream.indexer.announce import announcements
    from newsstream.indexer.batch import Received
    from newsstream.indexer.writer import WriteResult

    latest = {a.article_id: Received("t", 0, 0, None, None, article=a) for a in articles}
    names = batch_names(announcements(latest, WriteResult()))
    chosen = candidates(watches, names)
    everything = matched(list(watches))
    assert matched(list(chosen)) == everything
    assert {"w0", "w1", "w3", "w5", "w9", "w10", "w12"} <= {n for n, _ in everything}
    assert len(chosen) < len(watches)  # "Mangot", "Niemand" and "Putin" were not searched
    assert {w.name for w in watches} - {w.name for w in chosen} >= {"w2", "w8"}


def test_alerts_recipients_reads_only_the_watches_a_batch_names(
    settings: Settings, es: Elasticsearch
) -> None:
    """The notifier asks for the watches its batch's alerts name; a removed one is absent."""
    from newsstream.alerts.store import recipients

    hooks = {n: f"webhook:http://127.0.0.1:9/{n}" for n in ("eins", "zwei", "drei")}
    made = {n: add_watch(settings, n, WatchSpec(speaker=MANGOTT, notify=[t]))
            for n, t in hooks.items()}  # fmt: skip
    es.indices.refresh(index=settings.watches_alias)
    wanted = {made["eins"].watch_id, made["drei"].watch_id, "no-such-watch"}
    found = recipients(es, settings, wanted)
    assert set(found) == {made["eins"].watch_id, made["drei"].watch_id}
    assert found[made["drei"].watch_id].notify == (hooks["drei"],)
    assert found[made["eins"].watch_id].secret == made["eins"].secret
    assert len(recipients(es, settings)) == 3  # no ids: every watch
    assert recipients(es, settings, set()) == {}
    remove_watch(settings, "drei")
    es.indices.refresh(index=settings.watches_alias)
    assert set(recipients(es, settings, wanted)) == {made["eins"].watch_id}


def test_watch_store_version_changes_with_every_add_and_remove_only(
    settings: Settings, es: Elasticsearch
) -> None:
    """The matcher re-reads the watches only when this changes: it must change on an add and
    on a remove (also back to the same number of watches), and not without a write."""
    from newsstream.alerts.store import WatchStore, ensure_alert_indices

    store = WatchStore(es, settings)
    ensure_alert_indices(es, settings)
    empty = store.version()
    assert empty is not None and empty == store.version()
    add_watch(settings, "eins", WatchSpec(speaker=MANGOTT))
    one = store.version()
    assert one != empty
    add_watch(settings, "zwei", WatchSpec(speaker=MANGOTT))
    remove_watch(settings, "zwei")
    again_one = store.version()
    assert again_one not in (one, empty)
    assert [w.name for w in store.all()] == ["eins"]
    assert store.version() == again_one
