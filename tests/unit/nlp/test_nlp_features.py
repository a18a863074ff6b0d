"""Lexicon features: word lists -> MORPH values -> the newsstream_lexicon component."""

from __future__ import annotations

from pathlib import Path

import spacy

from newsstream.nlp.corpora import Sentence
from newsstream.nlp.features import corpus_lexicon, feature_values
from newsstream.nlp.gazetteer import ruler_patterns
from newsstream.nlp.lexicon import FACTORY


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


def test_features_lexicon_component_sets_morph_and_round_trips(tmp_path: Path) -> None:
    nlp = spacy.blank("de")
    lexicon = nlp.add_pipe(FACTORY)
    lexicon.set_values({"Anna": "Gaz=Per", "Krim": "Gaz=Loc|Zipf=3", "Haus": "Zipf=5"})
    text = "Anna kauft ein Haus auf der Krim"
    expected = ["Gaz=Per", "", "", "Zipf=5", "", "", "Gaz=Loc|Zipf=3"]
    assert [str(t.morph) for t in nlp(text)] == expected
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")  # plain spacy.load: the factory is registered
    assert [str(t.morph) for t in loaded(text)] == expected
    other = spacy.blank("de")
    other.add_pipe(FACTORY).from_bytes(lexicon.to_bytes())
    assert [str(t.morph) for t in other(text)] == expected


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
