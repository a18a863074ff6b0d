"""Entities per article with one canonical form each (pure: works on a spaCy Doc's ents).

A reader searching for "Wladimir Putin" must find the article that says "Putins Angebot"
and later just "Putin". So every mention is normalised (leading articles and genitive -s
stripped where the article itself shows the base form), a surname is resolved to the full
name the article uses elsewhere, and mentions with the same canonical form are merged into
one :class:`~newsstream.messages.Entity` with a count and every offset.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from newsstream.extractor.names import NameResolver
from newsstream.extractor.quotes.speakers import is_role
from newsstream.messages import Entity, EntityLabel
from newsstream.text.mentions import find_mentions

LABELS: dict[str, EntityLabel] = {
    "PER": "PER",
    "PERSON": "PER",
    "ORG": "ORG",
    "LOC": "LOC",
    "GPE": "LOC",
    "MISC": "MISC",
}
_LEADING = frozenset({"der", "die", "das", "dem", "den", "des", "ein", "eine", "einer", "eines"})
_LEADING_MORE = frozenset({"einem", "einen"})
_TRIM = " \t\n\"'„“”‚‘’»«›‹()[]{}.,;:!?-–—"
_GENITIVE_PATTERNS = ("lands", "reichs")


@dataclass(frozen=True)
class Mention:
    """One entity mention: surface text, label and character offsets into the text."""

    text: str
    label: EntityLabel
    start: int
    end: int


def mentions_from_doc(doc: Any) -> list[Mention]:
    """The Doc's entities with labels mapped onto PER/ORG/LOC/MISC (others dropped)."""
    out = []
    for ent in doc.ents:
        label = LABELS.get(ent.label_)
        if label is not None:
            out.append(Mention(ent.text, label, ent.start_char, ent.end_char))
    return out


def extract_entities(
    doc: Any,
    extra: Iterable[tuple[int, int, str]] = (),
    people: Iterable[tuple[int, int]] = (),
    *,
    text: str | None = None,
) -> list[Entity]:
    """Canonical, merged entities of ``doc``; ``extra`` adds (start, end, label) mentions
    found by other rules (speakers the model missed) where no model entity overlaps;
    ``people`` are (start, end) person spans found by the rules: a model entity starting
    there is relabelled PER and extended to ``end`` (the model's "Stefan" of "Stefan
    Sonntag", or "Selenskyj" tagged LOC after "Präsident"). ``text`` is ``doc.text`` when
    the caller has it (a Doc rebuilds its text from the tokens on every access)."""
    text = doc.text if text is None else text
    person_at = {start: end for start, end in people}
    mentions = []
    for m in mentions_from_doc(doc):
        end = person_at.get(m.start)
        if end is not None and end >= m.end:  # relabel (and extend) to the rule's person span
            m = Mention(text[m.start : end], "PER", m.start, end)
        mentions.append(_trim_role(m))
    mentions += _extra_mentions(text, mentions, extra)
    return canonicalize(mentions, text)


def _trim_role(mention: Mention) -> Mention:
    """ "Militärexperte Ralph Thiele" (a model span with the role) -> "Ralph Thiele"."""
    if mention.label != "PER":
        return mention
    words = mention.text.split(" ")
    cut = 0
    while cut < len(words) - 1 and (is_role(words[cut]) or words[cut].lower() in _LEADING):
        cut += 1
    if cut == 0:
        return mention
    offset = len(" ".join(words[:cut])) + 1
    return Mention(mention.text[offset:], mention.label, mention.start + offset, mention.end)


def _extra_mentions(
    text: str, mentions: Sequence[Mention], extra: Iterable[tuple[int, int, str]]
) -> list[Mention]:
    taken = [(m.start, m.end) for m in mentions]
    out: list[Mention] = []
    for start, end, label in extra:
        if label not in LABELS or any(s < end and start < e for s, e in taken):
            continue
        taken.append((start, end))
        out.append(Mention(text[start:end], LABELS[label], start, end))
    return out


def normalize(surface: str) -> str:
    """Strip articles, surrounding punctuation and collapse whitespace."""
    words = surface.strip(_TRIM).split()
    while len(words) > 1 and words[0].lower() in _LEADING | _LEADING_MORE:
        words.pop(0)
    return " ".join(words).strip(_TRIM)


