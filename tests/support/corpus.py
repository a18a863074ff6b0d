"""Article variants built from the real BR24 article, for end-to-end tests and benchmarks.

Each variant keeps real German news prose (the shared article's paragraphs that hold no
quotation) and adds a known number of attributed quotations, so a test knows exactly how many
articles and quotation documents must end up in Elasticsearch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from tests.support.shared import SEED_ARTICLE, read_text

#: The seed article of the shared development data (a test without it skips with the reason).
SHARED_ARTICLE = SEED_ARTICLE

SPEAKERS = (
    ("Politikwissenschaftlerin", "Ursula Brenner"),
    ("Militärexperte", "Konrad Falkenberg"),
    ("Bürgermeister", "Thomas Lindner"),
    ("Verbandspräsidentin", "Sabine Huber"),
    ("Historiker", "Michael Aigner"),
    ("Ministerpräsident", "Florian Steiner"),
)
CUES = ("sagt", "sagte", "betont", "erklärte", "warnt")
QUOTE_SENTENCES = (
    "Wir müssen jetzt handeln, bevor es zu spät ist.",
    "Die Lage ist ernster, als viele glauben.",
    "Das ist ein wichtiges Signal für die ganze Region.",
    "Niemand kann sagen, wie lange das noch dauern wird.",
    "Wir werden die Entscheidung sorgfältig prüfen.",
    "Es gibt keinen einfachen Ausweg aus dieser Situation.",
    "Die Menschen erwarten zu Recht klare Antworten.",
    "Ohne Vertrauen wird keine Lösung gelingen.",
)


@dataclass(frozen=True)
class Variant:
    slug: str
    title: str
    teaser: str
    paragraphs: list[str]
    #: (speaker full name, quotation text) in order of appearance.
    quotes: list[tuple[str, str]]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def filler_paragraphs() -> list[str]:
    """Paragraphs of the real article with no quotation marks and no page furniture."""
    text = read_text(SHARED_ARTICLE)
    paragraphs = [p.strip() for p in text.split("\n\n")]
    return [
        p
        for p in paragraphs
        if len(p) > 200 and "\n" not in p and "[" not in p and not any(m in p for m in '"„“»«')
    ]


def article_paragraphs() -> list[str]:
    """Every paragraph of the real article's cleaned body (its own 8 quotations included)."""
    from newsstream.text.clean import clean_text

    body = clean_text(read_text(SHARED_ARTICLE)).body
    return [p for p in body.split("\n\n") if p.strip()]


DEV_ARTICLES = SHARED_ARTICLE.parent / "dev"


@cache
def base_texts() -> list[list[str]]:
    """The bodies full-length variants rotate through: the seed article, then each article of
    the shared development set (44 real German news texts, cleaned like a scraped page), so a
    benchmark's texts vary as news does instead of being reshuffles of one article."""
    import json

    from newsstream.text.clean import clean_text

    bodies = [article_paragraphs()]
    for path in sorted(DEV_ARTICLES.glob("dev-*.json")):
        text = json.loads(path.read_text(encoding="utf-8"))["text"]
        paragraphs = [p for p in clean_text(text).body.split("\n\n") if p.strip()]
        if paragraphs:
            bodies.append(paragraphs)
    return bodies


def quote_paragraph(role: str, name: str, cue: str, sentence: str) -> str:
    return f"„{sentence.rstrip('.')}“, {cue} {role} {name}."


def make_variant(
    index: int, *, quotes: int = 2, seed: int = 0, full_length: bool = False
) -> Variant:
    """A short variant (three quote-free paragraphs plus ``quotes``), or with ``full_length``
    a whole real article (its own quotations too) plus ``quotes``: the seed article and the
    development articles in turn (:func:`base_texts`)."""
    rng = random.Random(seed * 100_003 + index)
    if full_length:
        texts = base_texts()
        # three texts in turn (~800 words, about a full news article), all of them real prose
        body = [p for k in range(3) for p in texts[(index + k) % len(texts)]]
    else:
        filler = filler_paragraphs()
        body = rng.sample(filler, k=min(3, len(filler)))
    said: list[tuple[str, str]] = []
    for q in range(quotes):
        role, name = SPEAKERS[(index + q) % len(SPEAKERS)]
        sentence = QUOTE_SENTENCES[(index * 3 + q) % len(QUOTE_SENTENCES)]
        body.insert(1 + q, quote_paragraph(role, name, rng.choice(CUES), sentence))
        said.append((name, sentence.rstrip(".")))
    return Variant(
        slug=f"artikel-{index:05d}",
        title=f"Meldung {index}: Streit um die Waffenruhe geht weiter",
        teaser=f"Die Debatte um eine Waffenruhe hält an. Folge {index} unserer Berichterstattung.",
        paragraphs=body,
        quotes=said,
    )


def make_corpus(
    count: int, *, quotes: int = 2, seed: int = 0, full_length: bool = False
) -> list[Variant]:
    return [
        make_variant(i, quotes=quotes, seed=seed, full_length=full_length) for i in range(count)
    ]
