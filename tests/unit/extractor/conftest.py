"""Blank German pipelines and helpers for the extractor's pure-logic tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from newsstream.extractor.entities import extract_entities
from newsstream.extractor.quotes import find_quotes
from newsstream.messages import Quote


@pytest.fixture(scope="session")
def blank_nlp() -> Language:
    nlp = spacy.blank("de")
    nlp.add_pipe("sentencizer")
    return nlp


def make_doc(nlp: Language, text: str, ents: list[tuple[str, str]] | None = None) -> Doc:
    """A Doc with hand-made entities: each (surface, label) at every occurrence."""
    doc = nlp(text)
    spans = []
    taken: set[int] = set()
    for surface, label in ents or []:
        start = text.find(surface)
        while start >= 0:
            span = doc.char_span(start, start + len(surface), label=label)
            if span is not None and not taken.intersection(range(span.start, span.end)):
                spans.append(span)
                taken.update(range(span.start, span.end))
            start = text.find(surface, start + 1)
    doc.ents = sorted(spans, key=lambda s: s.start)
    return doc


@pytest.fixture
def quotes_of(blank_nlp: Language) -> Callable[..., list[Quote]]:
    def run(text: str, ents: list[tuple[str, str]] | None = None) -> list[Quote]:
        doc = make_doc(blank_nlp, text, ents)
        return find_quotes(doc, extract_entities(doc))

    return run
