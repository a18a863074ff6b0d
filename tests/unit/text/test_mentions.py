"""find_mentions gives exactly the per-article regular expression's matches (text.mentions)."""

from __future__ import annotations

import random
import re

from newsstream.text.mentions import NameMatch, find_mentions


def _by_regex(text: str, names: list[str]) -> list[NameMatch]:
    """The expression the extractor compiled per article before."""
    pattern = re.compile(
        r"(?<![\w-])("
        + "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
        + r")(s|’|')?(?![\w-])"
    )
    return [NameMatch(m.start(), m.end(), m.group(1)) for m in pattern.finditer(text)]


def test_examples() -> None:
    text = "Wladimir Putin sagte, Putins Plan sei gut. Putinsche Ideen, Anti-Putin, Putin’ Leute."
    found = find_mentions(text, ["Wladimir Putin", "Putin"])
    assert [text[m.start : m.end] for m in found] == ["Wladimir Putin", "Putins", "Putin’"]
    assert [m.name for m in found] == ["Wladimir Putin", "Putin", "Putin"]
    assert find_mentions(text, []) == [] and find_mentions("", ["Putin"]) == []


def test_same_matches_as_the_regular_expression_on_random_texts() -> None:
    rng = random.Random(5)
    names = ["Weber", "Anna Weber", "Web", "Müller", "Müller-Lüdenscheidt", "Öz", "Al", "Al Gore"]
    pieces = [*names, " ", " ", "-", "s", "’", "'", "x", "ä", ".", ",", "_", "1", "\n", "er"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        chosen = rng.sample(names, rng.randint(1, len(names)))
        assert find_mentions(text, chosen) == _by_regex(text, chosen), (text, chosen)
