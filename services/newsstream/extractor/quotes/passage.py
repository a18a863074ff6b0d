"""Who is speaking where: the running attribution of an article, sentence by sentence.

A quotation without a cue of its own takes its speaker from the passage around it: the
speaker of the sentence before (carry-over), the subject a cue-less sentence opens with
("Sie lacht. „…“"), the speaker of a passage of indirect speech (Konjunktiv I), even across
a subheading. :class:`Passage` keeps, per sentence, who was attributed there and resolves
speaker phrases once each (so pronouns join the mention timeline in text order).
"""

from __future__ import annotations

from newsstream.extractor.quotes import lexicon as lx
from newsstream.extractor.quotes.context import Context
from newsstream.extractor.quotes.evidence import Found
from newsstream.extractor.quotes.persons import Mention, Speaker, person_noun, role_gender
from newsstream.extractor.quotes.refs import SpeakerRef
from newsstream.extractor.quotes.reported import is_first_person, is_reported
from newsstream.extractor.quotes.speakers import parse_forward

_MAX_CARRY_BACK = 2

Attribution = tuple[Speaker, str | None]


class Passage:
    """The attribution of every sentence so far, and the rules that carry it on."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        n = len(ctx.sents)
        #: The speaker (and cue) each sentence ends with, None where nobody speaks.
        self.attr: list[Attribution | None] = [None] * n
        #: The speaker of each sentence in cue-less indirect speech.
        self.reported: list[Speaker | None] = [None] * n
        self._resolved: dict[int, Speaker | None] = {}

    def resolve(self, found: Found | None, s_index: int) -> Attribution | None:
        """A speaker phrase (and its cue) to a speaker, once per phrase: a resolved pronoun
        or description becomes a mention, so the next "er" can find the same person."""
        if found is None:
            return None
        ref, cue = found
        if ref.kind == "PRON" and ref.text == "sie" and _plural_verb(cue):
            return None  # "„…“, sagen sie": a group, not the last woman mentioned
        if ref.start in self._resolved:
            speaker = self._resolved[ref.start]
        else:
            speaker = self.ctx.book.resolve(ref, s_index)
            self._resolved[ref.start] = speaker
            if (
                speaker is not None
                and ref.kind in {"PRON", "UNNAMED"}
                and _one_person(ref, speaker)
            ):
                self.ctx.book.add(Mention(ref.start, s_index, speaker, spoke=True))
        return (speaker, cue) if speaker is not None else None

    def resolve_cues(self, s_index: int) -> Attribution | None:
        """Resolve every cue of the sentence in order (pronouns join the timeline); the last
        one that names somebody is the sentence's own attribution."""
        last = None
        for cue in self.ctx.sent_cues[s_index]:
            last = self.resolve((cue.speaker, cue.word), s_index) or last
        return last

    def reported_speaker(self, s_index: int) -> Speaker | None:
        """The speaker of a cue-less sentence in indirect speech: "Er habe …" resolves the
        pronoun, otherwise the passage's speaker carries on, otherwise the person one of the
        two sentences before is about ("Anna Weber gibt sich gelassen. Das sei …"). Unquoted
        first-person sentences only carry a speaker on."""
        ctx = self.ctx
        ws = ctx.words_of(s_index) if ctx.was_read(s_index) else []
        if not ws:
            return None
        if not is_reported(ws):
            carried = self.carry_over(s_index) if is_first_person(ws) else None
            return carried[0] if carried is not None else None
        if ws[0].lower in lx.PRONOUNS:
            ref = SpeakerRef(ws[0].lower, "PRON", None, ws[0].start, ws[0].end)
            hit = self.resolve((ref, None), s_index)
            return hit[0] if hit is not None else None
        carried = self.carry_over(s_index) or self.speaker_above_heading(s_index)
        if carried is not None:
            return carried[0]
        for before in self.sentences_before(s_index, 2):
            topic = ctx.book.topic(before)
            if topic is not None:
                return topic
        return None

    def carry_over(self, s_index: int) -> Attribution | None:
        """A cue-less quotation continues the speaker of the text just before it."""
        sents = self.ctx.sents
        paragraph = sents[s_index].paragraph
        for back in range(1, _MAX_CARRY_BACK + 1):
            k = s_index - back
            if k < 0:
                return None
            if sents[k].paragraph != paragraph:
                if back == 1 and sents[k].paragraph not in self.ctx.headings:
                    hit = self.attr[k]
                    return (hit[0], None) if hit is not None else None
                return None
            hit = self.attr[k]
            if hit is not None:
                return hit if back == 1 else (hit[0], None)
            if back == 1 and (subject := self.beat_subject(k)) is not None:
                return subject, None
        return None

    def speaker_above_heading(self, s_index: int) -> Attribution | None:
        """Indirect speech right under a subheading goes on with the speaker of the text
        above it ("…, sagte Weber.\n\nKritik am Haushalt\n\nDas Geld sei falsch verteilt.")."""
        k = s_index - 1
        if k < 0 or not self.ctx.is_heading_sentence(k):
            return None
        while k >= 0 and self.ctx.is_heading_sentence(k):
            k -= 1
        hit = self.attr[k] if k >= 0 else None
        return (hit[0], None) if hit is not None else None

    def beat_subject(self, s_index: int) -> Speaker | None:
        """The person a cue-less sentence opens with ("Sie lachte. „Gerne.“", "Weber
        schüttelt den Kopf. „…“"): the speaker of a quotation right after it."""
        ctx = self.ctx
        ws = ctx.words_of(s_index)
        if not ws or ws[0].quoted:
            return None
        if ws[0].lower in lx.PRONOUNS:
            ref = SpeakerRef(ws[0].lower, "PRON", None, ws[0].start, ws[0].end)
            hit = self.resolve((ref, None), s_index)
            return hit[0] if hit is not None else None
        opener = parse_forward(ws, 0, ctx.entities)
        if opener is None or opener.kind not in {"PER", "UNNAMED"}:
            return None
        hit = self.resolve((opener, None), s_index)
        if hit is None or hit[0].kind == "ORG":
            return None
        if hit[0].kind == "UNNAMED" and not person_noun(hit[0].name):
            return None  # "Die Reise ging weiter." is about no one
        return hit[0]

    def sentences_before(self, s_index: int, count: int) -> list[int]:
        """Up to ``count`` sentences before, in the same paragraph (or ending the paragraph
        before, if that is no heading)."""
        sents = self.ctx.sents
        out = []
        for k in range(s_index - 1, max(-1, s_index - 1 - count), -1):
            if self.ctx.is_heading_sentence(k):
                break
            out.append(k)
            if sents[k].paragraph != sents[s_index].paragraph:
                break
        return out

    def speaker_below(self, s_index: int) -> Attribution | None:
        """The first speaker in the section a subheading (sentence ``s_index``) heads."""
        ctx = self.ctx
        for k in range(s_index + 1, len(ctx.sents)):
            if ctx.is_heading_sentence(k):
                return None
            hit = self.attr[k]
            if hit is not None:
                return (hit[0], None)
        return None


_SINGULAR_ARTICLES = frozenset({"der", "ein", "eine", "sein", "seine", "ihr", "ihre"})


def _one_person(ref: SpeakerRef, speaker: Speaker) -> bool:
    """Whether a resolved phrase names one person a later "er"/"sie" may refer to: a named
    person, or an unnamed one in the singular ("ein Sprecher", "seine Mutter"), not a group
    ("Landwirte berichten", "die Experten")."""
    if speaker.kind == "PER":
        return True
    if speaker.kind != "UNNAMED":
        return False
    noun = speaker.name.split()[-1].lower()
    if noun in lx.FEMALE_PERSONS or noun in lx.MALE_PERSONS:
        return True
    return ref.det in _SINGULAR_ARTICLES or (ref.det == "die" and role_gender(noun) == "f")


def _plural_verb(cue: str | None) -> bool:
    """ "sagen", "erklärten": a speech verb in the plural (its subject is a group)."""
    return cue is not None and cue in lx.SPEECH_VERBS and cue.endswith("en")
