"""Lexicon features: word lists -> MORPH values -> attribute_ruler patterns that tok2vec hashes."""

from __future__ import annotations

import spacy

from newsstream.nlp.corpora import Sentence
from newsstream.nlp.features import corpus_lexicon, feature_values, patterns_from_values
from newsstream.nlp.gazetteer import ruler_patterns


def test_features_values_combine_lists_and_frequency() -> None:
    values = feature_values(
        first_names={"Anna", "Paris"},
        places={"Paris", "Krim"},
        orgs={"Nato"},
        zipf={"Haus": 5, "Krim": 3},
    )
    assert values == {
        "Anna": "Gaz=Per",
        "Paris": "Gaz=Loc,Per",
        "Krim": "Gaz=Loc|Zipf=3",
        "Nato": "Gaz=Org",
        "Haus": "Zipf=5",
    }


def test_features_patterns_set_morph_in_a_pipeline() -> None:
    values = {"Anna": "Gaz=Per", "Krim": "Gaz=Loc|Zipf=3", "Haus": "Zipf=5"}
    patterns = patterns_from_values(values)
    assert len(patterns) == 3
    nlp = spacy.blank("de")
    nlp.add_pipe("attribute_ruler").add_patterns(patterns)  # type: ignore[attr-defined]
    doc = nlp("Anna kauft ein Haus auf der Krim")
    assert [str(t.morph) for t in doc] == ["Gaz=Per", "", "", "Zipf=5", "", "", "Gaz=Loc|Zipf=3"]


def test_gazetteer_has_german_country_names_and_news_orgs() -> None:
    patterns = {(p["pattern"], p["label"]) for p in ruler_patterns()}
    assert {
        ("Österreich", "LOC"),
        ("Russland", "LOC"),
        ("Nato", "ORG"),
        ("Kreml", "ORG"),
    } <= patterns
    assert ("Bolivien", "LOC") in patterns  # "Bolivien, Plurinationaler Staat" shortened
    labels = {}
    for name, label in patterns:
        labels.setdefault(name, set()).add(label)
    assert all(len(v) == 1 for v in labels.values())  # one label per name


def test_features_corpus_lexicon_and_lex_value() -> None:
    sents = [
        Sentence(("Herr", "Balzer", "in", "Köln"), ("O", "B-PER", "O", "B-LOC")),
        Sentence(
            ("die", "Deutsche", "Bahn", "von", "van", "Gogh"),
            ("O", "B-ORG", "I-ORG", "O", "B-PER", "I-PER"),
        ),
    ]
    lexicon = corpus_lexicon(sents)
    assert lexicon == {"Per": {"Balzer", "Gogh"}, "Loc": {"Köln"}, "Org": {"Deutsche", "Bahn"}}
    values = feature_values([], ["Köln"], [], {"Bahn": 5}, lexicon)
    assert values["Köln"] == "Gaz=Loc|Lex=Loc"
    assert values["Bahn"] == "Lex=Org|Zipf=5"
    assert values["Balzer"] == "Lex=Per"
