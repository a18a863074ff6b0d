"""Which quoted spans are quotations, and who said them.

Order of evidence for one quotation (first hit wins):
1. a cue right after it: „…“, sagt X / „…“ – so X / „…“, ist sich X sicher;
2. a colon introduction: X sagt: „…“ / X: „…“ / Dann gibt sich X versöhnlich: „…“;
3. the nearest other cue in the same sentence (laut X, X zufolge, X sagte, …, „…“);
4. the next sentence naming the speaker: „…“ Das sagte X dem BR.;
5. an attribution line after it: a line that is only "Name, Rolle" (broadcast style);
6. reported speech: a sentence in the Konjunktiv I without a cue of its own continues the
   speaker of the passage (Das sei falsch, sagte sie. Man habe „zu spät reagiert“.);
7. carry-over: the speaker of up to two sentences before in the same paragraph, or of the
   last sentence of the previous paragraph. The cue is kept when the attributing sentence
   is the one right before, otherwise it is ``None`` (the attribution is inferred);
8. nobody: speaker ``None`` - never a guess.

"er"/"sie", "der 63-Jährige" and "die Ministerin" resolve through the article's
:class:`~.persons.PersonBook` (the person holding the role, else the best-ranked fitting
person of the last sentences); names resolve to the fullest form the article uses. A heading
quotation counts when a speaker introduces it ("Weber: „…“"); a heading that is only a
quotation is a subheading, attributed from the paragraphs it heads, unless it abbreviates a
quotation of the text (then it would be counted twice).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

from newsstream.extractor.quotes import evidence as ev
from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.context import Context, prepare
from newsstream.extractor.quotes.filters import is_quotation
from newsstream.extractor.quotes.marks import QuotedSpan
from newsstream.extractor.quotes.passage import Attribution, Passage
from newsstream.extractor.quotes.persons import Speaker
from newsstream.extractor.quotes.refs import LexicalHint
from newsstream.extractor.quotes.segments import Word
from newsstream.messages import Entity, Quote

_NAME_CLASSES = frozenset({"Vor", "Nac", "Geo", "Eig"})
_WORDS = re.compile(r"\w+")


@dataclass
class QuoteAnalysis:
    """Quotations plus the person names the rules found (for entities the model missed)."""

    quotes: list[Quote] = field(default_factory=list)
    person_spans: list[tuple[int, int]] = field(default_factory=list)
    #: Model entities the rules show to be people ("Präsident Selenskyj" tagged LOC).
    relabel_spans: list[tuple[int, int]] = field(default_factory=list)


def find_quotes(doc: object, entities: Sequence[Entity]) -> list[Quote]:
    """Attributed quotations of ``doc`` (a spaCy Doc or a plain string); pure, no I/O."""
    return analyse_quotes(doc, entities).quotes


def analyse_quotes(
    doc: object, entities: Sequence[Entity], *, text: str | None = None
) -> QuoteAnalysis:
    """Quotations plus the spans of person names found by the cue rules (so the caller can
    add them as PER entities where the model missed them). ``text`` is the Doc's text when
    the caller has it at hand (a Doc rebuilds it from its tokens on every access)."""
    if text is None:
        text = doc if isinstance(doc, str) else str(doc.text)  # type: ignore[attr-defined]
    ctx = prepare(text, entities, lexical_hint(doc))
    analysis = QuoteAnalysis()
    _rule_people(ctx, analysis)
    analysis.quotes = _Attributor(ctx).run()
    return analysis


def lexical_hint(doc: object) -> LexicalHint | None:
    """What the pipeline's lexicon features (``Lt=``) say about a token, when it has them."""
    char_span = getattr(doc, "char_span", None)
    if char_span is None or isinstance(doc, str) or not doc.has_annotation("MORPH"):  # type: ignore[attr-defined]
        return None  # a plain string, or a pipeline without the lexicon component

    def hint(start: int, end: int) -> str | None:
        span = char_span(start, end)
        if span is None or len(span) != 1:
            return None
        morph = span[0].morph
        classes = set(morph.get("Lt"))
        if not classes or classes & _NAME_CLASSES or "Per" in morph.get("Gaz"):
            return None
        if "Sub" in classes:
            return "noun"
        return "plain" if "Low" in classes else None

    return hint


def _rule_people(ctx: Context, analysis: QuoteAnalysis) -> None:
    """Person names the cue rules found that the model missed or mislabelled."""
    for cues in ctx.sent_cues:
        for cue in cues:
            ref = cue.speaker
            if ref.kind != "PER":
                continue
            hit = ctx.entities.get(ref.start)
            if hit is None:
                analysis.person_spans.append((ref.start, ref.end))
            elif (hit[2] != "PER" and ref.role) or ref.end > hit[1]:
                # a person by the rules: "Präsident Selenskyj" tagged LOC, or the model's
                # "Stefan" of "Polizeisprecher Stefan Sonntag"
                analysis.relabel_spans.append((hit[0], max(hit[1], ref.end)))


