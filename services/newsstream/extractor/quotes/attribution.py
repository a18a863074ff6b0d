"""Which quoted spans are quotations, and who said them.

Order of evidence for one quotation (first hit wins):
1. a cue right after it: „…“, sagt X / „…“ – so X;
2. a colon introduction: X sagt: „…“ / X: „…“;
3. the nearest other cue in the same sentence (laut X, X zufolge, X sagte, …, „…“);
4. the next sentence naming the speaker: „…“ Das sagte X dem BR.;
5. carry-over: the speaker of up to two sentences before in the same paragraph, or of the
   last sentence of the previous paragraph. The cue is kept when the attributing sentence
   is the one right before, otherwise it is ``None`` (the attribution is inferred);
6. nobody: speaker ``None`` - never a guess.
``er``/``sie`` resolve to the most recent fitting speaker. Names resolve to the fullest form
used in the article (Mangott -> Gerhard Mangott); a speaker's role is the one their own cue
gives, else the first one the article gives them.
"""

from __future__ import annotations

import re
from bisect import insort
from collections.abc import Sequence
from dataclasses import dataclass, field

from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.cues import Cue, colon_speaker, find_cues
from newsstream.extractor.quotes.filters import is_heading, is_quotation
from newsstream.extractor.quotes.marks import QuotedSpan, find_quoted_spans
from newsstream.extractor.quotes.segments import Sentence, Word, paragraphs, sentences, words
from newsstream.extractor.quotes.speakers import EntityIndex, SpeakerRef
from newsstream.messages import Entity, Quote

_WORDS = re.compile(r"\w+")
_PUNCT_GAP = frozenset({",", "–", "—", "-", "("})
_MAX_CARRY_BACK = 2


@dataclass(frozen=True)
class Speaker:
    """A resolved speaker: canonical name (or phrase), type and role."""

    name: str
    kind: str  # PER, ORG, UNNAMED
    role: str | None


@dataclass
class QuoteAnalysis:
    """Quotations plus the person names the rules found (for entities the model missed)."""

    quotes: list[Quote] = field(default_factory=list)
    person_spans: list[tuple[int, int]] = field(default_factory=list)
    #: Model entities the rules show to be people ("Präsident Selenskyj" tagged LOC).
    relabel_spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Context:
    text: str
    spans: list[QuotedSpan]
    sents: list[Sentence]
    sent_words: list[list[Word]]
    sent_cues: list[list[Cue]]
    headings: set[int]
    entities: EntityIndex
    canonical_at: dict[int, str]
    full_names: dict[str, str]
    first_role: dict[str, str]
    per_entities: list[tuple[int, str]]
    history: list[tuple[int, Speaker]] = field(default_factory=list)
    #: Role word -> the one named person the article gives that role ("der CSU-Chef").
    role_owner: dict[str, str] = field(default_factory=dict)


def find_quotes(doc: object, entities: Sequence[Entity]) -> list[Quote]:
    """Attributed quotations of ``doc`` (a spaCy Doc or a plain string); pure, no I/O."""
    return analyse_quotes(doc, entities).quotes


def analyse_quotes(doc: object, entities: Sequence[Entity]) -> QuoteAnalysis:
    """Quotations plus the spans of person names found by the cue rules (so the caller can
    add them as PER entities where the model missed them)."""
    text: str = doc if isinstance(doc, str) else str(doc.text)  # type: ignore[attr-defined]
    ctx = _prepare(text, entities)
    analysis = QuoteAnalysis()
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
    by_sentence = _spans_by_sentence(ctx)
    prev_attr: list[tuple[Speaker, str | None] | None] = [None] * len(ctx.sents)
    found: list[tuple[QuotedSpan, Quote]] = []
    for s_index in range(len(ctx.sents)):
        last: tuple[Speaker, str | None] | None = None
        for span in by_sentence.get(s_index, []):
            quote = _attribute(ctx, s_index, span, prev_attr)
            if quote is None:
                continue
            found.append((span, quote))
            if quote.speaker is not None:
                kind = quote.speaker_type or "UNNAMED"
                last = (Speaker(quote.speaker, kind, quote.speaker_role), quote.cue)
        if last is None and ctx.sent_cues[s_index]:
            cue = ctx.sent_cues[s_index][-1]
            resolved = _resolve(ctx, cue.speaker, cue.start)
            if resolved is not None:
                last = (resolved, cue.word)
        prev_attr[s_index] = last
    analysis.quotes = _attribute_continuations(found)
    return analysis


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


