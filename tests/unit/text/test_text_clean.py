"""Page-furniture removal: the shared BR24 article, and unseen variants of the same furniture."""

from __future__ import annotations

import pytest
from tests.support.shared import seed_gold, seed_text

from newsstream.text.clean import clean_paragraphs, clean_text, furniture_reason, normalize


def test_clean_text_removes_every_gold_boilerplate_line() -> None:
    cleaned = clean_text(seed_text())
    for line in seed_gold()["boilerplate"]["lines"]:
        assert line not in cleaned.body, line
    assert "Newsletter" not in cleaned.body
    assert "Hier geht’s zur Anmeldung" not in cleaned.body


def test_clean_text_keeps_all_quotes_verbatim() -> None:
    cleaned = clean_text(seed_text())
    assert len(seed_gold()["quotes"]) == 8
    for quote in seed_gold()["quotes"]:
        assert quote["quote"] in cleaned.body, quote["quote"]


def test_clean_text_finds_title_and_teaser() -> None:
    cleaned = clean_text(seed_text())
    assert cleaned.title == seed_gold()["title"]
    assert cleaned.teaser == seed_gold()["teaser"]
    assert seed_gold()["title"] not in cleaned.body  # printed twice on the page, never in the body


def test_clean_text_keeps_every_real_paragraph() -> None:
    furniture = set(seed_gold()["boilerplate"]["lines"]) | {
        seed_gold()["title"],
        seed_gold()["teaser"],
    }
    body = clean_text(seed_text()).body.split("\n\n")
    expected = [
        normalize(block.replace(" [externer Link, möglicherweise Bezahl-Angebot]", "")
                  .replace(" [externer Link]", ""))
        for block in seed_text().split("\n\n")
        if block.strip() and block.strip() not in furniture and "\n" not in block.strip()
        and not block.startswith('"Hier ist Bayern"')
    ]  # fmt: skip
    assert body == expected


def test_clean_text_reports_what_it_removed() -> None:
    removed = clean_text(seed_text()).removed
    assert "Per Mail sharen" in removed
    assert "[externer Link]" in removed


@pytest.mark.parametrize(
    "line",
    [
        "Bildrechte: BR / Hans Beispiel",
        "Foto: dpa-Bildfunk / Sven Hoppe",
        "© picture alliance / SZ Photo",
        "Auf Facebook teilen",
        "Per WhatsApp sharen",
        "Link kopieren",
        "Artikel mit Audio-Inhalten",
        "Audiobeitrag",
        "Artikel mit Bild-InhaltenBildergalerie",
        "Im Audio: Was die Wahl für Franken bedeutet",
        "Über dieses Thema berichtet: BR24 Rundschau am 12.03.2025 um 18:30 Uhr.",
        "Grafik: So hat Bayern gewählt",
        "Mehr zum Thema: Landtagswahl 2023",
        "Das war der Wochenrückblick von BR24.",
        "Jetzt den BR24 Newsletter abonnieren und nichts verpassen!",
        "Laden Sie die BR24 App herunter: Nachrichten aus Bayern auf Ihrem Handy.",
        "Police officers stand guard outside the parliament building in Berlin on Monday.",
    ],
)
def test_clean_furniture_reason_recognises_unseen_furniture(line: str) -> None:
    assert furniture_reason(line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "Das ist die größte Firma in Bayern.",
        'Video-Überwachung an Bahnhöfen ist umstritten, sagt der Datenschützer. "Wir prüfen das."',
        'Putin "möchte Ruhe an der Front"',
        "Die Karte der Wahlkreise wurde neu gezeichnet, weil die Bevölkerung gewachsen ist.",
        "Er teilte mit, dass die Sitzung verschoben wird.",
        '"Das ist nicht der Moment, wo man eigentlich nach Verhandlungen ruft", sagt Mangott.',
    ],
)
def test_clean_furniture_reason_keeps_article_text(line: str) -> None:
    assert furniture_reason(line) is None


def test_clean_paragraphs_drops_caption_above_credit_and_strips_markers() -> None:
    paragraphs = [
        "Ein Demonstrant hält ein Schild in die Höhe",
        "Bildrechte: BR / Max Muster",
        "Der Landtag debattiert heute über das Gesetz [externer Link] und stimmt ab.",
        "Der Landtag debattiert heute über das Gesetz [externer Link] und stimmt ab.",
    ]
    assert clean_paragraphs(paragraphs) == [
        "Der Landtag debattiert heute über das Gesetz und stimmt ab."
    ]


def test_clean_normalize_keeps_quote_characters() -> None:
    text = '„Wir\u00a0schaffen das“, sagte sie.\u200b  "Ja" – ‚nein‘'
    assert normalize(text) == '„Wir schaffen das“, sagte sie. "Ja" – ‚nein‘'
