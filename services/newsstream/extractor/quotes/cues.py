"""Cues inside one sentence: speech verbs, ``laut X``, ``, so X``, ``X zufolge``, ``X: „…“``.

A cue is found only in the words outside quotations (a verb inside a quotation, as in
„Von daher fragt er sich eben: …“, belongs to the quoted speaker's own sentence).
"""

from __future__ import annotations

from dataclasses import dataclass

from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.refs import EntityIndex, SpeakerRef, is_org
from newsstream.extractor.quotes.segments import Word
from newsstream.extractor.quotes.speakers import parse_backward, parse_forward


@dataclass(frozen=True)
class Cue:
    """A cue word (``sagt``, ``laut``, ``so``, ``zufolge``, ``:``) and the speaker it names."""

    word: str
    index: int  # position of the cue word in the sentence's word list
    start: int  # character offset of the cue word
    speaker: SpeakerRef


def _is_verb_cue(words: list[Word], k: int) -> bool:
    word = words[k]
    low = word.lower
    if low not in lx.SPEECH_VERBS and low not in lx.PARTICLE_VERBS:
        return False
    if word.is_cap and k > 0 and words[k - 1].text not in {"„", "“", '"', "»", "«", "–", "("}:
        return False  # a capitalised "Fragen" mid-sentence is the noun
    particles = lx.PARTICLE_VERBS.get(low)
    if particles is not None:
        clause = []
        for w in words[k + 1 :]:
            if w.text in {",", ";", ":", "."}:
                break
            clause.append(w.lower)  # "kündigte eine Feier „aus einem Guss“ an": skip quotes
        return bool(particles.intersection(clause))
    return True


def find_cues(words: list[Word], entities: EntityIndex) -> list[Cue]:
    """Every cue of a sentence with a resolvable speaker, in order."""
    cues: list[Cue] = []
    for k, word in enumerate(words):
        if word.quoted:
            continue
        low = word.lower
        ref: SpeakerRef | None = None
        if low == lx.LAUT:
            ref = parse_forward(words, k + 1, entities)
            if ref is not None and ref.kind == "PRON":
                ref = None
        elif low == lx.SO and k > 0 and words[k - 1].text in {",", "–", "—", "-", "("}:
            ref = parse_forward(words, k + 1, entities)
            if ref is not None and not _ends_clause(words, ref):
                ref = None
        elif low == lx.ZUFOLGE:
            ref = parse_backward(words, k, entities)
        elif low in lx.SOURCE_NOUNS and _after_nach(words, k):
            # nach Angaben der Polizei / nach Einschätzung des Verbands / nach den Worten von X
            skip = k + 2 if k + 1 < len(words) and words[k + 1].lower in {"von", "vom"} else k + 1
            ref = parse_forward(words, skip, entities)
            low = f"{words[k - 1].lower} {word.text}"
        elif low in {"heißt", "hieß"} and k + 1 < len(words) and words[k + 1].lower == "es":
            # heißt es aus dem Innenministerium / von der Opposition hieß es
            ref = _org_after(words, k + 2, entities) or _agent_before(words, k, entities)
        elif _is_verb_cue(words, k):
            ref = _verb_speaker(words, k, entities)
        if ref is not None:
            cues.append(Cue(low, k, word.start, ref))
    return cues


def _after_nach(words: list[Word], k: int) -> bool:
    """ "nach Angaben", "laut Einschätzung", "nach den Worten": a source follows."""
    if k > 0 and words[k - 1].lower in {"nach", "laut"}:
        return True
    return k > 1 and words[k - 1].lower == "den" and words[k - 2].lower == "nach"


def _org_after(words: list[Word], i: int, entities: EntityIndex) -> SpeakerRef | None:
    """The first organisation within a few words ("in einer Mitteilung des Ministeriums")."""
    for j in range(i, min(len(words), i + 8)):
        w = words[j]
        if w.quoted or w.text in {".", ",", ";", ":"}:
            return None
        hit = entities.get(w.start)
        if (hit is not None and hit[2] == "ORG") or (w.is_cap and is_org(w.text)):
            with_article = j > i and words[j - 1].lower in lx.DETERMINERS
            return parse_forward(words, j - 1 if with_article else j, entities)
    return None


