"""Speaker phrases next to a cue: role, name, organisation, unnamed speaker or pronoun.

German puts the speaker right after the verb when the quotation comes first
(„…“, sagt Militärexperte Ralph Thiele) and before it otherwise (CSU-Chef Söder sagte: „…“).
The parser reads ``[Artikel] [Adjektive] [Rolle…] [Name…] [, Rolle]`` forwards from a
position, and a backwards reader finds the phrase that ends right before a verb. Names come
from the model's entities when it has them and from capitalisation rules when it does not,
so attribution works with a weak NER model (or none).
"""

from __future__ import annotations

import re

from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.refs import (
    EntityIndex,
    SpeakerKind,
    SpeakerRef,
    first_name,
    is_name_like,
    is_org,
    is_role,
    join,
    label_of,
)
from newsstream.extractor.quotes.segments import Word

#: Endings of nouns for people (Rentnerin, Anwohner, Betroffene, Angestellter, Feuerwehrmann).
_PERSON_ENDINGS = ("in", "er", "e", "mann", "frau", "kind", "ling", "ant", "ent", "ist")
_STOPS = frozenset({",", ";", ":", "–", "—", "(", ")", ".", "-", "•", "+", "|"})
_BREAKS = frozenset({"und", "oder", "aber", "doch", "denn", "dass", "weil", "wie"})
_INFLECTED = ("e", "en", "er", "es", "em")
_RELATIVES = frozenset({"der", "die", "das", "den", "dem", "deren", "dessen", "welche", "welcher"})

__all__ = ["EntityIndex", "SpeakerRef", "is_org", "is_role", "parse_backward", "parse_forward"]


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
    det = first if first.lower in lx.DETERMINERS else None
    i += det is not None
    adjs, i = _adjectives(words, i, det)
    i = _skip_genitive_place(words, i)
    roles, i = _roles(words, i, entities)
    names = _read_name(words, i, entities, allow=det is None or bool(roles) or bool(adjs))
    weak = names and det is not None and not roles and len(names) < 2
    if weak and names[0].start not in entities:
        names = []  # "die 45-jährige Anna Weber" yes, "die neue Regel" no
    if roles and not names:
        names = _apposition(words, i, entities)
    if names:
        return _named(words, names, _role_text(det, adjs, roles), roles, entities)
    if roles:
        return _unnamed(words, i, det, adjs, roles)
    if i < n and words[i].is_cap and (is_org(words[i].text) or _acronym(words[i], det)):
        return _organisation(words, i, det, entities)
    if det is not None:
        return _common_noun_speaker(words, i, det, adjs, entities)
    return None


def _adjectives(words: list[Word], i: int, det: Word | None) -> tuple[list[Word], int]:
    """ "der frühere", "die 45-jährige": inflected adjectives after an article."""
    adjs: list[Word] = []
    j = i
    while j < len(words) and det is not None and not words[j].is_cap:
        w = words[j]
        if not _adjective_like(w.text) or w.lower in lx.DETERMINERS:
            break
        j += 1
        if w.lower in lx.FUNCTION_WORDS or w.lower in lx.ADVERBS:
            continue  # "der eigentlich sonst besonnene Präsident"
        if not w.lower.endswith(("e", "en", "er", "es")):
            break
        adjs.append(w)
        i = j
    return adjs, i


def _skip_genitive_place(words: list[Word], i: int) -> int:
    """ "Bayerns Ministerpräsident": one genitive place name in front of the role."""
    if (
        i + 1 < len(words)
        and words[i].is_cap
        and words[i].text.endswith("s")
        and not is_role(words[i].text)
        and is_role(words[i + 1].text)
    ):
        return i + 1
    return i


def _roles(words: list[Word], i: int, entities: EntityIndex) -> tuple[list[Word], int]:
    roles: list[Word] = []
    while (
        i < len(words)
        and words[i].is_cap
        and is_role(words[i].text)
        and _role_not_name(words, i, entities)
    ):
        roles.append(words[i])
        i += 1
    return roles, i


def _named(
    words: list[Word],
    names: list[Word],
    role_text: str | None,
    roles: list[Word],
    entities: EntityIndex,
) -> SpeakerRef:
    kind: SpeakerKind = "ORG" if label_of(names, entities) in {"ORG", "LOC"} else "PER"
    if kind == "PER" and len(names) == 1 and is_org(names[0].text):
        kind = "ORG"
    if roles and not is_org(roles[-1].text):
        kind = "PER"  # "Präsident Selenskyj" is a person whatever the model's label
    if role_text is None and kind == "PER":
        role_text = _role_after(words, names[-1])
    return SpeakerRef(join(names), kind, role_text, names[0].start, names[-1].end)


