"""Speaker phrases next to a cue: role, name, organisation, unnamed speaker or pronoun.

German puts the speaker right after the verb when the quotation comes first
(„…“, sagt Militärexperte Ralph Thiele) and before it otherwise (CSU-Chef Söder sagte: „…“).
The parser reads ``[Artikel] [Adjektive] [Rolle…] [Name…]`` forwards from a position, and a
backwards reader finds the phrase that ends right before a verb. Names come from the
model's entities when it has them and from capitalisation rules when it does not, so
attribution works with a weak NER model (or none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.segments import Word

SpeakerKind = Literal["PER", "ORG", "UNNAMED", "PRON"]

#: Endings of nouns for people (Rentnerin, Anwohner, Betroffene, Angestellter, Feuerwehrmann).
_PERSON_ENDINGS = ("in", "er", "e", "mann", "frau", "kind", "ling", "ant", "ent", "ist")

#: Entity label by character offset, for the tokens of a name.
EntityIndex = dict[int, tuple[int, int, str]]


@dataclass(frozen=True)
class SpeakerRef:
    """A speaker phrase as written: ``text`` is the name (or org / unnamed phrase)."""

    text: str
    kind: SpeakerKind
    role: str | None
    start: int
    end: int
    #: "der Militärexperte" (may refer back to a named person), not "ein Sprecher".
    definite: bool = False


def is_role(word: str) -> bool:
    """Role nouns and their compounds, inflected or not (Militärexperten, CSU-Chef)."""
    low = word.lower()
    last = low.rsplit("-", 1)[-1]
    for form in (last, last[:-1], last[:-2]):
        if form and (form in lx.ROLE_WORDS or form.endswith(lx.ROLE_WORDS)):
            return True
    return False


def is_org(word: str) -> bool:
    low = word.lower().rsplit("-", 1)[-1]
    for form in (low, low[:-1], low[:-2]):
        if form in lx.ORG_WORDS or (len(form) > 6 and form.endswith(lx.ORG_SUFFIXES)):
            return True
    return False


def is_name_like(word: Word, entities: EntityIndex) -> bool:
    """A capitalised token that can belong to a name (not a role, org or common noun)."""
    if word.quoted or not word.is_cap or not word.text[0].isalpha():
        return False
    if word.start in entities:
        return True
    low = word.lower
    if low in lx.NON_NAMES or is_role(word.text):
        return False
    if len(low) > 5 and low.endswith(lx.NOUN_SUFFIXES):
        return False
    return not (word.text.isupper() and len(word.text) > 1 and is_org(word.text))


def _label_of(words: list[Word], entities: EntityIndex) -> str | None:
    for w in words:
        hit = entities.get(w.start)
        if hit:
            return hit[2]
    return None


def parse_forward(words: list[Word], i: int, entities: EntityIndex) -> SpeakerRef | None:
    """Read a speaker phrase starting at ``words[i]`` (after a verb, ``laut``, ``so``)."""
    n = len(words)
    while i < n and words[i].lower in lx.ADVERBS:
        i += 1
    if i >= n or words[i].quoted:
        return None
    first = words[i]
    if first.lower in lx.PRONOUNS:
        return SpeakerRef(first.lower, "PRON", None, first.start, first.end)
    det: Word | None = None
    if first.lower in lx.DETERMINERS:
        det = first
        i += 1
    adjs: list[Word] = []
    while i < n and not words[i].is_cap and det is not None and _adjective_like(words[i].text):
        if words[i].lower in lx.DETERMINERS or not words[i].lower.endswith(("e", "en", "er", "es")):
            break
        adjs.append(words[i])
        i += 1
    # "Bayerns Ministerpräsident": one genitive place name in front of the role
    if (
        i + 1 < n
        and words[i].is_cap
        and words[i].text.endswith("s")
        and not is_role(words[i].text)
        and is_role(words[i + 1].text)
    ):
        i += 1
    roles: list[Word] = []
    while (
        i < n and words[i].is_cap and is_role(words[i].text) and _role_not_name(words, i, entities)
    ):
        roles.append(words[i])
        i += 1
    names = _read_name(words, i, entities, allow=det is None or bool(roles) or bool(adjs))
    weak = names and det is not None and not roles and len(names) < 2
    if weak and names[0].start not in entities:
        names = []  # "die 45-jährige Anna Weber" yes, "die neue Regel" no
    role_text = _role_text(det, adjs, roles)
    if roles and not names:
        names = _apposition(words, i, entities)
    if names:
        kind: SpeakerKind = "ORG" if _label_of(names, entities) in {"ORG", "LOC"} else "PER"
        if kind == "PER" and len(names) == 1 and is_org(names[0].text):
            kind = "ORG"
        if roles and not is_org(roles[-1].text):
            kind = "PER"  # "Präsident Selenskyj" is a person whatever the model's label
        return SpeakerRef(_join(names), kind, role_text, names[0].start, names[-1].end)
    if roles:
        return _unnamed(words, i, det, adjs, roles)
    if det is not None and not (i < len(words) and words[i].is_cap and is_org(words[i].text)):
        return _common_noun_speaker(words, i, det, adjs, entities)
    if i < n and words[i].is_cap and is_org(words[i].text):
        if det is not None and det.lower == "des" and words[i].text.endswith("s"):
            base = words[i].text[:-2] if words[i].text.endswith("es") else words[i].text[:-1]
            if is_org(base) or is_org(words[i].text[:-1]):
                word = words[i]
                stem = word.text[:-1] if is_org(word.text[:-1]) else base
                return SpeakerRef(stem, "ORG", None, word.start, word.start + len(stem))
        org = [words[i]]
        j = i + 1
        while j < n and j < i + 3 and is_name_like(words[j], entities):
            org.append(words[j])
            j += 1
        return SpeakerRef(_join(org), "ORG", None, org[0].start, org[-1].end)
    return None


def _adjective_like(text: str) -> bool:
    return text.isalpha() or re.fullmatch(r"\d+-\w+", text) is not None


def _apposition(words: list[Word], i: int, entities: EntityIndex) -> list[Word]:
    """ "der Bürgermeister von Kaufbeuren, Stefan Bosse": the name after the comma."""
    n = len(words)
    j = i
    if j < n and words[j].lower in {"des", "der", "von", "vom", "aus"}:
        while j < n and j < i + 5 and words[j].text != ",":
            j += 1
    if j + 1 >= n or words[j].text != ",":
        return []
    names = _read_name(words, j + 1, entities, allow=True)
    after = j + 1 + len(names)
    if names and (
        after >= n or words[after].text in {",", ".", "(", ";"} or not words[after].is_cap
    ):
        return names
    return []


def _role_not_name(words: list[Word], i: int, entities: EntityIndex) -> bool:
    """A role word, unless a model entity makes it a whole name; a model span that merely
    starts with the role ("Militärexperte Ralph Thiele") still has the role in front."""
    hit = entities.get(words[i].start)
    return hit is None or hit[1] > words[i].end


def _read_name(words: list[Word], i: int, entities: EntityIndex, *, allow: bool) -> list[Word]:
    """Consecutive name tokens from ``i``; after a bare article only entity-backed names."""
    n = len(words)
    if i >= n:
        return []
    hit = entities.get(words[i].start)
    if hit is not None and hit[2] in {"PER", "ORG", "LOC"}:
        names = [w for w in words[i:] if w.start < hit[1]]
        j = i + len(names)
        while j < n and len(names) < 4 and not words[j].quoted:
            if words[j].start in entities or not (
                is_name_like(words[j], entities) or words[j].lower in lx.CALENDAR
            ):
                break
            names.append(words[j])
            j += 1
        return names
    if not allow or not is_name_like(words[i], entities):
        return []
    names = [words[i]]
    j = i + 1
    while j < n and len(names) < 4:
        if is_name_like(words[j], entities) or words[j].lower in lx.CALENDAR:
            names.append(words[j])  # a surname may be "Sonntag" once a name has begun
            j += 1
        elif (
            words[j].lower in lx.NAME_PARTICLES
            and j + 1 < n
            and (words[j + 1].lower in lx.NAME_PARTICLES or words[j + 1].is_cap)
            and len(names) == 1
            and words[j].end == words[j + 1].start - 1
            and _particle_run_ends_in_name(words, j, entities)
        ):
            k = j
            while k < n and words[k].lower in lx.NAME_PARTICLES:
                k += 1
            names.extend(words[j : k + 1])
            j = k + 1
        else:
            break
    return names


def _particle_run_ends_in_name(words: list[Word], j: int, entities: EntityIndex) -> bool:
    """ "von der Leyen" yes; "von der CSU" no (an all-caps party is not a surname)."""
    k = j
    while k < len(words) and words[k].lower in lx.NAME_PARTICLES:
        k += 1
    if k >= len(words) or k - j > 2:
        return False
    last = words[k]
    return is_name_like(last, entities) and not last.text.isupper() and not is_org(last.text)


def _unnamed(
    words: list[Word], i: int, det: Word | None, adjs: list[Word], roles: list[Word]
) -> SpeakerRef:
    """ "ein Sprecher des Innenministeriums": the phrase itself is the speaker."""
    parts = [*adjs, *roles]
    j = i
    if j + 1 < len(words) and words[j].lower in {"des", "der"} and words[j + 1].is_cap:
        parts.extend(words[j : j + 2])
        j += 2
        while j < len(words) and words[j].is_cap and not words[j].quoted and j < i + 4:
            parts.append(words[j])
            j += 1
    kind: SpeakerKind = "ORG" if len(roles) == 1 and is_org(roles[0].text) else "UNNAMED"
    definite = det is not None and det.lower in {"der", "die", "das", "dem", "den", "des"}
    role = " ".join(w.text for w in roles)
    return SpeakerRef(_join(parts), kind, role, parts[0].start, parts[-1].end, definite)


def _role_text(det: Word | None, adjs: list[Word], roles: list[Word]) -> str | None:
    if not roles:
        return None
    parts = [w.text for w in [*adjs, *roles]]
    if det is not None and adjs and det.lower in lx.NOMINATIVE_DETERMINERS:
        parts.insert(0, det.lower)
    return " ".join(parts)


def _join(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


def parse_backward(words: list[Word], end: int, entities: EntityIndex) -> SpeakerRef | None:
    """The speaker phrase that ends right before ``words[end]`` (subject before the verb)."""
    if end > 2 and words[end - 1].text == ",":
        return _apposition_before(words, end, entities)
    if end > 1 and words[end - 1].text == ")":  # "Markus Söder (CSU) sagte"
        for p in range(end - 2, max(-1, end - 7), -1):
            if words[p].text == "(":
                end = p
                break
    start = end
    while start > 0:
        prev = words[start - 1]
        if prev.quoted or prev.text in {",", ";", ":", "–", "—", "(", ")", ".", "-"}:
            break
        if prev.lower in {"und", "oder", "aber", "doch", "denn", "dass", "weil", "wie"}:
            break
        start -= 1
        if end - start > 7:
            return None
    while start < end and words[start].lower in lx.ADVERBS | {"dazu", "so"}:
        start += 1
    if start >= end:
        return None
    ref = parse_forward(words[start:end], 0, entities)
    if ref is None or (ref.end != words[end - 1].end and ref.kind != "UNNAMED"):
        return None
    return ref


def _apposition_before(words: list[Word], end: int, entities: EntityIndex) -> SpeakerRef | None:
    """ "Der Präsident des Bauernverbands, Günther Felßner, sagte": the name between the
    commas is the speaker, the phrase before it gives the role."""
    for k in range(end - 2, max(-1, end - 7), -1):
        if words[k].text != ",":
            continue
        inner = words[k + 1 : end - 1]
        ref = parse_forward(inner, 0, entities) if inner else None
        if ref is None or ref.kind != "PER" or ref.end != inner[-1].end:
            return None
        head = parse_backward(words, k, entities)
        role = ref.role or (head.role if head is not None and head.kind == "UNNAMED" else None)
        return SpeakerRef(ref.text, "PER", role, ref.start, ref.end)
    return None


def _common_noun_speaker(
    words: list[Word], i: int, det: Word, adjs: list[Word], entities: EntityIndex
) -> SpeakerRef | None:
    """ "sagt die Rentnerin" / "sagt der 63-Jährige": an unnamed person; "sagte der Zeitung
    ein Sprecher" skips the addressee."""
    n = len(words)
    if adjs and re.fullmatch(r"\d+-[A-ZÄÖÜ]\w*", adjs[-1].text):
        last = adjs[-1]
        return SpeakerRef(last.text, "UNNAMED", None, last.start, last.end, True)
    if i >= n or not words[i].is_cap or words[i].quoted or not words[i].text[0].isalpha():
        return None
    noun = words[i]
    if noun.lower in lx.ADDRESSEES:
        return parse_forward(words, i + 1, entities) if det.lower in {"der", "dem"} else None
    if noun.lower in lx.NON_NAMES or len(adjs) > 2 or noun.lower.endswith(lx.NOUN_SUFFIXES):
        return None
    if not noun.lower.endswith(_PERSON_ENDINGS):
        return None  # "Das Gesetz betont …" - a thing, not a person
    definite = det.lower in {"der", "die"}
    return SpeakerRef(noun.text, "UNNAMED", None, noun.start, noun.end, definite)
