"""Brown clusters as TAG/LEMMA features: strings, the lexicon lookup, reset after use.

No download: a fake cluster table stands in for spacy-lookups-data.
"""

from __future__ import annotations

from pathlib import Path

import spacy

from newsstream.nlp import model
from newsstream.nlp.clusters import cluster_feature_table, cluster_strings
from newsstream.nlp.lexicon import LexiconFeatures


def test_clusters_strings_are_whole_cluster_and_path_prefix() -> None:
    # 0b1011001: the path's first 6 bits are the integer's low 6 bits (reversed bit string).
    assert cluster_strings(0b1011001) == ("C89", "P6:25")
    assert cluster_feature_table({"Merkel": 40}) == {"Merkel": ("C40", "P6:40")}


def _lexicon(tmp_path: Path) -> tuple[spacy.language.Language, LexiconFeatures]:
    nlp = spacy.blank("de")
    lexicon = LexiconFeatures(nlp.vocab)
    lexicon.set_values({"Merkel": "Lt=Nac"})
    lexicon.set_clusters({"Merkel": 40, "Scholz": 40, "Haus": 4021})
    lexicon.to_disk(tmp_path / "lex")
    loaded = LexiconFeatures(nlp.vocab).from_disk(tmp_path / "lex")
    return nlp, loaded


def test_clusters_lexicon_sets_tag_and_lemma_and_survives_disk(tmp_path: Path) -> None:
    nlp, lexicon = _lexicon(tmp_path)
    doc = lexicon(nlp.make_doc("Merkel und Scholz im Haus"))
    assert [t.tag_ for t in doc] == ["C40", "", "C40", "", "C4021"]
    assert doc[0].lemma_ == "P6:40"
    assert str(doc[0].morph) == "Lt=Nac"
    assert LexiconFeatures(nlp.vocab).from_bytes(lexicon.to_bytes()).clusters == lexicon.clusters


def test_clusters_are_reset_after_the_entities(tmp_path: Path) -> None:
    nlp, lexicon = _lexicon(tmp_path)
    doc = lexicon(nlp.make_doc("Merkel lacht"))
    model.clean_entities(doc, clear_clusters=True)
    assert [(t.tag_, t.lemma_) for t in doc] == [("", ""), ("", "")]