_CLAUSE_OPENERS = frozenset({",", ":", ";", "–", "—", "(", "-"})


def _verb_speaker(words: list[Word], k: int, entities: EntityIndex) -> SpeakerRef | None:
    """German verb-second: with the verb first in its clause („…“, sagt X) the subject
    follows; with something in front (X sagte / Die Polizei teilte mit) the subject is that
    something, unless it is only an adverbial (Dazu sagt X / Außerdem betonte er) - "er"
    right after the verb is always the subject. A passive cue names its speaker with
    "von"/"aus" (wurde aus der Fraktion entgegnet)."""
    clause_start = k == 0 or words[k - 1].quoted or words[k - 1].text in _CLAUSE_OPENERS
    if clause_start:
        ref = parse_forward(words, k + 1, entities)
        if ref is None and k > 1 and words[k - 1].text == ",":  # "…, Günther Felßner, sagte:"
            ref = parse_backward(words, k, entities)
        if ref is not None or k == 0 or not words[k - 1].quoted or k < 2:
            return ref
        # no subject after it: a final verb ("hat das als „…“ bewertet") - read the clause
    after = parse_forward(words, k + 1, entities)
    if after is not None and after.kind == "PRON" and after.text == "er":
        return after
    before = parse_backward(words, k, entities) or _passive_agent(words, k, entities)
    if before is not None:
        return before
    if _coordinated(words, k):  # "… und wirft Weber vor": Weber is the object
        return _shared_subject(words, k, entities)
    return _shared_subject(words, k, entities) or after


_AUXILIARIES = lx.words("hat hatte haben hatten ist war sind waren habe wird wurde werden")
_COORDINATORS = lx.words("und oder sowie")


def _shared_subject(words: list[Word], k: int, entities: EntityIndex) -> SpeakerRef | None:
    """The subject of a cue verb that has none next to it: a second verb ("Weber fand
    deutliche Worte und sprach von …") or a participle ("Weber hat am Abend betont: …")
    shares the subject of its clause's finite verb."""
    start = k
    while start > 0 and words[start - 1].text not in {";", ":"}:
        start -= 1
    if not _coordinated(words, k) and not _participle_clause(words, k):
        return None
    return clause_subject(words, start, k, entities)


def _participle_clause(words: list[Word], k: int) -> bool:
    """ "… hat am Abend betont": a participle with its auxiliary in the same clause (a past
    form such as "dankte" is finite and brings its own subject)."""
    if words[k].lower.endswith(("te", "ten")):
        return False
    j = k - 1
    while j >= 0 and words[j].text != ",":
        if words[j].lower in _AUXILIARIES:
            return True
        j -= 1
    return False


def _coordinated(words: list[Word], k: int) -> bool:
    """The verb at ``k`` follows "und"/"oder" (adverbs between): a second verb."""
    j = k - 1
    while j >= 0 and words[j].lower in lx.ADVERBS:
        j -= 1
    return j >= 0 and words[j].lower in _COORDINATORS


def clause_subject(
    words: list[Word], start: int, end: int, entities: EntityIndex
) -> SpeakerRef | None:
    """The subject of the clause ``words[start:end]``: its first phrase ("Anna Weber ist sich
    sicher") or, after a front field, the phrase right after the finite verb ("Dann gibt
    Weber sich versöhnlich", "Die Arbeit verglich die Ministerin mit …")."""
    while start < end and words[start].lower in _CONJUNCTIONS:
        start += 1
    ref = parse_forward(words, start, entities)
    if _subject_like(ref, words, end):
        return ref
    for j in range(start + 1, end - 1):
        if words[j].quoted or not _verb_like(words[j]):
            continue
        i = j + 1
        while i < end and words[i].lower in _REFLEXIVE:
            i += 1
        ref = parse_forward(words, i, entities)
        if _subject_like(ref, words, end):
            return ref
    return None