def _role_after(words: list[Word], last: Word) -> str | None:
    """ "Dieter Huber, Sprecher der Stadtwerke, …": the role in an apposition after a name."""
    k = next((j for j, w in enumerate(words) if w is last), -1)
    if k < 0 or k + 2 >= len(words) or words[k + 1].text != ",":
        return None
    j = k + 2
    if words[j].lower in lx.NOMINATIVE_DETERMINERS:
        j += 1
    while j < len(words) and not words[j].is_cap and words[j].lower.endswith(_INFLECTED):
        j += 1  # "die frühere" - but not "worauf Moderator X" (a new clause)
    if j < len(words) and words[j].is_cap and is_role(words[j].text):
        return words[j].text
    return None


def _organisation(words: list[Word], i: int, det: Word | None, entities: EntityIndex) -> SpeakerRef:
    """ "die Polizei", "des Innenministeriums" (genitive stripped), "Polizei Köln"."""
    word = words[i]
    if det is not None and det.lower == "des" and word.text.endswith("s"):
        base = word.text[:-2] if word.text.endswith("es") else word.text[:-1]
        if is_org(base) or is_org(word.text[:-1]):
            stem = word.text[:-1] if is_org(word.text[:-1]) else base
            return SpeakerRef(stem, "ORG", None, word.start, word.start + len(stem))
    org = [word]
    j = i + 1
    while j < len(words) and j < i + 3 and is_name_like(words[j], entities):
        org.append(words[j])
        j += 1
    if len(org) > 2 and first_name(org[1].text):  # "der Betriebsrat Paul Ruf"
        return SpeakerRef(join(org[1:]), "PER", word.text, org[1].start, org[-1].end)
    return SpeakerRef(join(org), "ORG", None, org[0].start, org[-1].end)


def _acronym(word: Word, det: Word | None) -> bool:
    """ "des BLLV", "der SPD": an all-capital short word after an article is a body."""
    return det is not None and word.text.isupper() and 2 <= len(word.text) <= 6


def _adjective_like(text: str) -> bool:
    return text.isalpha() or re.fullmatch(r"\d+-\w+", text) is not None


def _apposition(words: list[Word], i: int, entities: EntityIndex) -> list[Word]:
    """ "der Bürgermeister von Kaufbeuren, Stefan Bosse": the name after the comma."""
    n = len(words)
    j = i
    while j < n and j < i + 5 and words[j].text != ",":
        if not (words[j].is_cap or words[j].lower in {"des", "der", "von", "vom", "aus", "für"}):
            return []  # "der Chefredakteur Fernsehen, Anna Weber": only a short attribute
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
    """A role word, unless the model calls that one word a person (a surname such as
    "Richter"); a model span that merely starts with the role ("Militärexperte Ralph
    Thiele") still has the role in front, and a role tagged ORG ("CDU-Kanzlerkandidat") is
    still a role."""
    hit = entities.get(words[i].start)
    return hit is None or hit[1] > words[i].end or hit[2] != "PER"


def _read_name(words: list[Word], i: int, entities: EntityIndex, *, allow: bool) -> list[Word]:
    """Consecutive name tokens from ``i``; after a bare article only entity-backed names."""
    if i >= len(words):
        return []
    hit = entities.get(words[i].start)
    if hit is not None and hit[2] in {"PER", "ORG", "LOC"} and is_name_like(words[i], entities):
        names = [w for w in words[i:] if w.start < hit[1]]
        return _extend_name(words, names, i + len(names), entities, entity_backed=True)
    if allow and _particle_surname(words, i, entities):
        return words[i : i + 2]  # "so von Brunn": a known surname with its particle
    if not allow or not is_name_like(words[i], entities) or entities.is_common_noun(words[i]):
        return []
    names = _extend_name(words, [words[i]], i + 1, entities, entity_backed=False)
    if len(names) > 2 and first_name(names[1].text) and not first_name(names[0].text):
        return names[1:]  # "Kämmerer Paul Ruf": an unknown role word before a first name
    return names


def _particle_surname(words: list[Word], i: int, entities: EntityIndex) -> bool:
    return (
        i + 1 < len(words)
        and words[i].lower in lx.NAME_PARTICLES
        and words[i + 1].text in entities.surnames
    )


def _extend_name(
    words: list[Word], names: list[Word], j: int, entities: EntityIndex, *, entity_backed: bool
) -> list[Word]:
    """More name tokens after ``names`` (a surname may be "Sonntag" once a name has begun)."""
    n = len(words)
    while j < n and len(names) < 4 and not words[j].quoted:
        w = words[j]
        if entity_backed and w.start in entities:
            break
        if is_name_like(w, entities) or w.lower in lx.CALENDAR:
            names.append(w)
            j += 1
        elif not entity_backed and len(names) == 1 and _particle_run(words, j, entities):
            k = j
            while k < n and words[k].lower in lx.NAME_PARTICLES:
                k += 1
            names.extend(words[j : k + 1])
            j = k + 1
        else:
            break
    return names


