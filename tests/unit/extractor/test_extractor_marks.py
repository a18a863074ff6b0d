"""Quotation marks and quotation-aware sentences."""

from __future__ import annotations

from newsstream.extractor.quotes.marks import find_quoted_spans
from newsstream.extractor.quotes.segments import paragraphs, sentences


def _inner(text: str) -> list[str]:
    return [text[s.open + 1 : s.close] for s in find_quoted_spans(text)]


def test_marks_german_and_guillemets() -> None:
    assert _inner("„a b“ und »c d« und «e f»") == ["a b", "c d", "e f"]


def test_marks_straight_quotes_pair_by_context() -> None:
    assert _inner('Er sagte "ja" und "nein".') == ["ja", "nein"]


def test_marks_nested_single_kept_in_outer() -> None:
    assert _inner("„Er rief ‚Halt‘ laut“") == ["Er rief ‚Halt‘ laut"]


def test_marks_apostrophes_ignored() -> None:
    assert _inner("Hier geht’s los, wie geht's? „Gut“") == ["Gut"]


def test_marks_never_cross_a_line() -> None:
    assert _inner("„offen\n„zu“") == ["zu"]


def test_sentences_do_not_split_inside_quotations() -> None:
    text = "„Das ist gut. Das bleibt so“, sagt sie. Dann ging sie."
    spans = find_quoted_spans(text)
    got = [text[s.start : s.end] for s in sentences(text, spans)]
    assert got == ["„Das ist gut. Das bleibt so“, sagt sie.", "Dann ging sie."]


def test_sentences_end_after_a_closed_full_quotation() -> None:
    text = "„Das ist gut.“ Dann ging sie. Dr. Weber blieb."
    spans = find_quoted_spans(text)
    got = [text[s.start : s.end] for s in sentences(text, spans)]
    assert got == ["„Das ist gut.“", "Dann ging sie.", "Dr. Weber blieb."]


def test_paragraphs_are_lines() -> None:
    text = "Eins\n\n  Zwei  \n"
    assert [text[a:b] for a, b in paragraphs(text)] == ["Eins", "Zwei"]
