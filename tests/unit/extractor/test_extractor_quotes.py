"""Quotation finding and attribution on small German texts (blank pipeline, no model)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from newsstream.messages import Quote

QuotesOf = Callable[..., list[Quote]]


def _one(quotes: list[Quote]) -> Quote:
    assert len(quotes) == 1, [q.quote for q in quotes]
    return quotes[0]


# --- quotation marks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "„Wir bleiben hart“, sagt Markus Söder.",
        '"Wir bleiben hart", sagt Markus Söder.',
        "»Wir bleiben hart«, sagt Markus Söder.",
        "«Wir bleiben hart», sagt Markus Söder.",
        "“Wir bleiben hart”, sagt Markus Söder.",
        "„Wir bleiben hart”, sagt Markus Söder.",
    ],
)
def test_quotes_every_mark_convention(quotes_of: QuotesOf, text: str) -> None:
    quote = _one(quotes_of(text))
    assert (quote.quote, quote.speaker, quote.cue) == ("Wir bleiben hart", "Markus Söder", "sagt")


def test_quotes_nested_single_marks_stay_inside(quotes_of: QuotesOf) -> None:
    text = "„Er rief nur ‚Halt, stehen bleiben‘ und lief weg“, sagt Anna Weber."
    quote = _one(quotes_of(text))
    assert quote.quote == "Er rief nur ‚Halt, stehen bleiben‘ und lief weg"
    assert quote.speaker == "Anna Weber"


def test_quotes_cue_inside_nested_quote_is_not_used(quotes_of: QuotesOf) -> None:
    text = "„Dann sagte Müller: ‚Ich komme nicht mehr‘, und ging“, erzählt Anna Weber."
    assert _one(quotes_of(text)).speaker == "Anna Weber"


def test_quotes_straight_single_marks_nested(quotes_of: QuotesOf) -> None:
    text = "\"Er sagte nur 'Nein danke' und legte auf\", berichtet Jonas Klein."
    quote = _one(quotes_of(text))
    assert quote.quote == "Er sagte nur 'Nein danke' und legte auf"


def test_quotes_apostrophes_are_not_marks(quotes_of: QuotesOf) -> None:
    text = "„So geht's nicht weiter, wär‘s nach mir gegangen, geht’s anders“, sagt Jonas Klein."
    quote = _one(quotes_of(text))
    assert quote.quote.endswith("geht’s anders")
    assert quote.speaker == "Jonas Klein"


def test_quotes_unbalanced_opener_does_not_swallow_text(quotes_of: QuotesOf) -> None:
    text = (
        "Der Satz „beginnt hier und endet nie.\n\n"
        "„Das ist der eigentliche Punkt“, sagt Jonas Klein."
    )
    quote = _one(quotes_of(text))
    assert quote.quote == "Das ist der eigentliche Punkt"


def test_quotes_unbalanced_closer_is_ignored(quotes_of: QuotesOf) -> None:
    text = "Ein verirrtes Zeichen“ steht hier. „Wir machen weiter“, sagt Jonas Klein."
    assert _one(quotes_of(text)).quote == "Wir machen weiter"


def test_quotes_offsets_point_into_the_text(quotes_of: QuotesOf) -> None:
    text = "Vorab.\n\nDer Satz. „Wir bleiben hart“, sagt Markus Söder."
    quote = _one(quotes_of(text))
    assert text[quote.start : quote.end] == quote.quote
    assert quote.paragraph == 1


def test_quotes_multi_sentence_quotation_is_one(quotes_of: QuotesOf) -> None:
    text = "„Das ist falsch. Das war immer falsch. Wir ändern das“, sagt Markus Söder."
    quote = _one(quotes_of(text))
    assert quote.quote == "Das ist falsch. Das war immer falsch. Wir ändern das"


# --- cues ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "verb",
    [
        "sagte",
        "erklärte",
        "betonte",
        "meinte",
        "warnte",
        "forderte",
        "kritisierte",
        "fragte",
        "antwortete",
        "ergänzte",
        "schrieb",
        "sagt",
        "erklärt",
        "betont",
        "mahnt",
        "unterstrich",
    ],
)
def test_quotes_speech_verbs_present_and_past(quotes_of: QuotesOf, verb: str) -> None:
    quote = _one(quotes_of(f"„Wir brauchen mehr Geld für Schulen“, {verb} Anna Weber."))
    assert (quote.speaker, quote.cue) == ("Anna Weber", verb)


def test_quotes_so_cue(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Der Plan ist gescheitert“ – so Anna Weber."))
    assert (quote.speaker, quote.cue) == ("Anna Weber", "so")


def test_quotes_laut_cue_in_same_sentence(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("Laut Anna Weber ist der Plan „vollständig gescheitert und teuer“."))
    assert (quote.speaker, quote.cue) == ("Anna Weber", "laut")


def test_quotes_zufolge_cue(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("Anna Weber zufolge ist der Plan „vollständig gescheitert und teuer“."))
    assert (quote.speaker, quote.cue) == ("Anna Weber", "zufolge")


def test_quotes_colon_introduction_with_verb(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("Markus Söder sagte: „Wir bleiben hart.“"))
    assert (quote.speaker, quote.cue) == ("Markus Söder", "sagte")


def test_quotes_colon_introduction_verb_first(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("Dazu sagt Anna Weber: „Das kommt nicht in Frage.“"))
    assert (quote.speaker, quote.cue) == ("Anna Weber", "sagt")


def test_quotes_bare_colon_introduction(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("Anna Weber: „Das kommt nicht in Frage.“"))
    assert (quote.speaker, quote.cue) == ("Anna Weber", ":")


def test_quotes_separable_verb_cue(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Die Straße bleibt bis Montag gesperrt“, teilte die Polizei mit."))
    assert (quote.speaker, quote.speaker_type, quote.cue) == ("Polizei", "ORG", "teilte")


def test_quotes_cue_in_next_sentence(quotes_of: QuotesOf) -> None:
    text = "„Wir werden das Gesetz stoppen.“ Das sagte Anna Weber dem Bayerischen Rundfunk."
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.cue) == ("Anna Weber", "sagte")


def test_quotes_interrupted_quotation_is_two_with_one_speaker(quotes_of: QuotesOf) -> None:
    text = "„Wir bleiben hart“, sagt Markus Söder, „und wir weichen keinen Millimeter.“"
    quotes = quotes_of(text)
    assert [q.quote for q in quotes] == [
        "Wir bleiben hart",
        "und wir weichen keinen Millimeter.",
    ]
    assert {q.speaker for q in quotes} == {"Markus Söder"}


def test_quotes_capitalised_noun_after_name_is_not_part_of_it(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Wir sind bereit“, sagte Merz Journalisten in Berlin."))
    assert quote.speaker == "Merz"


# --- speakers and roles -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "speaker", "role"),
    [
        ("Militärexperte Ralph Thiele", "Ralph Thiele", "Militärexperte"),
        ("Politikwissenschaftler Gerhard Mangott", "Gerhard Mangott", "Politikwissenschaftler"),
        ("der frühere Oberst Ralph Thiele", "Ralph Thiele", "der frühere Oberst"),
        ("Ministerpräsident Markus Söder", "Markus Söder", "Ministerpräsident"),
        ("CSU-Chef Markus Söder", "Markus Söder", "CSU-Chef"),
        ("Bayerns Innenminister Joachim Herrmann", "Joachim Herrmann", "Innenminister"),
    ],
)
def test_quotes_role_in_front_of_name(
    quotes_of: QuotesOf, phrase: str, speaker: str, role: str
) -> None:
    quote = _one(quotes_of(f"„Das ist ein wichtiger Tag für uns“, sagte {phrase}."))
    assert (quote.speaker, quote.speaker_role, quote.speaker_type) == (speaker, role, "PER")


def test_quotes_unnamed_speaker(quotes_of: QuotesOf) -> None:
    text = "„Die Lage ist unter Kontrolle“, sagte ein Sprecher des Innenministeriums."
    quote = _one(quotes_of(text))
    assert quote.speaker == "Sprecher des Innenministeriums"
    assert quote.speaker_type is None


def test_quotes_organisation_speaker(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Es gab keine Verletzten“, sagte die Polizei am Abend."))
    assert (quote.speaker, quote.speaker_type) == ("Polizei", "ORG")


def test_quotes_surname_resolves_to_full_name(quotes_of: QuotesOf) -> None:
    text = (
        "„Wir bleiben hart“, sagt CSU-Chef Markus Söder. Später im Gespräch wurde er deutlicher. "
        "„Das Gesetz kommt nicht“, sagt Söder."
    )
    quotes = quotes_of(text)
    assert [q.speaker for q in quotes] == ["Markus Söder", "Markus Söder"]
    assert [q.speaker_role for q in quotes] == ["CSU-Chef", "CSU-Chef"]


def test_quotes_role_given_later_is_carried_to_earlier_quote(quotes_of: QuotesOf) -> None:
    text = (
        "„Das wird teuer“, sagt Mangott.\n\n"
        "„Und es wird lange dauern“, ergänzt Politikwissenschaftler Gerhard Mangott."
    )
    quotes = quotes_of(text)
    assert [(q.speaker, q.speaker_role) for q in quotes] == [
        ("Gerhard Mangott", "Politikwissenschaftler"),
        ("Gerhard Mangott", "Politikwissenschaftler"),
    ]


def test_quotes_model_entity_defines_name_span(quotes_of: QuotesOf) -> None:
    text = "„Wir reden weiter“, sagte Ursula von der Leyen in Brüssel."
    quote = _one(quotes_of(text, [("Ursula von der Leyen", "PER"), ("Brüssel", "LOC")]))
    assert quote.speaker == "Ursula von der Leyen"


def test_quotes_pronoun_er_resolves_to_last_speaker(quotes_of: QuotesOf) -> None:
    text = (
        "Anna Weber warnte vor den Folgen. Jonas Klein widersprach ihr. Putin schwieg. "
        "„Wir schaffen das locker“, sagte er."
    )
    quote = _one(quotes_of(text, [("Putin", "PER")]))
    assert quote.speaker == "Jonas Klein"  # the last speaker, not the last person mentioned


def test_quotes_pronoun_sie_may_be_an_organisation(quotes_of: QuotesOf) -> None:
    text = (
        "Die Polizei erklärte, die Lage sei ruhig. "
        "„Wir haben alles im Griff“, betonte sie am Abend."
    )
    assert _one(quotes_of(text)).speaker == "Polizei"


def test_quotes_pronoun_without_antecedent_is_none(quotes_of: QuotesOf) -> None:
    assert _one(quotes_of("„Wir schaffen das locker“, sagte er.")).speaker is None


# --- carry-over ------------------------------------------------------------------------


def test_quotes_carry_over_from_previous_sentence_keeps_cue(quotes_of: QuotesOf) -> None:
    text = "Laut Anna Weber ist das Projekt gescheitert. „Wir haben zu spät reagiert.“"
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.cue) == ("Anna Weber", "laut")


def test_quotes_carry_over_two_sentences_away(quotes_of: QuotesOf) -> None:
    text = (
        "Das Projekt sei gescheitert, sagt Anna Weber. Die Stadt hatte viel Geld investiert. "
        "„Wir haben zu spät reagiert.“"
    )
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.cue) == ("Anna Weber", None)


def test_quotes_carry_over_from_previous_paragraph(quotes_of: QuotesOf) -> None:
    text = "Das Projekt sei gescheitert, sagt Anna Weber.\n\n„Wir haben zu spät reagiert.“"
    assert _one(quotes_of(text)).speaker == "Anna Weber"


def test_quotes_carry_over_follows_previous_quotation(quotes_of: QuotesOf) -> None:
    text = "„Es ist vorbei“, sagte Anna Weber. „Wir fangen von vorn an.“"
    quotes = quotes_of(text)
    assert [q.speaker for q in quotes] == ["Anna Weber", "Anna Weber"]


def test_quotes_no_carry_over_three_sentences_away(quotes_of: QuotesOf) -> None:
    text = (
        "Das Projekt sei gescheitert, sagt Anna Weber. Die Stadt investierte viel. "
        "Der Rat tagte lange. „Wir haben zu spät reagiert.“"
    )
    assert _one(quotes_of(text)).speaker is None


def test_quotes_no_carry_over_across_a_heading(quotes_of: QuotesOf) -> None:
    text = "Das sei gescheitert, sagt Anna Weber.\n\nNeue Pläne\n\n„Wir fangen neu an.“"
    assert _one(quotes_of(text)).speaker is None


def test_quotes_no_findable_speaker_is_none(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("Am Rathaus hing ein Plakat. „Wir bleiben alle hier.“"))
    assert (quote.speaker, quote.speaker_role, quote.cue) == (None, None, None)


def test_quotes_alternating_interview_speakers(quotes_of: QuotesOf) -> None:
    text = (
        "BR24: „Wie sehen Sie die Lage?“\n\n"
        "Anna Weber: „Angespannt, aber stabil.“\n\n"
        "BR24: „Und was kommt jetzt?“\n\n"
        "Anna Weber: „Wir warten ab.“"
    )
    quotes = quotes_of(text, [("BR24", "ORG")])
    assert [q.speaker for q in quotes] == ["BR24", "Anna Weber", "BR24", "Anna Weber"]


# --- not quotations ---------------------------------------------------------------------


def test_quotes_programme_title_is_not_a_quotation(quotes_of: QuotesOf) -> None:
    text = "„Wir sind bereit“, sagt Ralph Thiele im Interview für „Possoch klärt“ (Video unten)."
    assert [q.quote for q in quotes_of(text)] == ["Wir sind bereit"]


def test_quotes_title_after_title_noun_is_not_a_quotation(quotes_of: QuotesOf) -> None:
    text = "Er las im Buch „Der Mann ohne Eigenschaften von Musil“ bis spät in die Nacht."
    assert quotes_of(text) == []


def test_quotes_scare_quotes_and_terms_are_not_quotations(quotes_of: QuotesOf) -> None:
    text = "Die „Zeitenwende“ und das sogenannte „Sondervermögen für die Bundeswehr“ kosten Geld."
    assert quotes_of(text) == []


def test_quotes_heading_abbreviating_a_quote_is_not_counted(quotes_of: QuotesOf) -> None:
    text = (
        "Putin „möchte Ruhe an der Front“\n\n"
        "„Er möchte jetzt erstmal Ruhe an der Front haben“, sagt Ralph Thiele."
    )
    quote = _one(quotes_of(text))
    assert quote.quote == "Er möchte jetzt erstmal Ruhe an der Front haben"


def test_quotes_newsletter_name_is_not_a_quotation(quotes_of: QuotesOf) -> None:
    text = "„Hier ist Bayern“: Der BR24 Newsletter informiert Sie immer montags."
    assert quotes_of(text) == []


def test_quotes_short_quotation_with_cue_is_kept(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Nein“, sagte Anna Weber knapp."))
    assert (quote.quote, quote.speaker) == ("Nein", "Anna Weber")


def test_quotes_partial_quotation_inside_reported_speech(quotes_of: QuotesOf) -> None:
    text = "Die Einigung komme erst, „wenn beide Seiten erschöpft sind“, sagt Gerhard Mangott."
    quote = _one(quotes_of(text))
    assert (quote.quote, quote.speaker) == ("wenn beide Seiten erschöpft sind", "Gerhard Mangott")


def test_quotes_plain_string_input_works(quotes_of: QuotesOf) -> None:
    from newsstream.extractor.quotes import find_quotes

    quotes = find_quotes("„Wir bleiben hart“, sagt Markus Söder.", [])
    assert [q.speaker for q in quotes] == ["Markus Söder"]


def test_quotes_model_span_including_the_role(quotes_of: QuotesOf) -> None:
    text = "„Der Westen sitzt in einer Grube“, sagt Militärexperte Ralph Thiele im Interview."
    quote = _one(quotes_of(text, [("Militärexperte Ralph Thiele", "PER")]))
    assert (quote.speaker, quote.speaker_role) == ("Ralph Thiele", "Militärexperte")


def test_quotes_adverbial_before_verb_is_not_the_speaker(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("In Berlin sagte Anna Weber: „Wir fangen neu an.“"))
    assert quote.speaker == "Anna Weber"


def test_quotes_subject_before_verb_beats_object_after(quotes_of: QuotesOf) -> None:
    text = "Anna Weber warnte die Regierung: „Das geht nicht gut aus.“"
    assert _one(quotes_of(text)).speaker == "Anna Weber"


def test_quotes_laut_report_is_not_a_speaker(quotes_of: QuotesOf) -> None:
    text = "Laut Medienberichten war die Lage „sehr ernst und kaum noch beherrschbar“."
    assert _one(quotes_of(text)).speaker is None


def test_quotes_definite_role_refers_back_to_named_person(quotes_of: QuotesOf) -> None:
    text = (
        "„Wir bleiben hart“, sagt CSU-Chef Markus Söder.\n\n"
        "„Das Gesetz kommt so nicht“, so der CSU-Chef."
    )
    quotes = quotes_of(text)
    assert [(q.speaker, q.speaker_role) for q in quotes] == [
        ("Markus Söder", "CSU-Chef"),
        ("Markus Söder", "CSU-Chef"),
    ]


def test_quotes_role_with_apposition_name(quotes_of: QuotesOf) -> None:
    text = "„Wir räumen seit Stunden“, sagt der Bürgermeister von Kaufbeuren, Stefan Bosse."
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Stefan Bosse", "Bürgermeister")


def test_quotes_age_adjective_before_name(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Ich habe Angst“, sagt die 45-jährige Anna Weber."))
    assert quote.speaker == "Anna Weber"


def test_quotes_colon_after_subject_without_speech_verb(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("Anna Weber ist sich sicher: „Das wird nichts mehr.“"))
    assert (quote.speaker, quote.cue) == ("Anna Weber", ":")


def test_quotes_colon_after_plain_noun_phrase_has_no_speaker(quotes_of: QuotesOf) -> None:
    assert _one(quotes_of("Sein Fazit fällt knapp aus: „Das wird nichts mehr.“")).speaker is None


def test_quotes_trailing_comma_inside_marks_is_dropped(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Wir bleiben hart,“ sagt Markus Söder."))
    assert (quote.quote, quote.speaker) == ("Wir bleiben hart", "Markus Söder")


@pytest.mark.parametrize(
    ("text", "speaker", "cue"),
    [
        (
            "Ministerpräsident Markus Söder (CSU) sagte am Dienstag: „Bayern steht zusammen.“",
            "Markus Söder",
            "sagte",
        ),
        ("„Die Lage ist ernst“, heißt es aus dem Innenministerium.", "Innenministerium", "heißt"),
        (
            "Nach Angaben der Polizei war der Fahrer „deutlich zu schnell unterwegs“.",
            "Polizei",
            "nach Angaben",
        ),
        (
            "Laut Polizeisprecher Stefan Sonntag wurde niemand verletzt. „Wir hatten Glück.“",
            "Stefan Sonntag",
            "laut",
        ),
    ],
)
def test_quotes_newsroom_patterns(quotes_of: QuotesOf, text: str, speaker: str, cue: str) -> None:
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.cue) == (speaker, cue)


def test_quotes_short_partial_quote_with_speech_verb(quotes_of: QuotesOf) -> None:
    text = "Die Grünen-Fraktionschefin Katharina Schulze nannte den Plan „populistisch und dumm“."
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Katharina Schulze", "Grünen-Fraktionschefin")


def test_quotes_terms_after_sprechen_von_are_not_quotations(quotes_of: QuotesOf) -> None:
    assert quotes_of("Er sprach von einer „Zeitenwende“ und von „großen Aufgaben“.") == []


def test_quotes_so_cue_followed_by_adverb(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Wir machen weiter wie bisher“, so Anna Weber weiter."))
    assert (quote.speaker, quote.cue) == ("Anna Weber", "so")


def test_quotes_so_as_adverb_is_not_a_cue(quotes_of: QuotesOf) -> None:
    text = "Die Stadt plant „einen großen Umbau der gesamten Innenstadt“, so dass alle profitieren."
    assert _one(quotes_of(text)).speaker is None


def test_quotes_pronoun_gender_follows_the_role(quotes_of: QuotesOf) -> None:
    text = (
        "Das sei schwierig, sagt Politikwissenschaftlerin Anna Weber. "
        "Das sehe er anders, sagt Militärexperte Jonas Klein. "
        "„Wir müssen abwarten“, betont sie."
    )
    assert _one(quotes_of(text)).speaker == "Anna Weber"


def test_quotes_name_in_apposition_before_the_verb(quotes_of: QuotesOf) -> None:
    text = "Der Präsident des Bauernverbands, Günther Felßner, sagte: „Wir sind enttäuscht.“"
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Günther Felßner", "Präsident")


def test_quotes_organisation_as_subject_before_colon(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("Auch die Opposition übt Kritik: „Das ist ein schlechter Tag.“"))
    assert (quote.speaker, quote.speaker_type) == ("Opposition", "ORG")


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("„Es war eine schlimme Zeit“, sagt die Rentnerin.", "Rentnerin"),
        ("„Ich habe nichts gesehen“, sagt der 63-Jährige.", "63-Jährige"),
        ("„Wir prüfen das“, sagte der Zeitung ein Sprecher.", "Sprecher"),
    ],
)
def test_quotes_unnamed_common_noun_speakers(quotes_of: QuotesOf, text: str, speaker: str) -> None:
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_type) == (speaker, None)


def test_quotes_possessive_before_role(quotes_of: QuotesOf) -> None:
    text = "Deren Fraktionschefin Katharina Schulze sagte: „Das ist ein Skandal.“"
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Katharina Schulze", "Fraktionschefin")


def test_quotes_sentence_subject_noun_is_not_a_name(quotes_of: QuotesOf) -> None:
    text = "Das Gesetz betont die Verantwortung. „Wir bleiben dabei.“"
    assert _one(quotes_of(text)).speaker != "Gesetz"


def test_quotes_multi_paragraph_quotation_german_style(quotes_of: QuotesOf) -> None:
    text = (
        "„Wir haben in diesem Jahr so viele Einsätze gehabt wie noch nie zuvor.\n\n"
        "„Und die Zahl steigt weiter“, sagt Feuerwehrkommandant Max Huber."
    )
    quotes = quotes_of(text)
    assert [q.quote for q in quotes] == [
        "Wir haben in diesem Jahr so viele Einsätze gehabt wie noch nie zuvor.",
        "Und die Zahl steigt weiter",
    ]
    assert [q.speaker for q in quotes] == ["Max Huber", "Max Huber"]


def test_quotes_role_makes_a_person_despite_model_label(quotes_of: QuotesOf) -> None:
    text = "„Wir geben nicht auf“, sagte Präsident Wolodymyr Selenskyj."
    quote = _one(quotes_of(text, [("Wolodymyr Selenskyj", "LOC")]))
    assert (quote.speaker, quote.speaker_type, quote.speaker_role) == (
        "Wolodymyr Selenskyj",
        "PER",
        "Präsident",
    )


def test_quotes_cue_in_parentheses(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Das lassen wir uns nicht gefallen“ (so Anna Weber)."))
    assert (quote.speaker, quote.cue) == ("Anna Weber", "so")


def test_quotes_title_with_question_mark_is_not_a_quotation(quotes_of: QuotesOf) -> None:
    assert quotes_of("Die Sendung „Wer wird Millionär?“ läuft heute Abend.") == []
