"""Random text soup: the quotation finder never raises and its offsets always hold."""

from __future__ import annotations

import random

from newsstream.extractor.quotes import find_quotes
from newsstream.messages import Entity

PIECES = [
    "„",
    "“",
    "”",
    '"',
    "»",
    "«",
    "‚",
    "‘",
    "’",
    "'",
    "‹",
    "›",
    ":",
    ",",
    ".",
    "!",
    "?",
    "–",
    "(",
    ")",
    "\n",
    "\n\n",
    " ",
    " ",
    " ",
    "sagt",
    "sagte",
    "so",
    "laut",
    "zufolge",
    "er",
    "sie",
    "der",
    "die",
    "ein",
    "Sprecher",
    "Polizei",
    "Anna",
    "Weber",
    "Militärexperte",
    "geht's",
    "Wort",
    "Satz",
    "heißt",
    "es",
    "nach",
    "Angaben",
    "Dr.",
    "63-Jährige",
    "…",
]


def test_robust_random_text_never_raises_and_offsets_hold() -> None:
    rng = random.Random(20241129)
    for _ in range(1500):
        text = "".join(
            rng.choice(PIECES) + rng.choice(["", " "]) for _ in range(rng.randint(0, 60))
        )
        entities = []
        if "Anna Weber" in text:
            start = text.index("Anna Weber")
            entities.append(
                Entity(
                    text="Anna Weber",
                    label="PER",
                    canonical="Anna Weber",
                    start=start,
                    end=start + 10,
                    offsets=[(start, start + 10)],
                )
            )
        for quote in find_quotes(text, entities):
            assert 0 <= quote.start <= quote.end <= len(text)
            assert text[quote.start : quote.end] == quote.quote
