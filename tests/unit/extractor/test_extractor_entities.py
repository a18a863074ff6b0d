"""Canonical entities per article from hand-made Docs (no model)."""

from __future__ import annotations

from spacy.language import Language

from newsstream.extractor.entities import Mention, canonicalize, extract_entities, normalize

from .conftest import make_doc


def _by_canonical(nlp: Language, text: str, ents: list[tuple[str, str]]) -> dict[str, object]:
    return {e.canonical: e for e in extract_entities(make_doc(nlp, text, ents))}


def test_entities_genitive_stripped_and_surname_resolved(blank_nlp: Language) -> None:
    text = "Putins Angebot kam spät. Wladimir Putin sprach. Dann schwieg Putin."
    ents = _by_canonical(blank_nlp, text, [("Wladimir Putin", "PER"), ("Putins", "PER")])
    putin = ents["Wladimir Putin"]
    assert list(ents) == ["Wladimir Putin"]
    assert putin.count == 3  # type: ignore[attr-defined]
    last = text.rindex("Putin")
    assert putin.offsets == [(0, 6), (25, 39), (last, last + 5)]  # type: ignore[attr-defined]


def test_entities_merged_with_count_and_every_offset(blank_nlp: Language) -> None:
    text = "Die Ukraine verhandelt. Russland auch. Die Ukraine wartet."
    ents = _by_canonical(blank_nlp, text, [("Ukraine", "LOC"), ("Russland", "LOC")])
    assert ents["Ukraine"].count == 2  # type: ignore[attr-defined]
    assert ents["Ukraine"].offsets == [(4, 11), (43, 50)]  # type: ignore[attr-defined]


def test_entities_location_genitive(blank_nlp: Language) -> None:
    text = "Russlands Armee rückt vor. In Russland ist es kalt."
    ents = _by_canonical(blank_nlp, text, [("Russlands", "LOC"), ("Russland", "LOC")])
    assert list(ents) == ["Russland"]


def test_entities_name_ending_in_s_is_kept_without_evidence(blank_nlp: Language) -> None:
    ents = _by_canonical(blank_nlp, "Markus Söder und Hans Klaus reden.", [("Hans Klaus", "PER")])
    assert "Hans Klaus" in ents


def test_entities_ambiguous_surname_stays(blank_nlp: Language) -> None:
    text = "Anna Müller und Peter Müller streiten. Müller lenkt ein."
    ents = _by_canonical(
        blank_nlp, text, [("Anna Müller", "PER"), ("Peter Müller", "PER"), ("Müller lenkt", "X")]
    )
    assert {"Anna Müller", "Peter Müller"} <= set(ents)


def test_entities_extra_spans_fill_model_gaps(blank_nlp: Language) -> None:
    doc = make_doc(blank_nlp, "Gerhard Mangott warnt. Mangott bleibt skeptisch.", [])
    ents = extract_entities(doc, [(0, 15, "PER"), (23, 30, "PER")])
    assert [(e.canonical, e.count) for e in ents] == [("Gerhard Mangott", 2)]


def test_entities_extra_spans_never_override_model(blank_nlp: Language) -> None:
    doc = make_doc(blank_nlp, "Kreml sagt nein.", [("Kreml", "ORG")])
    ents = extract_entities(doc, [(0, 5, "PER")])
    assert [(e.canonical, e.label) for e in ents] == [("Kreml", "ORG")]


def test_entities_propagate_missed_mentions(blank_nlp: Language) -> None:
    text = "Ralph Thiele warnt. Später widerspricht Thiele."
    ents = _by_canonical(blank_nlp, text, [("Ralph Thiele", "PER")])
    assert ents["Ralph Thiele"].count == 2  # type: ignore[attr-defined]


def test_entities_majority_label_wins() -> None:
    text = "Nato Nato Nato"
    mentions = [
        Mention("Nato", "ORG", 0, 4),
        Mention("Nato", "ORG", 5, 9),
        Mention("Nato", "LOC", 10, 14),
    ]
    [ent] = canonicalize(mentions, text)
    assert (ent.label, ent.count) == ("ORG", 3)


def test_entities_normalize_strips_articles_and_punctuation() -> None:
    assert normalize("der Kreml,") == "Kreml"
    assert normalize("„Nato“") == "Nato"


def test_entities_empty_doc(blank_nlp: Language) -> None:
    assert extract_entities(make_doc(blank_nlp, "", [])) == []


def test_entities_role_inside_model_span_is_trimmed(blank_nlp: Language) -> None:
    text = "Das sagt Militärexperte Ralph Thiele heute."
    ents = _by_canonical(blank_nlp, text, [("Militärexperte Ralph Thiele", "PER")])
    thiele = ents["Ralph Thiele"]
    assert text[thiele.start : thiele.end] == "Ralph Thiele"  # type: ignore[attr-defined]