def _prepare(text: str, entities: Sequence[Entity]) -> _Context:
    spans = find_quoted_spans(text)
    sents = sentences(text, spans)
    index: EntityIndex = {}
    canonical_at: dict[int, str] = {}
    per_entities: list[tuple[int, str]] = []
    for ent in entities:
        for start, end in ent.offsets or [(ent.start, ent.end)]:
            index[start] = (start, end, ent.label)
            canonical_at[start] = ent.canonical
            if ent.label == "PER":
                per_entities.append((start, ent.canonical))
    per_entities.sort()
    sent_words = [
        words(text, s.start, s.end, spans) if _worth_reading(text, s, spans) else [] for s in sents
    ]
    sent_cues = [find_cues(w, index) for w in sent_words]
    headings = {i for i, (start, end) in enumerate(paragraphs(text)) if is_heading(text[start:end])}
    ctx = _Context(
        text,
        spans,
        sents,
        sent_words,
        sent_cues,
        headings,
        index,
        canonical_at,
        {},
        {},
        per_entities,
    )
    _collect_names(ctx, entities)
    for cues in sent_cues:
        for cue in cues:
            if cue.speaker.kind in {"PER", "ORG"}:
                speaker = _resolve(ctx, cue.speaker, cue.start)
                if speaker is not None:
                    insort(ctx.history, (cue.start, speaker), key=lambda item: item[0])
    return ctx


_TRIGGERS = lx.SPEECH_VERBS | frozenset(lx.PARTICLE_VERBS) | {lx.LAUT, lx.SO, lx.ZUFOLGE}


def _worth_reading(text: str, sentence: Sentence, spans: list[QuotedSpan]) -> bool:
    """Only sentences with a quotation or a cue word can matter (a cheap pre-filter: most
    sentences of an article have neither, and word lists are the costly part)."""
    if any(sentence.start <= span.open < sentence.end for span in spans):
        return True
    return any(w.lower() in _TRIGGERS for w in _WORDS.findall(text, sentence.start, sentence.end))


def _collect_names(ctx: _Context, entities: Sequence[Entity]) -> None:
    """Fullest names (entities and rule-found names) and each speaker's first role."""
    fulls: dict[str, set[str]] = {}
    candidates = [e.canonical for e in entities if e.label == "PER"]
    candidates += [
        c.speaker.text for cues in ctx.sent_cues for c in cues if c.speaker.kind == "PER"
    ]
    for name in candidates:
        parts = name.split()
        if len(parts) > 1:
            fulls.setdefault(parts[-1], set()).add(name)
    for surname, names in fulls.items():
        longest = max(names, key=lambda n: (len(n.split()), len(n)))
        if all(longest.endswith(n) or n == longest for n in names):
            ctx.full_names[surname] = longest
    owners: dict[str, set[str]] = {}
    for cues in ctx.sent_cues:
        for cue in cues:
            if cue.speaker.role and cue.speaker.kind == "PER":
                name = _canonical_name(ctx, cue.speaker)
                ctx.first_role.setdefault(name, cue.speaker.role)
                owners.setdefault(_role_key(cue.speaker.role), set()).add(name)
    ctx.role_owner = {key: next(iter(names)) for key, names in owners.items() if len(names) == 1}


def _role_key(role: str | None) -> str:
    """ "Militärexperten" and "der frühere Militärexperte" -> "militärexpert"."""
    last = (role or "").split()[-1].lower() if role else ""
    for ending in ("en", "n", "s", "e"):
        if last.endswith(ending) and len(last) > 4:
            return last[: -len(ending)]
    return last