class _Attributor:
    """One pass over the sentences in order, so that every pronoun is resolved against
    what came before it, and every sentence's attribution is known to the next."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.passage = Passage(ctx)
        self.found: list[tuple[QuotedSpan, Quote]] = []
        self.subheadings: list[tuple[QuotedSpan, int]] = []

    def run(self) -> list[Quote]:
        by_sentence = _spans_by_sentence(self.ctx)
        for s_index in range(len(self.ctx.sents)):
            cue_attr = self.passage.resolve_cues(s_index)
            if cue_attr is None:
                self.passage.reported[s_index] = self.passage.reported_speaker(s_index)
            last: Attribution | None = None
            for span in by_sentence.get(s_index, []):
                quote = self._quote(s_index, span)
                if quote is None:
                    continue
                self.found.append((span, quote))
                if quote.speaker is not None:
                    kind = quote.speaker_type or "UNNAMED"
                    last = (Speaker(quote.speaker, kind, quote.speaker_role), quote.cue)
            reported = self.passage.reported[s_index]
            if last is None and reported is not None:
                last = (reported, None)
            self.passage.attr[s_index] = last or cue_attr
        quotes = _attribute_continuations(self.found) + self._subheading_quotes()
        return sorted(_fullest_unnamed(self.ctx, quotes), key=lambda q: q.start)

    # --- one quotation -------------------------------------------------------------------

    def _quote(self, s_index: int, span: QuotedSpan) -> Quote | None:
        ctx = self.ctx
        ws = ctx.words_of(s_index)
        q = ev.index_of(ws, span)
        if q < 0:
            return None
        after = ev.after_cue(ctx, s_index, q)
        found: ev.Found | None = (after.speaker, after.word) if after is not None else None
        found = found or ev.inverted_after(ctx, s_index, q)
        colon = ev.colon_cue(ctx, s_index, q) if found is None else None
        if ctx.is_heading_sentence(s_index):
            return self._heading_quote(
                s_index, span, found or colon or ev.caption_name(ctx, s_index, q)
            )
        if not self._is_quotation(s_index, span, q, found is not None or colon is not None):
            return None
        found = (
            found or colon or ev.speech_noun(ctx, s_index, q) or ev.caption_name(ctx, s_index, q)
        )
        found = found or ev.nearest_cue(ctx, s_index, q) or ev.sentence_inverted(ctx, s_index, q)
        found = found or ev.next_sentence_cue(ctx, s_index)
        if found is not None or ev.inverted_clause(ctx, s_index, q) or _speech_verb(ws):
            # a cue names somebody (or something, „…“, steht im Brief): nobody else, even
            # when the phrase cannot be read
            return self._make_quote(span, s_index, self.passage.resolve(found, s_index))
        attribution = self.passage.resolve(ev.attribution_line(ctx, s_index), s_index)
        reported = self.passage.reported[s_index]
        if attribution is None and reported is not None:
            attribution = (reported, None)
        attribution = attribution or self.passage.carry_over(s_index)
        return self._make_quote(span, s_index, attribution)

    def _heading_quote(
        self, s_index: int, span: QuotedSpan, found: ev.Found | None
    ) -> Quote | None:
        """In a heading only an introduced quotation counts ("Weber: „…“"); a heading that
        is just a quotation is a subheading, decided once the text below it is known."""
        attribution = (
            self.passage.resolve(found, s_index) if found and self._known(found[0]) else None
        )
        if attribution is not None:
            return self._make_quote(span, s_index, attribution)
        if self._is_whole_line(span, s_index):
            self.subheadings.append((span, s_index))
        return None

    def _known(self, ref: ev.SpeakerRef) -> bool:
        """A heading names a speaker the article knows: a model entity, a role, or a name
        used in the text ("Weber:" above a paragraph about Anna Weber; not "Streit über …:")."""
        if ref.kind != "PER" or " " in ref.text or ref.role or ref.start in self.ctx.entities:
            return True
        if self.ctx.entities.hint is not None:
            return True  # the dictionary already ruled out common nouns
        return self.ctx.book.canonical(ref.text) != ref.text

    def _is_whole_line(self, span: QuotedSpan, s_index: int) -> bool:
        start, end = self.ctx.paragraphs[self.ctx.sents[s_index].paragraph]
        text = self.ctx.text
        return not text[start : span.open].strip() and not _WORDS.search(text, span.close, end)

    def _is_quotation(self, s_index: int, span: QuotedSpan, q: int, attached: bool) -> bool:
        ctx = self.ctx
        ws = ctx.words_of(s_index)
        prev = next((w for w in reversed(ws[:q]) if w.text.isalpha()), None) if q > 0 else None
        return is_quotation(
            ctx.text[span.open + 1 : span.close],
            in_heading=False,
            attached=attached,
            previous_word=prev.lower if prev is not None else None,
            speech_verb_in_sentence=any(c.word in lx.SPEECH_VERBS for c in ctx.sent_cues[s_index]),
            embedded=q > 0 and ws[q - 1].text not in {":", "–", "-", "("},
        )

    # --- context -------------------------------------------------------------------------

    def _subheading_quotes(self) -> list[Quote]:
        """Subheadings that do not abbreviate a quotation of the text, attributed to the
        first speaker of the paragraphs they head."""
        out = []
        starts = [quote.start for _, quote in self.found]
        for span, s_index in self.subheadings:
            inner = self.ctx.text[span.open + 1 : span.close]
            section = self._section_end(s_index)
            below = self.found[bisect_left(starts, span.close) : bisect_left(starts, section)]
            if any(_abbreviates(inner, quote.quote) for _, quote in below):
                continue
            out.append(self._make_quote(span, s_index, self.passage.speaker_below(s_index)))
        return out

    def _section_end(self, s_index: int) -> int:
        """Where the section under the heading sentence ``s_index`` ends (the next heading)."""
        ctx = self.ctx
        for k in range(s_index + 1, len(ctx.sents)):
            if (
                ctx.is_heading_sentence(k)
                and ctx.sents[k].paragraph != ctx.sents[s_index].paragraph
            ):
                return ctx.sents[k].start
        return len(ctx.text)

    def _make_quote(self, span: QuotedSpan, s_index: int, attribution: Attribution | None) -> Quote:
        text = self.ctx.text
        raw_start, raw_end = span.inner
        raw = text[raw_start:raw_end]
        start = raw_start + (len(raw) - len(raw.lstrip()))
        end = raw_end - (len(raw) - len(raw.rstrip(" \t,")))  # „…,“ sagte er: drop the comma
        name = role = kind = cue = None
        if attribution is not None:
            speaker, cue = attribution
            name = speaker.name
            kind = speaker.kind if speaker.kind in {"PER", "ORG"} else None
            role = speaker.role if kind == "PER" else None
            if kind == "PER" and role is None:
                role = self.ctx.book.first_role.get(name)
        return Quote(
            quote=text[start:end],
            speaker=name,
            speaker_role=role,
            cue=cue,
            start=start,
            end=end,
            paragraph=self.ctx.sents[s_index].paragraph,
            speaker_type=kind,
        )


def _fullest_unnamed(ctx: Context, quotes: list[Quote]) -> list[Quote]:
    """An unnamed speaker's fullest form in the article: "ein Sprecher" and later "der
    Polizeisprecher" are one speaker, "Polizeisprecher" (when no other compound competes)."""
    phrases = {
        c.speaker.text for cues in ctx.sent_cues for c in cues if c.speaker.kind == "UNNAMED"
    }
    out = []
    for quote in quotes:
        bare = quote.speaker if quote.speaker_type is None else None
        longer = {
            p
            for p in phrases
            if bare and " " not in bare and " " not in p and p != bare and p.endswith(bare.lower())
        }
        if bare and len(longer) == 1:
            quote = quote.model_copy(update={"speaker": longer.pop()})
        out.append(quote)
    return out


