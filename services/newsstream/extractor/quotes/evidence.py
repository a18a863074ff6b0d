"""Evidence for who said one quotation, read from the words around it.

Each function looks at one kind of attribution and returns the speaker phrase as written
(a :class:`~.refs.SpeakerRef`, resolved later) and the cue word, or None:

- :func:`after_cue`: „…“, sagt X / „…“ – so X (only punctuation between);
- :func:`inverted_after`: „…“, ist sich X sicher / „…“, zeigt sich die Ministerin überzeugt
  (a quotation, a comma, a finite verb, then the subject: German inversion marks the
  sentence as an attribution whatever the verb);
- :func:`colon_cue`: X sagt: „…“ / X: „…“ / Dann gibt sich X versöhnlich: „…“;
- :func:`nearest_cue`: the closest other cue in the same sentence (laut X, X zufolge, …);
- :func:`next_sentence_cue`: „…“ Das sagte X dem BR.;
- :func:`attribution_line`: a broadcast-style line after the quotation that is only a name
  and a role ("Anna Weber, Bürgermeisterin von Adorf").
"""

from __future__ import annotations

from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.context import Context
from newsstream.extractor.quotes.cues import Cue, colon_speaker
from newsstream.extractor.quotes.marks import QuotedSpan
from newsstream.extractor.quotes.refs import SpeakerRef, is_role
from newsstream.extractor.quotes.reported import is_reported
from newsstream.extractor.quotes.segments import Word
from newsstream.extractor.quotes.speakers import parse_forward

Found = tuple[SpeakerRef, str | None]

_PUNCT_GAP = frozenset({",", "–", "—", "-", "("})
_REFLEXIVE = frozenset({"sich", "mir", "uns"})
#: Lower-case words after „…“, that start a subordinate clause or a list, not an inversion.
_NOT_FINITE = (
    lx.PREPOSITIONS
    | lx.DETERMINERS
    | lx.FUNCTION_WORDS
    | lx.NAME_PARTICLES
    | lx.words("und oder aber denn sondern dass weil wenn als ob wie wo was wer welche welcher")
    | lx.words("welches womit wobei wodurch worauf bis nachdem damit sodass sowie so um zu")
    | lx.words("sagen heißt")
)
#: Attribution lines are short: a name, maybe a party in brackets, maybe a role.
_MAX_LINE_WORDS = 16


def index_of(words: list[Word], span: QuotedSpan) -> int:
    for i, w in enumerate(words):
        if w.quoted and w.start == span.open:
            return i
    return -1


def after_cue(ctx: Context, s_index: int, q: int) -> Cue | None:
    """A cue right after the quotation („…“, sagt X), only punctuation in between."""
    ws = ctx.words_of(s_index)
    for cue in ctx.sent_cues[s_index]:
        if cue.index > q and all(w.text in _PUNCT_GAP for w in ws[q + 1 : cue.index]):
            return cue
    return None


def inverted_clause(ctx: Context, s_index: int, q: int) -> bool:
    """The quotation opens its sentence and a comma and a finite verb follow: the sentence
    says who or what said it („…“, ist sich X sicher / „…“, steht im Brief)."""
    ws = ctx.words_of(s_index)
    if q + 3 >= len(ws) or ws[q + 1].text != "," or (q > 0 and ws[q - 1].text not in {":", "–"}):
        return False  # only a quotation that opens its sentence: "Auf die Frage, „…“, sagt X"
    verb = ws[q + 2]
    return not (
        verb.is_cap or not verb.text.isalpha() or len(verb.text) < 3 or verb.lower in _NOT_FINITE
    )


def inverted_after(ctx: Context, s_index: int, q: int) -> Found | None:
    """„…“, ist sich X sicher: comma, a lower-case finite verb, then a speaker phrase."""
    if not inverted_clause(ctx, s_index, q):
        return None
    ws = ctx.words_of(s_index)
    i = q + 3
    while i < len(ws) and (ws[i].lower in _REFLEXIVE or ws[i].lower in lx.ADVERBS):
        i += 1
    ref = parse_forward(ws, i, ctx.entities)
    if ref is None or (ref.kind == "UNNAMED" and not (ref.role or ref.definite)):
        return None
    return ref, ws[q + 2].lower


def colon_cue(ctx: Context, s_index: int, q: int) -> Found | None:
    """X sagt: „…“ or X: „…“ (the words since the previous quotation end in a colon)."""
    ws = ctx.words_of(s_index)
    if q < 1 or ws[q - 1].text != ":":
        return None
    first = q - 1
    while first > 0 and not ws[first - 1].quoted:
        first -= 1
    clause = max((k + 1 for k in range(first, q) if ws[k].text == ","), default=first)
    cues = [c for c in ctx.sent_cues[s_index] if clause <= c.index < q]
    if cues:  # "…, worauf Weber erwiderte: „…“" - the cue of the colon's own clause
        return cues[-1].speaker, cues[-1].word
    earlier = [c for c in ctx.sent_cues[s_index] if first <= c.index < clause]
    if earlier and is_reported(ws[clause:q]):  # "Weber sagte, das sei falsch: „…“"
        return earlier[-1].speaker, earlier[-1].word
    ref = colon_speaker(ws[first:q], ctx.entities)
    return (ref, ":") if ref is not None else None


