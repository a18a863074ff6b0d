"""One ``_msearch`` per batch and the decision which matches are new alerts (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from newsstream.alerts.matching import (
    ARTICLE_EVIDENCE,
    Match,
    new_alerts,
    plan_msearch,
    quote_fingerprint,
    read_responses,
)
from newsstream.alerts.watches import new_watch
from newsstream.messages import alert_key
from newsstream.settings import Settings

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
SPEAKER = new_watch("s", speaker="Gerhard Mangott", secret="k", created_at=NOW)
ENTITY = new_watch("e", entities=["wladimir putin"], secret="k", created_at=NOW)
META = {"article_id": "a1", "revision": 2, "url": "https://x/a1", "title": "T",
        "entities": ["Wladimir Putin"], "entity_texts": ["Putins"]}  # fmt: skip


def _hits(*docs: dict[str, Any], ids: list[str] | None = None) -> dict[str, Any]:
    hits = [{"_id": d.get("article_id"), "_source": d} for d in docs]
    hits += [{"_id": i} for i in ids or []]
    return {"hits": {"hits": hits}, "status": 200}


def test_matching_plan_filters_every_watch_to_the_batch_ids() -> None:
    lines, steps = plan_msearch([SPEAKER, ENTITY], ["a2", "a1", "a1"], SETTINGS)
    assert [(s.kind, s.watch_ids) for s in steps] == [
        ("meta", ()), ("articles", (SPEAKER.watch_id, ENTITY.watch_id)),
        ("quotes", (SPEAKER.watch_id,))]  # fmt: skip
    assert len(lines) == 2 * len(steps)
    for header, body in zip(lines[::2], lines[1::2], strict=True):
        assert header["index"] in (SETTINGS.articles_alias, SETTINGS.quotes_alias)
        assert body["query"]["bool"]["filter"][0] == {"terms": {"article_id": ["a1", "a2"]}}
    named = lines[3]["query"]["bool"]["filter"][1]["bool"]["should"]
    assert named == [
        {"bool": {"filter": [SPEAKER.articles_query], "_name": SPEAKER.watch_id}},
        {"bool": {"filter": [ENTITY.articles_query], "_name": ENTITY.watch_id}},
    ]  # the stored queries, unchanged
    quotes = lines[5]["query"]["bool"]["filter"][1]["bool"]["should"]
    assert quotes == [{"bool": {"filter": [SPEAKER.quotes_query], "_name": SPEAKER.watch_id}}]


def test_matching_plan_one_watch_per_search_when_isolating() -> None:
    _, steps = plan_msearch([SPEAKER, ENTITY], ["a1"], SETTINGS, group=1)
    assert [s.watch_ids for s in steps] == [(), (SPEAKER.watch_id,), (ENTITY.watch_id,),
                                            (SPEAKER.watch_id,)]  # fmt: skip


def test_matching_reads_matches_with_their_quotes_and_failures() -> None:
    _, steps = plan_msearch([SPEAKER, ENTITY], ["a1", "a2"], SETTINGS, group=1)
    quote = {"article_id": "a1", "quote": "Nein", "speaker": "Gerhard Mangott", "position": 0}
    responses = [
        _hits(META),
        {"hits": {"hits": [{"_id": "a1", "matched_queries": [SPEAKER.watch_id]}]}},
        {"error": {"reason": "too many clauses"}, "status": 400},
        {"hits": {"hits": [{"_id": "q", "_source": quote, "matched_queries": [SPEAKER.watch_id]}]}},
    ]
    matches, failures = read_responses(steps, responses, [SPEAKER, ENTITY])
    assert [(m.watch.name, m.article["article_id"], m.quotes) for m in matches] == [
        ("s", "a1", [quote])]  # fmt: skip
    assert [(f.watch_ids, f.retriable) for f in failures] == [((ENTITY.watch_id,), False)]


def test_matching_named_clauses_split_one_hit_between_watches() -> None:
    _, steps = plan_msearch([SPEAKER, ENTITY], ["a1"], SETTINGS)
    both = {"_id": "a1", "matched_queries": [ENTITY.watch_id, SPEAKER.watch_id]}
    responses = [_hits(META), {"hits": {"hits": [both]}}, {"hits": {"hits": []}}]
    matches, _ = read_responses(steps, responses, [SPEAKER, ENTITY])
    assert sorted(m.watch.name for m in matches) == ["e", "s"]


def test_matching_new_alerts_only_for_new_evidence() -> None:
    q1 = {"article_id": "a1", "quote": "Nein", "speaker": "Gerhard Mangott", "position": 0}
    q2 = {"article_id": "a1", "quote": "Doch", "speaker": "Gerhard Mangott", "position": 3}
    key = alert_key(SPEAKER.watch_id, "a1")
    first = new_alerts([Match(SPEAKER, META, [q1])], {}, indexed_at={}, now=NOW)
    assert len(first) == 1 and first[0].key == key
    seen = {key: set(first[0].evidence)}
    moved = dict(q1, position=5, quote="  nein ")  # an edit moved it; same words
    assert new_alerts([Match(SPEAKER, META, [moved])], seen, indexed_at={}, now=NOW) == []
    (second,) = new_alerts([Match(SPEAKER, META, [q1, q2])], seen, indexed_at={}, now=NOW)
    assert [(q.quote, q.new) for q in second.quotes] == [("Nein", False), ("Doch", True)]
    assert set(second.evidence) == {quote_fingerprint(q1), quote_fingerprint(q2)}
    assert second.alert_id != first[0].alert_id
    again = new_alerts([Match(SPEAKER, META, [q1, q2])], seen, indexed_at={}, now=NOW)
    assert again[0].alert_id == second.alert_id  # deterministic: a rematch is recognisable


def test_matching_entity_watch_alerts_once_per_article_with_canonical_names() -> None:
    (alert,) = new_alerts([Match(ENTITY, META)], {}, indexed_at={"a1": NOW}, now=NOW)
    assert alert.evidence == [ARTICLE_EVIDENCE] and alert.entities == ["Wladimir Putin"]
    assert alert.indexed_at == NOW and alert.revision == 2 and alert.quotes == []
    seen = {alert.key: set(alert.evidence)}
    assert new_alerts([Match(ENTITY, dict(META, revision=3))], seen, indexed_at={}, now=NOW) == []


def test_matching_candidates_rule_out_only_watches_whose_names_are_absent() -> None:
    from newsstream.alerts.matching import batch_names, candidates
    from newsstream.messages import Indexed

    news = [Indexed(article_id="a1", revision=1, speakers=["Gerhard Mangott"],
                    entities=["Wladimir Putin", "Putins", "Île-de-France"])]  # fmt: skip
    names = batch_names(news)
    made = {
        spec: new_watch("x", created_at=NOW, secret="k", **dict([spec]))  # type: ignore[arg-type]
        for spec in [("speaker", "MANGOTT"), ("speaker", "gerhard mangott"),
                     ("speaker", "Niemand"), ("query", "Waffenruhe"), ("outlet", "BR24"),
                     ("speaker", "Ursula von der Leyen"), ("speaker", "日本")]
    }  # fmt: skip
    kept = {spec for spec, w in made.items() if w in candidates(list(made.values()), names)}
    assert kept == {("speaker", "MANGOTT"), ("speaker", "gerhard mangott"),
                    ("query", "Waffenruhe"), ("outlet", "BR24"), ("speaker", "日本")}  # fmt: skip
    entity = new_watch("e", entities=["putins", "île-de-france"], secret="k", created_at=NOW)
    assert candidates([entity], names) == [entity]
    unknown = [Indexed(article_id="a2", revision=1)]  # an announcement without names
    assert len(candidates(list(made.values()), batch_names(news + unknown))) == len(made)