def _strip_genitive(name: str, label: str, known: set[str], text_words: set[str]) -> str:
    """Putins -> Putin, Russlands -> Russland, Scholz' -> Scholz; only with evidence."""
    if name.endswith(("'", "’")):
        return name[:-1]
    if label not in {"PER", "LOC", "ORG"} or len(name) < 4 or not name.endswith("s"):
        return name
    stem = name[:-1]
    if stem in known or stem.rsplit(" ", 1)[-1] in text_words:
        return stem
    if label == "LOC" and name.lower().endswith(_GENITIVE_PATTERNS):
        return stem
    return name


def canonicalize(mentions: Sequence[Mention], text: str) -> list[Entity]:
    """Merge mentions into entities with canonical names, counts and all offsets."""
    if not mentions:
        return []
    text_words = set(re.findall(r"\w+", text))
    normal = [normalize(m.text) for m in mentions]
    known = set(normal)
    canon = [
        _strip_genitive(n, m.label, known, text_words)
        for n, m in zip(normal, mentions, strict=True)
    ]
    resolved = _resolve_surnames(canon, mentions)
    # A lone word that resolved to a person's full name is that person, whatever label a
    # weak model gave it ("Mangott" tagged LOC next to "Gerhard Mangott").
    mentions = [
        Mention(m.text, "PER", m.start, m.end) if new != old and m.label != "PER" else m
        for m, old, new in zip(mentions, canon, resolved, strict=True)
    ]
    mentions, canon = _propagate(text, mentions, resolved)
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(canon):
        if name:
            groups.setdefault(name, []).append(i)
    entities = []
    for name, idx in groups.items():
        labels = Counter(mentions[i].label for i in idx)
        label = max(labels, key=lambda lab: (labels[lab], lab == "PER"))
        first = min(idx, key=lambda i: mentions[i].start)
        offsets = sorted({(mentions[i].start, mentions[i].end) for i in idx})
        entities.append(
            Entity(
                text=mentions[first].text,
                label=label,
                canonical=name,
                start=mentions[first].start,
                end=mentions[first].end,
                count=len(offsets),
                offsets=offsets,
            )
        )
    entities.sort(key=lambda e: e.start)
    return entities


def _propagate(
    text: str, mentions: list[Mention], canon: list[str]
) -> tuple[list[Mention], list[str]]:
    """Label the other occurrences of a name the model found once (document-level
    consistency): a weak model tags "Wladimir Putin" but misses "Putins" two lines later."""
    taken = bytearray(len(text) + 1)  # characters already inside a mention
    for m in mentions:
        taken[m.start : m.end] = b"\x01" * (m.end - m.start)
    forms: dict[str, tuple[str, EntityLabel]] = {}
    for name, m in zip(canon, mentions, strict=True):
        if m.label == "MISC" or len(name) < 3 or not name[:1].isupper():
            continue
        variants = {name, m.text.strip(_TRIM)}
        if m.label == "PER" and " " in name:
            variants.add(name.rsplit(" ", 1)[-1])
        for variant in variants:
            if len(variant) >= 3 and variant[:1].isupper():
                forms.setdefault(variant, (name, m.label))
    if not forms:
        return mentions, canon
    for start, end, form in find_mentions(text, forms):
        if any(taken[start:end]):
            continue
        name, label = forms[form]
        taken[start:end] = b"\x01" * (end - start)
        mentions.append(Mention(text[start:end], label, start, end))
        canon.append(name)
    return mentions, canon


def _resolve_surnames(canon: list[str], mentions: Sequence[Mention]) -> list[str]:
    """A person's shorter forms become the fullest name the article uses (Putin -> Wladimir
    Putin), through the article's one :class:`~newsstream.extractor.names.NameResolver`; with
    two candidates (two Müllers) a name stays as it is. Any one-word mention may resolve (a
    weak model tags "Mangott" LOC); longer names only when the model calls them people."""
    resolver = NameResolver(
        name for name, m in zip(canon, mentions, strict=True) if m.label == "PER"
    )
    return [
        resolver.canonical(name) if " " not in name or m.label == "PER" else name
        for name, m in zip(canon, mentions, strict=True)
    ]