def speech_noun(ctx: Context, s_index: int, q: int) -> Found | None:
    """ "Auf die Kritik von Journalistin Eva Roth, „…“, antwortet …": the quotation is the
    apposition of a noun of speech whose speaker follows "von"."""
    ws = ctx.words_of(s_index)
    if q < 3 or ws[q - 1].text not in {",", ":"}:
        return None
    for j in range(q - 2, max(-1, q - 9), -1):
        if ws[j].quoted or ws[j].text in {".", ";"}:
            return None
        if ws[j].lower in lx.SPEECH_NOUNS and j + 1 < q and ws[j + 1].lower in {"von", "vom"}:
            ref = parse_forward(ws, j + 2, ctx.entities)
            if ref is not None and ref.kind in {"PER", "ORG"} and ref.end <= ws[q - 1].start:
                return ref, None
            return None
    return None


def caption_name(ctx: Context, s_index: int, q: int) -> Found | None:
    """„…“: Anna Weber bei ihrer Rede / „…“ (Anna Weber, Bürgermeisterin): a caption or a
    pull quote, the name right after the quotation, after a colon or in brackets."""
    ws = ctx.words_of(s_index)
    if q + 2 >= len(ws) or ws[q + 1].text not in {":", "("}:
        return None
    ref = parse_forward(ws, q + 2, ctx.entities)
    return (ref, ":") if ref is not None and ref.kind == "PER" else None


def sentence_inverted(ctx: Context, s_index: int, q: int) -> Found | None:
    """Another quotation of the sentence is attributed by inversion („…“, zählt sie auf,
    „…“, „…“): the later ones share its speaker."""
    ws = ctx.words_of(s_index)
    if q == 0 or not ws or not ws[0].quoted:
        return None
    return inverted_after(ctx, s_index, 0)


def nearest_cue(ctx: Context, s_index: int, q: int) -> Found | None:
    cues = ctx.sent_cues[s_index]
    if not cues:
        return None
    best = min(cues, key=lambda c: abs(c.index - q))
    return best.speaker, best.word


def next_sentence_cue(ctx: Context, s_index: int) -> Found | None:
    """„…“ Das sagte X dem BR. - the next sentence points back at the quotation."""
    nxt = s_index + 1
    if nxt >= len(ctx.sents) or ctx.sents[nxt].paragraph != ctx.sents[s_index].paragraph:
        return None
    ws = ctx.words_of(nxt)
    if len(ws) < 2 or ws[0].lower not in {"das", "dies", "so"}:
        return None
    for cue in ctx.sent_cues[nxt]:
        if cue.index == 1:
            return cue.speaker, cue.word
    return None


def attribution_line(ctx: Context, s_index: int) -> Found | None:
    """The line after the quotation's sentence is only "Name[ (Partei)][, Rolle …]": the
    rest of its paragraph, or the whole next paragraph when the quotation ends its own."""
    nxt = s_index + 1
    if nxt >= len(ctx.sents):
        return None
    here, there = ctx.sents[s_index].paragraph, ctx.sents[nxt].paragraph
    ends_its_line = nxt + 1 >= len(ctx.sents) or ctx.sents[nxt + 1].paragraph != there
    if not ends_its_line or there not in {here, here + 1}:
        return None
    ref = attribution_in(ctx.words_of(nxt), ctx)
    return (ref, None) if ref is not None else None


def attribution_in(ws: list[Word], ctx: Context) -> SpeakerRef | None:
    """A person named by a line that says nothing else (no verb, no quotation)."""
    if not ws or len(ws) > _MAX_LINE_WORDS or any(w.quoted for w in ws):
        return None
    if ws[-1].text in {"?", "!", ":"}:
        return None
    ref = parse_forward(ws, 0, ctx.entities)
    if ref is None or ref.kind != "PER":
        return None
    rest = [w for w in ws if w.start >= ref.end]
    if rest and rest[0].text == "(":
        close = next((k for k, w in enumerate(rest) if w.text == ")"), -1)
        rest = rest[close + 1 :] if close >= 0 else rest
    if rest and rest[-1].text == ".":
        rest = rest[:-1]
    if not rest:
        return ref if " " in ref.text or ref.start in ctx.entities else None
    if rest[0].text != ",":
        return None
    role = next((w for w in rest[1:4] if w.is_cap), None)
    if role is None or not is_role(role.text):
        return None
    return ref if ref.role else SpeakerRef(ref.text, "PER", role.text, ref.start, ref.end)