def _subject_like(ref: SpeakerRef | None, words: list[Word], end: int) -> bool:
    if ref is None or (end < len(words) and ref.end > words[end].start):
        return False
    return ref.kind in {"PER", "ORG", "PRON"} or (ref.kind == "UNNAMED" and ref.definite)


_AGENT_PREPOSITIONS = frozenset({"von", "vom", "aus", "seitens"})
_PASSIVE = frozenset({"wurde", "wurden", "wird", "werden", "worden"})


def _agent_before(words: list[Word], k: int, entities: EntityIndex) -> SpeakerRef | None:
    """ "Von der Opposition hieß es": a "von"/"aus" phrase right before the verb."""
    for j in range(k - 1, max(-1, k - 6), -1):
        if words[j].quoted or words[j].text in _CLAUSE_OPENERS:
            return None
        if words[j].lower in _AGENT_PREPOSITIONS:
            ref = parse_forward(words, j + 1, entities)
            if ref is not None and ref.kind in {"PER", "ORG"} and ref.end <= words[k].start:
                return ref
            return None
    return None


def _passive_agent(words: list[Word], k: int, entities: EntityIndex) -> SpeakerRef | None:
    """ "…, wurde aus der Landtagsfraktion entgegnet": the agent of a passive speech verb."""
    clause: list[int] = []
    for j in range(k - 1, max(-1, k - 10), -1):
        if words[j].quoted or words[j].text in _CLAUSE_OPENERS:
            break
        clause.append(j)
    if not any(words[j].lower in _PASSIVE for j in clause):
        return None
    for j in reversed(clause):
        if words[j].lower in _AGENT_PREPOSITIONS:
            ref = parse_forward(words, j + 1, entities)
            if ref is not None and ref.kind in {"PER", "ORG"}:
                return ref
    return None


def _ends_clause(words: list[Word], ref: SpeakerRef) -> bool:
    """ ", so Müller." is a cue; ", so dass …" or ", so schnell wie …" is not."""
    after = [w for w in words if w.start >= ref.end]
    return (
        not after
        or after[0].text in {".", ",", "(", ")", ";", "!", "?", "–", ":"}
        or after[0].lower in {"im", "in", "am", "gegenüber", "bei", "auf", "zu", "vom", "von"}
        or after[0].lower in lx.ADVERBS
        or after[0].quoted
    )


def colon_speaker(words: list[Word], entities: EntityIndex) -> SpeakerRef | None:
    """``Mangott: „…“`` / ``CSU-Chef Söder im Interview: „…“`` / ``Dann gibt sich Weber
    versöhnlich: „…“`` / ``Eva Roth, Sprecherin der Stadt, am Abend im BR: „…“``: the
    speaker phrase, or the subject of the clause, before the colon."""
    if not words or words[-1].text != ":":
        return None
    body = words[:-1]
    ref = parse_backward(body, len(body), entities)
    # "Söder im BR-Interview:" - the speaker, then a short prepositional phrase
    cuts = (k for k in range(1, len(body)) if body[k].lower in _COLON_PREPOSITIONS)
    for cut in cuts:
        if ref is not None:
            break
        ref = parse_backward(body, cut, entities)
    if ref is not None and ref.kind == "PRON":
        return None
    ref = ref or _possessive_speech(body)
    return (
        ref
        or _subject_before_colon(body, entities)
        or _verbless_lead(body, entities)
        or _only_person(body, entities)
    )


def _verb_like(word: Word) -> bool:
    """A lower-case word that may be a finite verb (not a function word or an inflected
    adjective such as "entgeistertes")."""
    low = word.lower
    if word.is_cap or not word.text.isalpha() or low in _NOT_VERBS:
        return False
    return low in _AUXILIARIES or not low.endswith(("es", "em", "er"))