def _particle_run(words: list[Word], j: int, entities: EntityIndex) -> bool:
    """ "von der Leyen" yes; "von der CSU" no (an all-caps party is not a surname)."""
    n = len(words)
    if not (
        words[j].lower in lx.NAME_PARTICLES
        and j + 1 < n
        and (words[j + 1].lower in lx.NAME_PARTICLES or words[j + 1].is_cap)
        and words[j].end == words[j + 1].start - 1
    ):
        return False
    k = j
    while k < n and words[k].lower in lx.NAME_PARTICLES:
        k += 1
    if k >= n or k - j > 2:
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
    article = det.lower if det is not None else None
    return SpeakerRef(join(parts), kind, role, parts[0].start, parts[-1].end, definite, article)


def _role_text(det: Word | None, adjs: list[Word], roles: list[Word]) -> str | None:
    if not roles:
        return None
    parts = [w.text for w in [*adjs, *roles]]
    if det is not None and adjs and det.lower in lx.NOMINATIVE_DETERMINERS:
        parts.insert(0, det.lower)
    return " ".join(parts)


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
        if prev.quoted or prev.text in _STOPS or prev.lower in _BREAKS or prev.lower == "uhr":
            break  # "23.37 Uhr Politikwissenschaftler:" - a ticker's time stamp
        start -= 1
        if end - start > 7:
            return None
    while start < end and words[start].lower in lx.ADVERBS | {"dazu", "so", "denen"}:
        start += 1  # "…, denen Weber auch dankte"
    if start >= end:
        return None
    ref = parse_forward(words[start:end], 0, entities)
    if ref is None:
        return None
    rest = [w for w in words[start:end] if w.start >= ref.end]
    if rest and ref.kind != "UNNAMED" and not all(_adverbial(w) for w in rest):
        return None  # the phrase must end at the verb ("…, denen Weber auch persönlich dankte")
    return ref


def _adverbial(word: Word) -> bool:
    """A lower-case word that is not an article: an adverb between subject and final verb."""
    return word.text.isalpha() and not word.is_cap and word.lower not in lx.DETERMINERS


def _apposition_before(words: list[Word], end: int, entities: EntityIndex) -> SpeakerRef | None:
    """ "Der Präsident des Bauernverbands, Günther Felßner, sagte": the name between the
    commas is the speaker, the phrase before it gives the role; and the other way round,
    "Eva Roth, Sprecherin der Stadtwerke, sagte"."""
    for k in range(end - 2, max(-1, end - 12), -1):
        if words[k].text != ",":
            continue
        inner = words[k + 1 : end - 1]
        head = parse_backward(words, k, entities)
        if inner and inner[0].lower in _RELATIVES:  # "Eine Anwohnerin, die …, sagt:"
            return head if head is not None and head.kind != "PRON" else None
        ref = parse_forward(inner, 0, entities) if inner else None
        if ref is None:
            return None
        if ref.kind == "PER" and ref.end == inner[-1].end:
            role = ref.role or (head.role if head is not None and head.kind == "UNNAMED" else None)
            return SpeakerRef(ref.text, "PER", role, ref.start, ref.end)
        if ref.kind == "UNNAMED" and ref.role and head is not None and head.kind == "PER":
            return SpeakerRef(head.text, "PER", head.role or _bare_role(ref), head.start, head.end)
        return None
    return None


def _bare_role(ref: SpeakerRef) -> str | None:
    """The role noun of an unnamed phrase without its article ("der Sprecher" -> "Sprecher")."""
    words = (ref.role or "").split()
    return words[-1] if words else None


def _common_noun_speaker(
    words: list[Word], i: int, det: Word, adjs: list[Word], entities: EntityIndex
) -> SpeakerRef | None:
    """ "sagt die Rentnerin" / "sagt der 63-Jährige": an unnamed person; "sagte der Zeitung
    ein Sprecher" skips the addressee."""
    n = len(words)
    if adjs and re.fullmatch(r"\d+-[A-ZÄÖÜ]\w*", adjs[-1].text):
        last = adjs[-1]
        return SpeakerRef(last.text, "UNNAMED", None, last.start, last.end, True, det.lower)
    if i >= n or not words[i].is_cap or words[i].quoted or not words[i].text[0].isalpha():
        return None
    noun = words[i]
    if noun.lower in lx.ADDRESSEES:
        return parse_forward(words, i + 1, entities) if det.lower in {"der", "dem"} else None
    if noun.lower in lx.NON_NAMES or len(adjs) > 2 or noun.lower.endswith(lx.NOUN_SUFFIXES):
        return None
    kin = noun.lower in lx.FEMALE_PERSONS or noun.lower in lx.MALE_PERSONS  # "Ihr Sohn"
    if not kin and not noun.lower.endswith(_PERSON_ENDINGS):
        return None  # "Das Gesetz betont …" - a thing, not a person
    names = _read_name(words, i + 1, entities, allow=True)
    if len(names) > 1 or (names and names[0].start in entities):  # "Seine Kollegin Eva Roth"
        return SpeakerRef(join(names), "PER", noun.text, names[0].start, names[-1].end)
    definite = det.lower in {"der", "die"}
    return SpeakerRef(noun.text, "UNNAMED", None, noun.start, noun.end, definite, det.lower)