def _canonical_name(ctx: _Context, ref: SpeakerRef) -> str:
    """The entity's canonical name if the model found one there, then the fullest form: a
    weak model may tag a lone surname ("sagt Mangott") without linking it to the full name."""
    name = ref.text
    hit = ctx.entities.get(ref.start)
    if hit is not None and ref.end <= hit[1]:
        name = ctx.canonical_at[ref.start]
    if " " not in name and name in ctx.full_names:
        return ctx.full_names[name]
    return name


def _resolve(ctx: _Context, ref: SpeakerRef, pos: int) -> Speaker | None:
    """A speaker phrase to a speaker: names canonical, pronouns to the last fitting speaker."""
    if ref.kind == "PRON":
        wanted = {"PER"} if ref.text == "er" else {"PER", "ORG"}
        for at, speaker in reversed(ctx.history):
            if at < pos and speaker.kind in wanted and _gender_fits(ref.text, speaker):
                return speaker
        before = [name for at, name in ctx.per_entities if at < pos]
        if before:
            return Speaker(before[-1], "PER", ctx.first_role.get(before[-1]))
        return None
    if ref.kind == "UNNAMED":
        owner = ctx.role_owner.get(_role_key(ref.role)) if ref.definite and ref.role else None
        if owner is not None:  # "der Militärexperte" after "Militärexperte Ralph Thiele"
            return Speaker(owner, "PER", ctx.first_role.get(owner))
        return Speaker(ref.text, "UNNAMED", None)
    name = _canonical_name(ctx, ref)
    role = ref.role or (ctx.first_role.get(name) if ref.kind == "PER" else None)
    return Speaker(name, ref.kind, role)


def _gender_fits(pronoun: str, speaker: Speaker) -> bool:
    """ "er" never refers to a Politikwissenschaftlerin, "sie" (singular) not to a
    Militärexperte; without a role (or for an organisation) anything fits."""
    role = (speaker.role or "").split(" ")[-1].lower()
    if speaker.kind != "PER" or not role:
        return True
    female = role.endswith(("in", "frau")) and not role.endswith(("admiral", "kardinal"))
    return female if pronoun == "sie" else not female


def _spans_by_sentence(ctx: _Context) -> dict[int, list[QuotedSpan]]:
    out: dict[int, list[QuotedSpan]] = {}
    k = 0
    for span in ctx.spans:
        while k < len(ctx.sents) and ctx.sents[k].end <= span.open:
            k += 1
        if k < len(ctx.sents) and ctx.sents[k].start <= span.open:
            out.setdefault(k, []).append(span)
    return out


def _index_of(words_: list[Word], span: QuotedSpan) -> int:
    for i, w in enumerate(words_):
        if w.quoted and w.start == span.open:
            return i
    return -1


def _after_cue(ctx: _Context, s_index: int, q: int) -> Cue | None:
    """A cue right after the quotation („…“, sagt X), only punctuation in between."""
    ws = ctx.sent_words[s_index]
    for cue in ctx.sent_cues[s_index]:
        if cue.index > q and all(w.text in _PUNCT_GAP for w in ws[q + 1 : cue.index]):
            return cue
    return None


def _colon_cue(ctx: _Context, s_index: int, q: int) -> tuple[SpeakerRef, str] | None:
    """X sagt: „…“ or X: „…“ (the words since the previous quotation end in a colon)."""
    ws = ctx.sent_words[s_index]
    if q < 1 or ws[q - 1].text != ":":
        return None
    first = q - 1
    while first > 0 and not ws[first - 1].quoted:
        first -= 1
    cues = [c for c in ctx.sent_cues[s_index] if first <= c.index < q]
    if cues:
        return cues[-1].speaker, cues[-1].word
    ref = colon_speaker(ws[first:q], ctx.entities)
    return (ref, ":") if ref is not None else None


def _is_quotation(ctx: _Context, s_index: int, span: QuotedSpan, q: int, attached: bool) -> bool:
    ws = ctx.sent_words[s_index]
    prev = next((w for w in reversed(ws[:q]) if w.text.isalpha()), None) if q > 0 else None
    return is_quotation(
        ctx.text[span.open + 1 : span.close],
        in_heading=ctx.sents[s_index].paragraph in ctx.headings,
        attached=attached,
        previous_word=prev.lower if prev is not None else None,
        speech_verb_in_sentence=any(c.word in lx.SPEECH_VERBS for c in ctx.sent_cues[s_index]),
    )


