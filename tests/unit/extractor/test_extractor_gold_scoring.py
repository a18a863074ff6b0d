"""The dev-set scoring shared by bench/quotes.py and the quality gate (tests/support/gold.py).

Invented gold and predictions; the rules are those of the dev set's README and of
``../shared/tools/quote_eval.py`` (the integration gate checks agreement on real articles).
"""

from __future__ import annotations

from tests.support.gold import (
    gold_role_words,
    is_optional,
    quotes_match,
    score_article,
    speaker_ok,
    summarize,
)

from newsstream.messages import Quote


def _quote(text: str, speaker: str | None, role: str | None = None) -> Quote:
    return Quote(quote=text, speaker=speaker, speaker_role=role, start=0, end=1, paragraph=0)


def test_gold_scoring_word_set_matching() -> None:
    assert quotes_match("Wir bleiben hart und ändern nichts", "wir bleiben hart und ändern nichts.")
    assert quotes_match(
        "Wir bleiben hart und ändern nichts", "Wir bleiben hart und ändern nichts mehr"
    )
    assert not quotes_match("Wir bleiben hart", "Wir gehen")


def test_gold_scoring_speaker_by_last_word() -> None:
    assert speaker_ok("Petra Sommer", "Sommer")
    assert not speaker_ok("Petra Sommer", "Petra")
    assert not speaker_ok("Petra Sommer", None)
    assert speaker_ok(None, None)


def test_gold_scoring_optional_items() -> None:
    assert is_optional({"quote": "Wir sind da", "note": "subheading"})
    assert is_optional({"quote": "große Keule", "note": "fragment"})
    assert not is_optional({"quote": "die große Keule gegen alle", "note": "fragment"})


def test_gold_scoring_article_counts_like_the_reference() -> None:
    gold = [
        {"quote": "Das Wasser kommt schnell", "speaker": "Karl Seidl", "note": "subheading"},
        {"quote": "Das Wasser kommt schneller als gedacht", "speaker": "Karl Seidl"},
        {"quote": "Wir pumpen seit Stunden", "speaker": "Karl Seidl"},
        {"quote": "nie", "speaker": "Karl Seidl", "note": "fragment"},
    ]
    predicted = [
        _quote("Das Wasser kommt schneller als gedacht", "Seidl"),
        _quote("Wir pumpen seit Stunden", None),
        _quote("Das Wasser kommt schnell", "Karl Seidl"),
        _quote("Ganz andere Worte hier", "Anna Weber"),
    ]
    score = score_article("x", gold, predicted)
    assert score.reference_counts() == {"gold": 2, "pred": 3, "tp": 2, "speaker_ok": 1}
    assert (score.speaker_none, score.with_speaker) == (1, 2)
    assert [q.quote for q in score.false_positives] == ["Ganz andere Worte hier"]


def test_gold_scoring_role_agreement() -> None:
    item = {"quote": "…", "speaker": "Eva Roth", "speaker_in_text": "Die Landrätin Eva Roth (SPD)"}
    assert gold_role_words(item) == {"landrätin"}
    assert not gold_role_words({"speaker": "Eva Roth", "speaker_in_text": "sie"})
    score = score_article(
        "x",
        [{**item, "quote": "Wir bauen die Brücke neu"}],
        [_quote("Wir bauen die Brücke neu", "Eva Roth", "Landrätin")],
    )
    figures = summarize([score])
    assert figures["role_accuracy"] == 1.0
    assert figures["quote_f1"] == 1.0
