"""Everything attribution knows about one article before it looks at a single quotation.

:func:`prepare` segments the text (quoted spans, sentences, words), finds the cues, and fills
the article's :class:`~.persons.PersonBook`: names resolved to their fullest form, roles and
genders, and the timeline of person mentions (model entities and named cue speakers) that
pronouns and descriptions are resolved against.

Word lists are the costly part, so only sentences that can matter are read at once (a
quotation, a cue word or a subjunctive verb in them); others are read on demand.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from newsstream.extractor.names import Gender, NameResolver, abbreviations
from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.cues import Cue, find_cues
from newsstream.extractor.quotes.filters import is_heading
from newsstream.extractor.quotes.marks import QuotedSpan, find_quoted_spans
from newsstream.extractor.quotes.namefinder import FoundName, find_names
from newsstream.extractor.quotes.persons import (
    Mention,
    PersonBook,
    Speaker,
    is_oblique,
    person_noun,
)
from newsstream.extractor.quotes.refs import EntityIndex, LexicalHint, is_role
from newsstream.extractor.quotes.segments import Sentence, Word, paragraphs, sentences, words
from newsstream.messages import Entity
from newsstream.text.mentions import find_mentions

_WORDS = re.compile(r"\w+")
_TRIGGERS = (
    lx.SPEECH_VERBS
    | frozenset(lx.PARTICLE_VERBS)
    | lx.SUBJUNCTIVE
    | lx.SOURCE_NOUNS
    | {lx.LAUT, lx.SO, lx.ZUFOLGE, "heißt", "hieß"}
)
_TOKEN = re.compile(r"[\w-]+|[^\w\s]")


@dataclass
class Context:
    """One article, segmented, with its cues and its people."""

    text: str
    spans: list[QuotedSpan]
    sents: list[Sentence]
    paragraphs: list[tuple[int, int]]
    headings: set[int]
    entities: EntityIndex
    book: PersonBook
    sent_cues: list[list[Cue]] = field(default_factory=list)
    _words: list[list[Word] | None] = field(default_factory=list)
    _sent_starts: list[int] = field(default_factory=list)

    def words_of(self, s_index: int) -> list[Word]:
        cached = self._words[s_index]
        if cached is None:
            sent = self.sents[s_index]
            cached = words(self.text, sent.start, sent.end, self.spans)
            self._words[s_index] = cached
        return cached

    def was_read(self, s_index: int) -> bool:
        """Whether the sentence had a quotation, a cue word or a subjunctive in it."""
        return self._words[s_index] is not None

    def sentence_at(self, pos: int) -> int:
        return max(0, bisect_right(self._sent_starts, pos) - 1)

    def is_heading_sentence(self, s_index: int) -> bool:
        return self.sents[s_index].paragraph in self.headings


def prepare(text: str, entities: Sequence[Entity], hint: LexicalHint | None = None) -> Context:
    """Segment ``text``, find its cues and fill its person book (``entities`` are the model's,
    ``hint`` what the pipeline's dictionary features say about a token, if it has them)."""
    spans = find_quoted_spans(text)
    sents = sentences(text, spans)
    paras = paragraphs(text)
    people = [e for e in entities if e.label == "PER"]
    index = EntityIndex(hint=hint, surnames=_surnames(e.canonical for e in people))
    for ent in entities:
        for start, end in ent.offsets or [(ent.start, ent.end)]:
            index.spans[start] = (start, end, ent.label)
    ctx = Context(
        text=text,
        spans=spans,
        sents=sents,
        paragraphs=paras,
        headings={i for i, (start, end) in enumerate(paras) if is_heading(text[start:end])},
        entities=index,
        book=PersonBook(NameResolver([])),
        _words=[
            words(text, s.start, s.end, spans) if _worth_reading(text, s, spans) else None
            for s in sents
        ],
        _sent_starts=[s.start for s in sents],
    )
    found = _names_the_model_missed(ctx)
    index.surnames |= _surnames(n.text for n in found)  # "so von Brandt" after "Eva von Brandt"
    ctx.sent_cues = [find_cues(w, index) if w is not None else [] for w in ctx._words]
    ctx.book = _person_book(ctx, people, found)
    return ctx


def _surnames(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.split()[-1] for name in names if len(name.split()) > 1)


def _worth_reading(text: str, sentence: Sentence, spans: list[QuotedSpan]) -> bool:
    """Only sentences with a quotation, a cue word or a subjunctive can matter (a cheap
    pre-filter: most sentences of an article have none, and word lists are the costly part)."""
    k = bisect_left(spans, sentence.start, key=_open)
    if k < len(spans) and spans[k].open < sentence.end:
        return True
    return any(w.lower() in _TRIGGERS for w in _WORDS.findall(text, sentence.start, sentence.end))


def _person_book(ctx: Context, people: Sequence[Entity], found: Sequence[FoundName]) -> PersonBook:
    """Names, roles, genders and the mention timeline of the article."""
    cue_people = [c.speaker for cues in ctx.sent_cues for c in cues if c.speaker.kind == "PER"]
    names = [e.canonical for e in people] + [r.text for r in cue_people] + [n.text for n in found]
    book = PersonBook(NameResolver(names, abbreviations(ctx.text)))
    for s_index, cues in enumerate(ctx.sent_cues):
        for cue in cues:
            ref = cue.speaker
            if ref.kind not in {"PER", "ORG"}:
                continue
            name = book.canonical(ref.text)
            if ref.role and ref.kind == "PER":
                book.note_role(name, ref.role)
            book.add(Mention(ref.start, s_index, Speaker(name, ref.kind, ref.role), spoke=True))
    for ent in people:
        for start, end in ent.offsets or [(ent.start, ent.end)]:
            if not _inside_quote(ctx.spans, start):
                _add_mention(ctx, book, book.canonical(ent.canonical), start, end)
    for hit in found:
        _add_mention(ctx, book, book.canonical(hit.text), hit.start, hit.end, hit.gender)
    _add_surname_mentions(ctx, book, found)
    _add_unnamed_openers(ctx, book)
    return book


_UNNAMED_OPENER = re.compile(r"(Ein|Eine)\s+(?:[a-zäöüß-]+\s+){0,2}([A-ZÄÖÜ][\wäöüß-]+)")


def _add_unnamed_openers(ctx: Context, book: PersonBook) -> None:
    """ "Eine Geschädigte verfolgte den Prozess.": somebody new, unnamed, that a later "die
    67-Jährige" or "sie" may refer to."""
    for s_index, sent in enumerate(ctx.sents):
        match = _UNNAMED_OPENER.match(ctx.text, sent.start, sent.end)
        if match is None or not person_noun(match.group(2)):
            continue
        noun = match.group(2)
        book.note_gender(noun, "f" if match.group(1) == "Eine" else "m")
        book.add(Mention(match.start(2), s_index, Speaker(noun, "UNNAMED", None)))


def _add_surname_mentions(ctx: Context, book: PersonBook, found: Sequence[FoundName]) -> None:
    """Every later "Weber" / "Webers" of a person the article named in full, where the model
    did not tag it: "Webers Attacken" keeps Anna Weber the topic for a later "sie"."""
    surnames = ctx.entities.surnames  # find_mentions takes the longest name at a place itself
    if not surnames:
        return
    covered = sorted(
        [(start, end) for start, (_, end, label) in ctx.entities.spans.items() if label == "PER"]
        + [(n.start, n.end) for n in found]
    )
    starts = [start for start, _ in covered]
    for start, end, surname in find_mentions(ctx.text, surnames):
        k = bisect_right(starts, start) - 1
        if (k >= 0 and covered[k][1] > start) or _inside_quote(ctx.spans, start):
            continue  # part of a name already in the timeline ("Anna Weber")
        name = book.canonical(surname)
        if name != surname:
            _add_mention(ctx, book, name, start, end)


def _names_the_model_missed(ctx: Context) -> list[FoundName]:
    person_starts = sorted(s for s, (_, _, label) in ctx.entities.spans.items() if label == "PER")
    out = []
    for hit in find_names(ctx.text, 0, len(ctx.text), ctx.entities):
        k = bisect_left(person_starts, hit.start)
        covered = k < len(person_starts) and person_starts[k] < hit.end
        if not covered and not _inside_quote(ctx.spans, hit.start):
            out.append(hit)
    return out


def _add_mention(
    ctx: Context, book: PersonBook, name: str, start: int, end: int, gender: Gender | None = None
) -> None:
    role, address = _role_near(ctx.text, start, end)
    if role is not None:
        book.note_role(name, role)
    known = gender or address
    if known is not None and " " not in name:
        book.note_gender(name, known)  # "Frau Weber": the gender no first name gives
    speaker = Speaker(name, "PER", None)
    book.add(Mention(start, ctx.sentence_at(start), speaker, is_oblique(ctx.text, start)))


def _inside_quote(spans: list[QuotedSpan], pos: int) -> bool:
    k = bisect_right(spans, pos, key=_open) - 1
    return k >= 0 and spans[k].open < pos < spans[k].close


def _open(span: QuotedSpan) -> int:
    return span.open


def _role_near(text: str, start: int, end: int) -> tuple[str | None, Gender | None]:
    """The role noun right before a name ("des Politikwissenschaftlers Gerhard Mangott") or in
    an apposition after it ("Eva Roth, Sprecherin der Stadt"), and "Frau"/"Herr" as gender."""
    before = _TOKEN.findall(text[max(0, start - 60) : start])
    gender: Gender | None = None
    if before and before[-1] in {"Frau", "Herr", "Herrn"}:
        gender = "f" if before[-1] == "Frau" else "m"
    if before and before[-1][:1].isupper() and is_role(before[-1]):
        return _nominative(before[-1]), gender
    after = _TOKEN.findall(text[end : end + 60])
    if len(after) > 1 and after[0] == ",":
        k = 1
        while k < len(after) and (
            after[k] in lx.NOMINATIVE_DETERMINERS
            or (after[k].islower() and after[k].endswith(("e", "en", "er", "es")))
        ):
            k += 1
        if k < len(after) and after[k][:1].isupper() and is_role(after[k]):
            return after[k], gender
    return None, gender


def _nominative(role: str) -> str:
    """ "Politikwissenschaftlers" (genitive) -> "Politikwissenschaftler"."""
    if role.endswith("s") and is_role(role[:-1]) and not role.endswith("ss"):
        return role[:-1]
    return role
