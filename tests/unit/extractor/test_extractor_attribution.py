"""Speaker attribution across sentences: pronouns, roles, reported speech, headings, lines.

Every text here is invented (names included); none is taken from the development set. The
rules run on a blank pipeline, so entities are given by hand where a model would find them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from spacy.language import Language
from tests.unit.extractor.conftest import make_doc

from newsstream.extractor.entities import extract_entities
from newsstream.extractor.quotes import find_quotes
from newsstream.messages import Quote

QuotesOf = Callable[..., list[Quote]]


def _speakers(quotes: list[Quote]) -> list[str | None]:
    return [q.speaker for q in quotes]


def _one(quotes: list[Quote]) -> Quote:
    assert len(quotes) == 1, [q.quote for q in quotes]
    return quotes[0]


# --- sentence-initial adverbs and conjunctions are never speakers -------------------------


@pytest.mark.parametrize(
    "opener", ["Außerdem", "Gleichzeitig", "Zudem", "Anschließend", "Immer wieder", "Dennoch"]
)
def test_attribution_adverb_before_verb_is_not_the_speaker(
    quotes_of: QuotesOf, opener: str
) -> None:
    text = (
        "Bürgermeister Tobias Lindl lobte die Helfer. "
        f"{opener} betonte er: „Wir lassen niemanden allein.“"
    )
    assert _one(quotes_of(text)).speaker == "Tobias Lindl"


def test_attribution_adverb_with_inverted_cue_after_quote(quotes_of: QuotesOf) -> None:
    text = "Tobias Lindl war zufrieden. „Das Fest war ein Erfolg“, sagte er danach."
    assert _one(quotes_of(text)).speaker == "Tobias Lindl"


def test_attribution_dictionary_lower_case_word_is_no_name(blank_nlp: Language) -> None:
    text = "Kurzerhand sagte Weber: „Wir verschieben die Sitzung.“"
    doc = make_doc(blank_nlp, text)
    doc[0].set_morph("Lt=Low|Zipf=4")  # what the trained pipeline's lexicon feature says
    assert _one(find_quotes(doc, extract_entities(doc))).speaker == "Weber"


def test_attribution_dictionary_common_noun_does_not_start_a_name(blank_nlp: Language) -> None:
    text = "Verhandlungen über Waffenruhe: „Erst wenn beide erschöpft sind“\n\nDas sagt niemand."
    doc = make_doc(blank_nlp, text)
    doc[2].set_morph("Lt=Sub|Zipf=3")
    assert find_quotes(doc, extract_entities(doc)) == []


# --- pronouns across sentences and paragraphs ---------------------------------------------


def test_attribution_pronoun_gender_picks_the_fitting_person(quotes_of: QuotesOf) -> None:
    text = (
        "Petra Sommer und Jonas Brandt stellten am Montag den Plan vor. Die Stadt zahlt mit.\n\n"
        "„Das wird ein gutes Jahr“, sagte sie. „Wir fangen im Mai an“, ergänzte er."
    )
    assert _speakers(quotes_of(text)) == ["Petra Sommer", "Jonas Brandt"]


def test_attribution_pronoun_skips_the_object_of_its_own_clause(quotes_of: QuotesOf) -> None:
    text = (
        "Trotz der Verspätung spricht Konrad Auer fast eine Stunde lang. "
        "Er kritisiert die Verwaltung. An Lukas Berger appelliert er, das Projekt zu retten. "
        "„Gib dir einen Ruck und rede mit uns.“"
    )
    assert _one(quotes_of(text)).speaker == "Konrad Auer"


def test_attribution_pronoun_after_a_new_person_is_introduced(quotes_of: QuotesOf) -> None:
    text = (
        "„Wir sind bereit“, sagte Anna Keller.\n\n"
        "Dann trat Markus Wendler ans Pult. Er sprach lange. „Wir sind es nicht“, sagte er."
    )
    assert _speakers(quotes_of(text)) == ["Anna Keller", "Markus Wendler"]


def test_attribution_pronoun_in_the_next_paragraph(quotes_of: QuotesOf) -> None:
    text = (
        "Die Ärztin Miriam Falk leitet die Station seit zehn Jahren.\n\n"
        "„Wir arbeiten am Limit“, sagt sie."
    )
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Miriam Falk", "Ärztin")


def test_attribution_age_description_refers_back(quotes_of: QuotesOf) -> None:
    text = (
        "Erwin Haller wohnt seit 40 Jahren im Dorf. Die Flut kam nachts.\n\n"
        "„So etwas habe ich noch nie erlebt“, sagt der 63-Jährige."
    )
    assert _one(quotes_of(text)).speaker == "Erwin Haller"


def test_attribution_female_description_skips_a_man(quotes_of: QuotesOf) -> None:
    text = (
        "Erwin Haller und Sabine Roth führen den Hof. Haller kümmert sich um die Tiere.\n\n"
        "„Wir machen weiter“, sagt die 58-Jährige."
    )
    assert _one(quotes_of(text)).speaker == "Sabine Roth"


def test_attribution_pronoun_without_fitting_person_stays_none(quotes_of: QuotesOf) -> None:
    text = "Anna Keller leitet das Amt. „Wir sind bereit“, sagte er."
    assert _one(quotes_of(text)).speaker is None


# --- roles -------------------------------------------------------------------------------


def test_attribution_role_phrase_resolves_to_its_holder(quotes_of: QuotesOf) -> None:
    text = (
        "Umweltministerin Petra Sommer besuchte das Klärwerk in Adorf.\n\n"
        "„Hier wird gute Arbeit geleistet“, sagte die Ministerin."
    )
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_type) == ("Petra Sommer", "PER")


def test_attribution_role_given_in_an_apposition(quotes_of: QuotesOf) -> None:
    text = (
        "Das bestätigt Jens Albrecht, Sprecher der Stadtwerke.\n\n"
        "„Die Leitung ist dicht“, so der Sprecher."
    )
    quote = _one(quotes_of(text, [("Jens Albrecht", "PER")]))
    assert (quote.speaker, quote.speaker_role) == ("Jens Albrecht", "Sprecher")


def test_attribution_role_in_genitive_resolves_a_heading(quotes_of: QuotesOf) -> None:
    text = (
        "Soziologin: „Die Stadt verliert ihre Mitte“\n\n"
        "Das sieht auch die Arbeit der Tübinger Soziologin Clara Vogt so. "
        "„Die Stadt verliert ihre Mitte“, sagte sie."
    )
    quotes = quotes_of(text, [("Clara Vogt", "PER")])
    assert _speakers(quotes) == ["Clara Vogt", "Clara Vogt"]


def test_attribution_role_held_by_two_people_uses_the_recent_one(quotes_of: QuotesOf) -> None:
    text = (
        "Landrat Georg Brenner aus Adorf und Landrat Kurt Ebner aus Bestdorf trafen sich.\n\n"
        "Kurt Ebner sprach zuerst. „Wir teilen uns die Kosten“, sagte der Landrat."
    )
    assert _one(quotes_of(text)).speaker == "Kurt Ebner"


def test_attribution_canonical_name_is_the_fullest_form(quotes_of: QuotesOf) -> None:
    text = (
        "Die Bürgermeisterin Dr. Ilse Marie Kranz eröffnete die Brücke.\n\n"
        "„Endlich ist sie fertig“, sagte Kranz."
    )
    assert _one(quotes_of(text)).speaker == "Dr. Ilse Marie Kranz"


# --- reported speech ---------------------------------------------------------------------


def test_attribution_quotation_continuing_reported_speech(quotes_of: QuotesOf) -> None:
    text = (
        "Die Kosten seien zu hoch, sagte Kämmerer Paul Ruf. Man habe zu spät gehandelt. "
        "Nun müsse die Stadt „jeden Euro zweimal umdrehen“."
    )
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.cue) == ("Paul Ruf", None)


def test_attribution_reported_speech_after_an_introduction(quotes_of: QuotesOf) -> None:
    text = (
        "Theresa Blum, Vorsitzende des Vereins, gibt sich gelassen. "
        "Der Umzug sei „eine Chance für alle Mitglieder“."
    )
    assert _one(quotes_of(text, [("Theresa Blum", "PER")])).speaker == "Theresa Blum"


def test_attribution_reported_pronoun_subject(quotes_of: QuotesOf) -> None:
    text = "Jonas Brandt war lange Lehrer.\n\nEr habe „jeden Tag gern unterrichtet“."
    assert _one(quotes_of(text)).speaker == "Jonas Brandt"


def test_attribution_quotation_after_reported_passage_in_next_paragraph(
    quotes_of: QuotesOf,
) -> None:
    text = (
        "Anna Keller, die Vorsitzende der Initiative, gibt sich kämpferisch. "
        "Die Stadt habe nichts verstanden.\n\n"
        "„Wir sammeln weiter Unterschriften, bis der Rat einlenkt.“"
    )
    assert _one(quotes_of(text, [("Anna Keller", "PER")])).speaker == "Anna Keller"


def test_attribution_indicative_sentence_does_not_carry_reported_speech(
    quotes_of: QuotesOf,
) -> None:
    text = "Anna Keller ist Vorsitzende. Die Stadt hat gebaut. Der Rat tagt. „Das ist gut.“"
    assert _one(quotes_of(text)).speaker is None


# --- headings ----------------------------------------------------------------------------


def test_attribution_heading_with_speaker_and_colon(quotes_of: QuotesOf) -> None:
    text = (
        "Brandt zur Schulreform: „Wir brauchen mehr Zeit“\n\n"
        "Der Lehrer Jonas Brandt hält die Reform für überstürzt."
    )
    quote = _one(quotes_of(text))
    assert (quote.quote, quote.speaker) == ("Wir brauchen mehr Zeit", "Jonas Brandt")


def test_attribution_ticker_line_with_time_stamp(quotes_of: QuotesOf) -> None:
    text = "14.05 Uhr – Ökonomin: „Die Preise steigen weiter“\n\nDas sagt Lea Hahn, Ökonomin."
    assert _one(quotes_of(text, [("Lea Hahn", "PER")])).speaker == "Lea Hahn"


def test_attribution_subheading_quotation_from_the_paragraph_below(quotes_of: QuotesOf) -> None:
    text = (
        "„Der Wald braucht Jahrzehnte“\n\n"
        "Förster Uwe Kron steht zwischen den Stümpfen. Die Schäden sind groß, sagt Kron."
    )
    quote = _one(quotes_of(text))
    assert (quote.quote, quote.speaker, quote.cue) == (
        "Der Wald braucht Jahrzehnte",
        "Uwe Kron",
        None,
    )


def test_attribution_subheading_abbreviating_a_quotation_is_not_counted(
    quotes_of: QuotesOf,
) -> None:
    text = (
        "„Der Wald braucht Jahrzehnte“\n\n"
        "„Der Wald braucht jetzt viele Jahrzehnte Ruhe“, sagt Förster Uwe Kron."
    )
    assert [q.quote for q in quotes_of(text)] == ["Der Wald braucht jetzt viele Jahrzehnte Ruhe"]


def test_attribution_topic_heading_with_colon_is_not_a_quotation(quotes_of: QuotesOf) -> None:
    text = "Streit um Parkplätze: „Erst wenn alle zustimmen“\n\nDer Rat vertagte sich."
    assert quotes_of(text) == []


# --- broadcast-style attribution lines and interviews -------------------------------------


def test_attribution_line_after_the_quotation(quotes_of: QuotesOf) -> None:
    text = (
        "Die Feuerwehr war mit 80 Kräften im Einsatz.\n\n"
        "„Das Wasser kam schneller, als wir pumpen konnten.“\n\n"
        "Karl Seidl, Kommandant der Feuerwehr Adorf"
    )
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Karl Seidl", "Kommandant")


def test_attribution_line_with_role_first(quotes_of: QuotesOf) -> None:
    text = (
        "„Wir haben die Lage im Griff und bitten um Geduld.“\n\n"
        "Bürgermeisterin von Adorf, Ilse Kranz (SPD)"
    )
    assert _one(quotes_of(text)).speaker == "Ilse Kranz"


def test_attribution_verbless_broadcast_introduction(quotes_of: QuotesOf) -> None:
    text = "Karl Seidl, Kommandant der Feuerwehr, am Abend im Radio: „Wir bleiben vor Ort.“"
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Karl Seidl", "Kommandant")


def test_attribution_interview_question_by_outlet_answer_by_guest(quotes_of: QuotesOf) -> None:
    text = (
        "Die Biologin Clara Vogt erforscht seit Jahren die Bienen.\n\n"
        "SWR: „Wie geht es den Bienen in diesem Jahr?“\n\n"
        "Vogt: „Besser als befürchtet, aber nicht gut.“\n\n"
        "SWR: „Was kann jeder tun?“\n\n"
        "Vogt: „Weniger mähen.“"
    )
    quotes = quotes_of(text, [("SWR", "ORG"), ("Clara Vogt", "PER")])
    assert _speakers(quotes) == ["SWR", "Clara Vogt", "SWR", "Clara Vogt"]
    assert [q.speaker_type for q in quotes] == ["ORG", "PER", "ORG", "PER"]


# --- organisations and several speakers --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Die Polizei teilte mit: „Der Fahrer ist leicht verletzt.“", "Polizei"),
        (
            "„Wir ermitteln in alle Richtungen“, erklärte die Staatsanwaltschaft.",
            "Staatsanwaltschaft",
        ),
        (
            "Auf die Frage nach dem Zeitplan wurde aus der Stadtratsfraktion entgegnet: "
            "„Wir haben keinen.“",
            "Stadtratsfraktion",
        ),
    ],
)
def test_attribution_organisations_as_speakers(
    quotes_of: QuotesOf, text: str, speaker: str
) -> None:
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_type) == (speaker, "ORG")


def test_attribution_several_speakers_alternating(quotes_of: QuotesOf) -> None:
    text = (
        "Im Gemeinderat stritten Bürgermeister Tobias Lindl und Rätin Sabine Roth.\n\n"
        "„Die Straße wird gebaut“, sagte Lindl. „Nicht mit uns“, entgegnete Roth.\n\n"
        "„Dann stimmen wir ab“, sagte er. Sie lachte. „Gerne.“"
    )
    assert _speakers(quotes_of(text)) == [
        "Tobias Lindl",
        "Sabine Roth",
        "Tobias Lindl",
        "Sabine Roth",
    ]


# --- cue shapes --------------------------------------------------------------------------


def test_attribution_inverted_non_speech_verb_after_quotation(quotes_of: QuotesOf) -> None:
    quote = _one(quotes_of("„Das schaffen wir bis Juni“, ist sich Anna Keller sicher."))
    assert (quote.speaker, quote.cue) == ("Anna Keller", "ist")


def test_attribution_embedded_quotation_is_not_inverted(quotes_of: QuotesOf) -> None:
    text = (
        "Auf die Kritik von Journalistin Eva Roth, „Sie haben das Geld verschwendet!“, "
        "verweist der Kämmerer auf den Haushalt."
    )
    assert _one(quotes_of(text, [("Eva Roth", "PER")])).speaker == "Eva Roth"


def test_attribution_second_verb_shares_the_subject(quotes_of: QuotesOf) -> None:
    text = "Der Vorsitzende des Vereins, Paul Ruf, zog Bilanz und sagte: „Es war ein gutes Jahr.“"
    assert _one(quotes_of(text)).speaker == "Paul Ruf"


def test_attribution_participle_cue_with_auxiliary(quotes_of: QuotesOf) -> None:
    text = "Anna Keller, Chefin der Bäckerei, hat am Abend betont: „Wir bleiben im Ort.“"
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Anna Keller", "Chefin")


def test_attribution_colon_clause_after_a_verb_names_the_speaker(quotes_of: QuotesOf) -> None:
    text = "Dann gibt sich Keller versöhnlich: „Wir finden eine Lösung.“"
    assert _one(quotes_of(text)).speaker == "Keller"


# --- guards: nobody rather than the wrong person -------------------------------------------


def test_attribution_relative_clause_between_subject_and_verb(quotes_of: QuotesOf) -> None:
    text = (
        "„Wir warten ab“, sagte Laura Stein.\n\n"
        "Eine Anwohnerin, die ihren Namen nicht nennen will, sagt: „Ich habe Angst.“"
    )
    assert _speakers(quotes_of(text)) == ["Laura Stein", "Anwohnerin"]


def test_attribution_unreadable_speaker_is_not_carried_over(quotes_of: QuotesOf) -> None:
    text = "„Wir warten ab“, sagte Laura Stein. Was die 300 anderen sagen: „Wir gehen.“"
    assert _speakers(quotes_of(text)) == ["Laura Stein", None]


def test_attribution_agent_before_heisst_es(quotes_of: QuotesOf) -> None:
    text = "„Wir warten ab“, sagte Laura Stein. Von der Opposition hieß es: „Viel zu spät.“"
    quotes = quotes_of(text)
    assert [(q.speaker, q.speaker_type) for q in quotes][1] == ("Opposition", "ORG")


def test_attribution_possessive_speech_noun_before_colon(quotes_of: QuotesOf) -> None:
    text = "Die Ärztin Miriam Falk hat die Zahlen geprüft. Ihr Fazit: „Es wird besser.“"
    assert _one(quotes_of(text)).speaker == "Miriam Falk"


def test_attribution_unnamed_person_opening_the_sentence_before(quotes_of: QuotesOf) -> None:
    text = "„Wir warten ab“, sagte Laura Stein. Ein älterer Mann nickt. „Früher war das anders.“"
    assert _speakers(quotes_of(text)) == ["Laura Stein", "Mann"]


def test_attribution_group_is_no_antecedent_for_a_pronoun(quotes_of: QuotesOf) -> None:
    text = (
        "Landwirte berichten von Ausfällen. Bauer Josef Kramer steht auf seinem Feld. "
        "Er zeigt auf die Pflanzen. „So schlimm war es noch nie.“"
    )
    assert _one(quotes_of(text)).speaker == "Josef Kramer"


def test_attribution_pull_quote_with_name_in_brackets(quotes_of: QuotesOf) -> None:
    text = "Die Stadt spart.\n\n„Das ist das falsche Signal“ (Anna Weber, Bürgermeisterin)\n\nMehr."
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Anna Weber", "Bürgermeisterin")


def test_attribution_person_noun_before_a_name(quotes_of: QuotesOf) -> None:
    text = "Seine Kollegin Petra Veit ergänzte, man habe „keine andere Wahl mehr“."
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_role) == ("Petra Veit", "Kollegin")


def test_attribution_role_ending_a_sentence_is_not_the_next_persons_role(
    quotes_of: QuotesOf,
) -> None:
    text = (
        "Kanzler Olaf Brenner kritisierte die Pläne. Finanzminister Max Sauer hielt dagegen. "
        "„Wir haben das beschlossen“, betonte der FDP-Chef. Brenner reagierte gelassen."
    )
    assert _one(quotes_of(text)).speaker == "Max Sauer"


# --- without a model: names the rules know ---------------------------------------------------


def test_attribution_genitive_surname_keeps_the_person_in_view(quotes_of: QuotesOf) -> None:
    text = (
        "Parteichef Markus Brandl spricht heute. Die Halle ist voll. Es gibt Bier. "
        "Die Musik spielt. Der Saal wartet. Alle sind da. Brandls Reden sind gefürchtet. "
        "„Wir bleiben hart“, sagte er."
    )
    assert _one(quotes_of(text)).speaker == "Markus Brandl"


def test_attribution_particle_surname_of_a_rule_found_name(quotes_of: QuotesOf) -> None:
    text = "SPD-Chef Florian von Brandt kam spät. „Das ist nicht richtig“, sagte von Brandt."
    assert _one(quotes_of(text)).speaker == "Florian von Brandt"


def test_attribution_colon_after_reported_clause(quotes_of: QuotesOf) -> None:
    text = "Der Betriebsrat Paul Ruf sagte, die Wut sei groß: „Wir wurden kalt abserviert.“"
    assert _one(quotes_of(text)).speaker == "Paul Ruf"


def test_attribution_acronym_after_article_is_an_organisation(quotes_of: QuotesOf) -> None:
    text = "Nach Einschätzung des BLV sind die Lehrer „jetzt schon völlig überlastet“."
    quote = _one(quotes_of(text))
    assert (quote.speaker, quote.speaker_type, quote.cue) == ("BLV", "ORG", "nach Einschätzung")


def test_attribution_description_of_somebody_newly_introduced(quotes_of: QuotesOf) -> None:
    text = (
        "Die Vorsitzende Richterin Karin Lutz eröffnete den Prozess. „Wir verhandeln zügig.“\n\n"
        "Eine Geschädigte verfolgte den Prozess. „Ich habe alles verloren“, sagte die 67-Jährige."
    )
    assert _speakers(quotes_of(text)) == ["Karin Lutz", "Geschädigte"]


def test_attribution_plural_sie_is_not_a_woman(quotes_of: QuotesOf) -> None:
    text = (
        "Anna Berger leitet die Schule. Die Eltern sind wütend. „Wir wurden nicht gefragt“, "
        "sagen sie. „Ich hätte mir mehr Zeit gewünscht“, sagte sie."
    )
    assert _speakers(quotes_of(text)) == [None, "Anna Berger"]


def test_attribution_main_clause_before_a_subordinate_colon_clause(quotes_of: QuotesOf) -> None:
    text = (
        "Die Ärztin Miriam Falk arbeitet nachts. "
        "Sie weiß nicht, warum die Station so voll ist: „Wir haben keine Betten mehr.“"
    )
    assert _one(quotes_of(text)).speaker == "Miriam Falk"


def test_attribution_unnamed_speaker_in_its_fullest_form(quotes_of: QuotesOf) -> None:
    text = "„Wir suchen noch“, sagte ein Sprecher. Die Lage sei unklar, sagte der Polizeisprecher."
    assert _one(quotes_of(text)).speaker == "Polizeisprecher"


def test_attribution_document_quote_is_not_carried_to_a_person(quotes_of: QuotesOf) -> None:
    text = (
        "Ab Januar gilt das Gesetz von Ministerin Petra Sommer. "
        "Darin heißt es: „Jede Heizung muss umweltfreundlich sein.“"
    )
    assert _one(quotes_of(text)).speaker is None