def _speech_verb(ws: list[Word]) -> bool:
    """A speech verb outside quotations (or "heißt es"): the sentence says who or what
    speaks, even where the rules cannot read it."""
    for k, w in enumerate(ws):
        if w.quoted:
            continue
        if w.lower in lx.SPEECH_VERBS:
            return True
        if w.lower in {"heißt", "hieß"} and k + 1 < len(ws) and ws[k + 1].lower == "es":
            return True
    return False


def _abbreviates(heading: str, quote: str) -> bool:
    """Most words of the heading occur in the quotation (a headline shortens a quotation)."""
    words = {w.lower() for w in _WORDS.findall(heading)}
    found = {w.lower() for w in _WORDS.findall(quote)}
    return bool(words) and len(words & found) >= 0.6 * len(words)


def _attribute_continuations(found: list[tuple[QuotedSpan, Quote]]) -> list[Quote]:
    """A paragraph of a multi-paragraph quotation belongs to whoever said its last part."""
    quotes = [quote for _, quote in found]
    for i in range(len(found) - 2, -1, -1):
        span, quote = found[i]
        nxt = quotes[i + 1]
        if span.continues and quote.speaker is None and nxt.paragraph == quote.paragraph + 1:
            quotes[i] = quote.model_copy(
                update={
                    "speaker": nxt.speaker,
                    "speaker_role": nxt.speaker_role,
                    "speaker_type": nxt.speaker_type,
                }
            )
    return quotes


def _spans_by_sentence(ctx: Context) -> dict[int, list[QuotedSpan]]:
    out: dict[int, list[QuotedSpan]] = {}
    k = 0
    for span in ctx.spans:
        while k < len(ctx.sents) and ctx.sents[k].end <= span.open:
            k += 1
        if k < len(ctx.sents) and ctx.sents[k].start <= span.open:
            out.setdefault(k, []).append(span)
    return out