def _attribute(
    ctx: _Context,
    s_index: int,
    span: QuotedSpan,
    prev_attr: list[tuple[Speaker, str | None] | None],
) -> Quote | None:
    ws = ctx.sent_words[s_index]
    q = _index_of(ws, span)
    if q < 0:
        return None
    after = _after_cue(ctx, s_index, q)
    colon = _colon_cue(ctx, s_index, q) if after is None else None
    if not _is_quotation(ctx, s_index, span, q, after is not None or colon is not None):
        return None
    found: tuple[SpeakerRef, str | None] | None = None
    if after is not None:
        found = (after.speaker, after.word)
    elif colon is not None:
        found = colon
    else:
        found = _nearest_cue(ctx, s_index, q) or _next_sentence_cue(ctx, s_index)
    speaker: Speaker | None = None
    cue: str | None = None
    if found is not None:
        speaker = _resolve(ctx, found[0], span.open)
        cue = found[1]
    if speaker is None:
        carried = _carry_over(ctx, s_index, prev_attr)
        if carried is not None:
            speaker, cue = carried
    return _make_quote(ctx, span, s_index, speaker, cue)


def _nearest_cue(ctx: _Context, s_index: int, q: int) -> tuple[SpeakerRef, str] | None:
    cues = ctx.sent_cues[s_index]
    if not cues:
        return None
    best = min(cues, key=lambda c: abs(c.index - q))
    return best.speaker, best.word


def _next_sentence_cue(ctx: _Context, s_index: int) -> tuple[SpeakerRef, str] | None:
    """„…“ Das sagte X dem BR. - the next sentence points back at the quotation."""
    nxt = s_index + 1
    if nxt >= len(ctx.sents) or ctx.sents[nxt].paragraph != ctx.sents[s_index].paragraph:
        return None
    ws = ctx.sent_words[nxt]
    if len(ws) < 2 or ws[0].lower not in {"das", "dies", "so"}:
        return None
    for cue in ctx.sent_cues[nxt]:
        if cue.index == 1:
            return cue.speaker, cue.word
    return None


def _carry_over(
    ctx: _Context, s_index: int, prev_attr: list[tuple[Speaker, str | None] | None]
) -> tuple[Speaker, str | None] | None:
    """A cue-less quotation continues the speaker of the text just before it."""
    paragraph = ctx.sents[s_index].paragraph
    for back in range(1, _MAX_CARRY_BACK + 1):
        k = s_index - back
        if k < 0:
            return None
        if ctx.sents[k].paragraph != paragraph:
            first_of_paragraph = back == 1
            if first_of_paragraph and ctx.sents[k].paragraph not in ctx.headings:
                hit = prev_attr[k]
                return (hit[0], None) if hit is not None else None
            return None
        hit = prev_attr[k]
        if hit is not None:
            return (hit[0], hit[1]) if back == 1 else (hit[0], None)
    return None


def _make_quote(
    ctx: _Context, span: QuotedSpan, s_index: int, speaker: Speaker | None, cue: str | None
) -> Quote:
    raw_start, raw_end = span.inner
    raw = ctx.text[raw_start:raw_end]
    start = raw_start + (len(raw) - len(raw.lstrip()))
    end = raw_end - (len(raw) - len(raw.rstrip(" \t,")))  # „…,“ sagte er: drop the comma
    role = None
    kind = None
    name = None
    if speaker is not None:
        name = speaker.name
        kind = speaker.kind if speaker.kind in {"PER", "ORG"} else None
        role = speaker.role if kind == "PER" else None
        if kind == "PER" and role is None:
            role = ctx.first_role.get(name)
    return Quote(
        quote=ctx.text[start:end],
        speaker=name,
        speaker_role=role,
        cue=cue,
        start=start,
        end=end,
        paragraph=ctx.sents[s_index].paragraph,
        speaker_type=kind,
    )