def _only_person(body: list[Word], entities: EntityIndex) -> SpeakerRef | None:
    """The one person named (not after a preposition) in the colon's own clause: "…,
    worauf Moderator Max Huber nur ein knappes: „…“"."""
    start = max((k + 1 for k, w in enumerate(body) if w.quoted or w.text == ","), default=0)
    if any(_verb_like(w) for w in body[start:]):
        return None  # "und greift damit auch Weber an:" - Weber is the object
    found: list[SpeakerRef] = []
    k = start
    while k < len(body):
        prev = body[k - 1].lower if k > 0 else ""
        ref = None
        if body[k].is_cap and prev not in lx.PREPOSITIONS and prev not in {"des", "dem"}:
            ref = parse_forward(body, k, entities)
        if ref is not None and ref.kind == "PER":
            found.append(ref)
            k = next((j for j in range(k, len(body)) if body[j].start >= ref.end), len(body))
        else:
            k += 1
    return found[0] if len(found) == 1 else None


_POSSESSIVES = {"sein": "er", "seine": "er", "ihr": "sie", "ihre": "sie"}


def _possessive_speech(body: list[Word]) -> SpeakerRef | None:
    """ "Ihr Fazit: „…“", "Sein Urteil fällt knapp aus: „…“": the owner of the words, a
    pronoun resolved like "er"/"sie"."""
    start = max((k + 1 for k, w in enumerate(body) if w.quoted or w.text == ","), default=0)
    if start + 1 >= len(body) or body[start].lower not in _POSSESSIVES:
        return None
    if body[start + 1].lower not in lx.SPEECH_NOUNS:
        return None
    w = body[start]
    return SpeakerRef(_POSSESSIVES[w.lower], "PRON", None, w.start, w.end)


def _verbless_lead(body: list[Word], entities: EntityIndex) -> SpeakerRef | None:
    """A line that names somebody and then only says where or when, no verb: "Eva Roth,
    Sprecherin der Stadt, am Abend im BR:" (the broadcast style of introducing a quote)."""
    start = 0
    for k, w in enumerate(body):
        if w.quoted or w.text in {";", "–", "—", "•"} or w.lower == "uhr":
            start = k + 1
    ref = parse_forward(body, start, entities)
    if ref is None or ref.kind not in {"PER", "ORG"}:
        return None
    rest = [w for w in body[start:] if w.start >= ref.end]
    if any(not w.is_cap and w.text.isalpha() and w.lower not in _NOT_VERBS for w in rest):
        return None
    return ref


_COLON_PREPOSITIONS = lx.words("im in am bei beim gegenüber zu zur zum über vor nach auf mit")
_REFLEXIVE = frozenset({"sich", "mir", "uns", "euch", "dich"})
_CONJUNCTIONS = frozenset({"und", "aber", "doch", "denn", "oder", "sondern"})
#: Lower-case words in the front field that are not the finite verb.
_NOT_VERBS = lx.PREPOSITIONS | lx.DETERMINERS | lx.FUNCTION_WORDS | _CONJUNCTIONS


def _subject_before_colon(body: list[Word], entities: EntityIndex) -> SpeakerRef | None:
    """ "Anna Weber ist sich sicher: „…“" (a named subject, then a verb) or "Dann gibt
    Weber sich versöhnlich: „…“" / "Und sie knöpft sich die Linken vor: „…“" (the subject
    right after the verb, the pronoun resolved later)."""
    bounds = [k for k, w in enumerate(body) if w.quoted or w.text in {",", ";", "–", "—"}]
    start = bounds[-1] + 1 if bounds else 0
    end = len(body)
    if start < end and body[start].lower in _SUBORDINATORS and len(bounds) > 0:
        # "Sie weiß nicht, warum er geht: „…“" - the main clause before the comma speaks
        end = bounds[-1]
        start = bounds[-2] + 1 if len(bounds) > 1 else 0
    ref = parse_forward(body[:end], start, entities)
    if ref is not None and ref.kind in {"PER", "ORG", "PRON"}:
        after = [w for w in body[start:end] if w.start >= ref.end]
        if not (after and _verb_like(after[0])):
            return None  # "Anna Weber:" is the bare colon case; a subject needs its verb
        return ref
    ref = clause_subject(body, start, end, entities)
    return ref if ref is not None and ref.kind in {"PER", "ORG", "PRON"} else None


_SUBORDINATORS = lx.words("warum weshalb wieso ob dass wie was wer wo wann weil wenn obwohl")
