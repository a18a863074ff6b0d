"""Who is who in one article: people, their roles and genders, and where they are mentioned.

Attribution needs more than the phrase next to a cue: "sagte er", "so die Ministerin" and
"der 63-Jährige" name nobody. :class:`PersonBook` keeps, for one article,

- every person's fullest name (through the article's :class:`NameResolver`), roles and
  gender (first name, else role noun: a "Ministerin" is a woman, else "Frau"/"Herr");
- which person holds which role ("Umweltministerin Petra Sommer" -> "die Ministerin");
- a timeline of mentions (model entities, cue speakers, resolved pronouns) with two marks:
  whether the mention is *oblique* (after a preposition or in the genitive/dative: "An
  Anna Weber appelliert er", where "er" cannot be Anna Weber) and whether that person *spoke*.

A pronoun or a definite description resolves to the best-ranked fitting mention of the last
few sentences: recent beats old, a speaker beats a bystander, a subject beats an oblique
mention; the gender must fit. Nothing fitting: None, never a guess.
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from dataclasses import dataclass

from newsstream.extractor.names import Gender, NameResolver
from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.refs import SpeakerRef, is_role

#: How many sentences back a pronoun or a description may look for its person.
WINDOW = 6
#: Ranking: sentences back, minus this for someone who spoke, plus this for an oblique mention.
SPOKE_BONUS = 1.5
OBLIQUE_PENALTY = 0.5

_TOKEN = re.compile(r"[\w-]+|[^\w\s]")
_OBLIQUE_ARTICLES = frozenset({"des", "dem", "den", "einem", "eines", "einen"})


@dataclass(frozen=True)
class Speaker:
    """A resolved speaker: canonical name (or phrase), type and role."""

    name: str
    kind: str  # PER, ORG, UNNAMED
    role: str | None


@dataclass(frozen=True)
class Mention:
    """A person (or organisation) named at ``start`` in sentence ``sentence``."""

    start: int
    sentence: int
    speaker: Speaker
    oblique: bool = False
    spoke: bool = False


def role_key(role: str | None) -> str:
    """The role noun normalised for comparison: "Politikwissenschaftlers" and "der frühere
    Politikwissenschaftler" -> "politikwissenschaftler"; "Ministerin" stays female."""
    words = (role or "").split()
    if not words:
        return ""
    word = words[-1].lower()
    for cut in (0, 1, 2):
        form = word[: len(word) - cut] if cut else word
        if form.endswith(lx.ROLE_WORDS) or form.endswith(lx.ADJECTIVAL_PERSONS):
            return form
    return word


def role_gender(role: str | None, det: str | None = None) -> Gender | None:
    """ "Ministerin" -> f, "Sprecher" -> m, "die Vorsitzende" -> f, "Abgeordnete" -> None."""
    words = (role or "").split()
    if not words:
        return None
    if det is None and words[0].lower() in lx.NOMINATIVE_DETERMINERS and len(words) > 1:
        det = words[0].lower()
    head = words[-1].lower().rsplit("-", 1)[-1]
    if head in lx.FEMALE_PERSONS or head in lx.MALE_PERSONS:
        return "f" if head in lx.FEMALE_PERSONS else "m"
    if head.endswith(lx.ADJECTIVAL_PERSONS) or head.rstrip("rn").endswith(lx.ADJECTIVAL_PERSONS):
        if head.endswith("er") and det is None:
            return "m"  # "Vorsitzender"
        return "m" if det == "der" else "f" if det == "die" else None
    if head.endswith("frau") or (
        head.endswith("in") and len(head) > 5 and not head.endswith("ein")
    ):
        return "f"
    if head.endswith("mann") or is_role(head):
        return "m"
    return None


def is_oblique(text: str, start: int) -> bool:
    """Whether the name at ``start`` follows a preposition or a genitive/dative article,
    skipping the role nouns and adjectives in between ("des Passauer Politikwissenschaftlers
    Heinrich Oberreuter", "mit Umweltministerin Petra Sommer")."""
    tokens = _TOKEN.findall(text[max(0, start - 80) : start])
    for token in reversed(tokens[-7:]):
        low = token.lower()
        if low in lx.PREPOSITIONS or low in _OBLIQUE_ARTICLES:
            return True
        if low in lx.DETERMINERS or is_role(token) or _modifier(token):
            continue
        return False
    return False


def _modifier(token: str) -> bool:
    """An adjective between article and name: "frühere", "Passauer", "45-jährige"."""
    if token[:1].islower():
        return token.lower().endswith(("e", "en", "er", "es", "em"))
    return token.endswith("er") and token[:1].isupper() and len(token) > 4


class PersonBook:
    """People of one article, their roles and genders, and the mention timeline."""

    def __init__(self, resolver: NameResolver) -> None:
        self.resolver = resolver
        self.first_role: dict[str, str] = {}
        self._owners: dict[str, set[str]] = {}
        self._gender: dict[str, Gender] = {}
        self._mentions: list[Mention] = []

    # --- knowledge ------------------------------------------------------------------------

    def canonical(self, name: str) -> str:
        return self.resolver.canonical(name)

    def note_role(self, name: str, role: str, det: str | None = None) -> None:
        """``name`` (canonical) holds ``role``; the first role noted is their default."""
        self.first_role.setdefault(name, role)
        key = role_key(role)
        if len(key) >= 4:
            self._owners.setdefault(key, set()).add(name)
        gender = role_gender(role, det)
        if gender is not None:
            self._gender.setdefault(name, gender)

    def note_gender(self, name: str, gender: Gender) -> None:
        self._gender.setdefault(name, gender)

    def gender(self, speaker: Speaker) -> Gender | None:
        if speaker.kind == "UNNAMED":
            return role_gender(speaker.name) or self._gender.get(speaker.name)
        if speaker.kind != "PER":
            return None
        return self.resolver.gender(speaker.name) or self._gender.get(speaker.name)

    def role_holders(self, role: str | None) -> set[str]:
        """Everybody the article gives a role matching ``role`` ("die Ministerin" matches
        the "Umweltministerin", "Politikwissenschaftlers" the "Politikwissenschaftler")."""
        key = role_key(role)
        if len(key) < 4:
            return set()
        return {
            name
            for owned, names in self._owners.items()
            if owned == key or owned.endswith(key) or (len(owned) >= 6 and key.endswith(owned))
            for name in names
        }

    def role_owner(self, role: str | None) -> str | None:
        """The one person holding ``role``; None when nobody or several people hold it."""
        holders = self.role_holders(role)
        return next(iter(holders)) if len(holders) == 1 else None

    # --- the timeline ----------------------------------------------------------------------

    def add(self, mention: Mention) -> None:
        insort(self._mentions, mention, key=_start)

    def antecedent(
        self,
        pos: int,
        sentence: int,
        want: Gender | None,
        *,
        orgs: bool = False,
        among: set[str] | None = None,
        spoke_bonus: float = SPOKE_BONUS,
        window: int = WINDOW,
    ) -> Speaker | None:
        """The best-ranked mention before ``pos`` whose gender fits ``want`` (see module),
        optionally only among the people ``among``."""
        best: Mention | None = None
        best_score = float("inf")
        for k in range(bisect_left(self._mentions, pos, key=_start) - 1, -1, -1):
            m = self._mentions[k]
            back = sentence - m.sentence
            if back > window:
                break
            if (back == 0 and m.oblique) or not self._fits(m.speaker, want, orgs):
                continue
            if among is not None and m.speaker.name not in among:
                continue
            score = back + OBLIQUE_PENALTY * m.oblique - spoke_bonus * m.spoke
            same_sentence = best is not None and best.sentence == m.sentence
            if score < best_score or (score == best_score and same_sentence):
                best, best_score = m, score  # ties in one sentence: the leftmost (subject)
        return best.speaker if best is not None else None

    def _fits(self, speaker: Speaker, want: Gender | None, orgs: bool) -> bool:
        if speaker.kind == "ORG":
            return orgs
        gender = self.gender(speaker)
        if speaker.kind == "UNNAMED":  # "seine Mutter erzählt … glaubt sie": a person noun
            return gender is not None and gender == want
        return want is None or gender is None or gender == want

    def topic(self, sentence: int) -> Speaker | None:
        """The person a sentence is about: its first subject-like mention, else its only
        person ("Auch für Anna Weber ist es kein Tag wie jeder andere.")."""
        lo = bisect_left(self._mentions, sentence, key=_sentence)
        hi = bisect_left(self._mentions, sentence + 1, key=_sentence)
        inside = [m for m in self._mentions[lo:hi] if m.speaker.kind == "PER"]
        direct = [m for m in inside if not m.oblique]
        if direct:
            return direct[0].speaker
        people = {m.speaker.name for m in inside}
        return inside[0].speaker if len(people) == 1 else None

    # --- resolution ------------------------------------------------------------------------

    def resolve(self, ref: SpeakerRef, sentence: int) -> Speaker | None:
        """A speaker phrase at its place in the text to a speaker (None: nobody fits)."""
        if ref.kind == "PRON":
            want: Gender = "m" if ref.text == "er" else "f"
            return self.antecedent(ref.start, sentence, want, orgs=ref.text == "sie")
        if ref.kind == "UNNAMED":
            return self._description(ref, sentence)
        name = self.canonical(ref.text)
        role = ref.role or (self.first_role.get(name) if ref.kind == "PER" else None)
        return Speaker(name, ref.kind, role)

    def _description(self, ref: SpeakerRef, sentence: int) -> Speaker:
        """ "die Ministerin" -> the person holding that role; "der 63-Jährige" -> the last
        fitting person; an indefinite "ein Sprecher" stays as written."""
        role = ref.role or ref.text
        bare_role = ref.role is not None and ref.det is None
        if ref.definite or bare_role:
            owner = self.role_owner(role)
            if owner is not None:
                return Speaker(owner, "PER", ref.role or self.first_role.get(owner))
        plural = ref.det == "die" and role_gender(role) == "m"  # "die Experten"
        if ref.definite and person_noun(role) and not plural:
            person = self._described_person(ref, role, sentence)
            if person is not None and person.kind == "UNNAMED":
                return person
            if person is not None:
                return Speaker(person.name, "PER", ref.role or person.role)
        return Speaker(ref.text, "UNNAMED", None)

    def _described_person(self, ref: SpeakerRef, role: str, sentence: int) -> Speaker | None:
        """A definite description no single person owns: among several holders of the role
        the best-ranked one, else the best-ranked fitting person."""
        want = role_gender(role, ref.det)
        holders = self.role_holders(role)
        if len(holders) > 1:  # the holder mentioned last, whoever spoke before
            return self.antecedent(ref.start, sentence, want, among=holders, spoke_bonus=0.0)
        return self.antecedent(ref.start, sentence, want)


def person_noun(noun: str) -> bool:
    """Whether a description names a person at all ("der Landrat", "die 58-Jährige", "die
    Rentnerin") and not a thing ("die Reise")."""
    head = noun.split()[-1].lower() if noun.split() else ""
    if is_role(head) or head.endswith(lx.ADJECTIVAL_PERSONS):
        return True
    return head.endswith(("frau", "mann")) or (head.endswith("in") and len(head) > 5)


def _start(mention: Mention) -> int:
    return mention.start


def _sentence(mention: Mention) -> int:
    return mention.sentence
