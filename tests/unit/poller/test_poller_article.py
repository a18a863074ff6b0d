"""HTML -> ExtractedPage on BR24-like pages: structured data first, furniture never in the body."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.support.pages import PageSpec, render_article_page, shared_article_spec
from tests.support.shared import seed_gold

from newsstream.errors import ExtractionError
from newsstream.poller.article import extract_article


def test_article_shared_page_metadata_from_json_ld() -> None:
    spec = shared_article_spec("https://www.br.de/nachrichten/deutschland-welt/putin,UDf3x2a")
    page = extract_article(render_article_page(spec), spec.url + "?utm_source=rss")
    assert page.title == seed_gold()["title"]
    assert page.teaser == seed_gold()["teaser"]
    assert page.canonical_url == spec.url
    assert page.authors == ["Christian Sachs"]
    assert page.published_at == datetime(2024, 5, 29, 17, 4, tzinfo=UTC)
    assert page.categories == ["Deutschland & Welt", "Ukraine", "Russland"]
    assert page.language == "de"


def test_article_shared_page_body_has_no_furniture_and_all_quotes() -> None:
    spec = shared_article_spec()
    page = extract_article(render_article_page(spec), spec.url)
    for line in seed_gold()["boilerplate"]["lines"]:
        assert line not in page.body, line
    assert "Newsletter" not in page.body and "Impressum" not in page.body
    for quote in seed_gold()["quotes"]:
        assert quote["quote"] in page.body
    assert (
        seed_gold()["title"] not in page.paragraphs and seed_gold()["teaser"] not in page.paragraphs
    )
    assert "Türkei oder China als Sicherheitsgarant für Frieden?" in page.paragraphs


def test_article_without_json_ld_falls_back_to_opengraph() -> None:
    spec = PageSpec(
        title="Ohne JSON-LD",
        teaser="Ein Teaser aus OpenGraph.",
        paragraphs=["Ein Absatz, der lang genug ist, um als Text zu gelten."] * 2,
        json_ld=False,
    )
    page = extract_article(render_article_page(spec), spec.url)
    assert page.title == "Ohne JSON-LD"
    assert page.teaser == "Ein Teaser aus OpenGraph."
    assert page.authors == ["Kilian Neuwert"]
    assert page.published_at is not None


def test_article_broken_json_ld_is_skipped() -> None:
    spec = PageSpec(title="Kaputt", teaser="T.", paragraphs=["Ein Absatz mit genug Text darin."])
    html = render_article_page(spec).replace('"@context"', '"@context" ,,,', 1)
    page = extract_article(html, spec.url)
    assert page.title == "Kaputt"


def test_article_iso_8859_1_bytes_keep_umlauts() -> None:
    spec = PageSpec(
        title="Grüße aus Würzburg",
        teaser="Schön.",
        paragraphs=["Die Bürgermeisterin begrüßt die Gäste in der Aula der Universität."],
        charset="iso-8859-1",
    )
    raw = render_article_page(spec).encode("iso-8859-1", "xmlcharrefreplace")
    page = extract_article(raw, spec.url)
    assert page.title == "Grüße aus Würzburg"
    assert "Die Bürgermeisterin begrüßt die Gäste" in page.body


def test_article_relative_canonical_is_resolved() -> None:
    spec = PageSpec(title="Rel", teaser="T.", paragraphs=["Ein Absatz mit genug Text darin."])
    spec.url = "/nachrichten/bayern/rel,Abc"
    page = extract_article(render_article_page(spec), "https://www.br.de/x?y=1")
    assert page.canonical_url == "https://www.br.de/nachrichten/bayern/rel,Abc"


@pytest.mark.parametrize("html", ["", "   ", "<html><body><nav>Menü</nav></body></html>"])
def test_article_empty_or_textless_page_raises(html: str) -> None:
    with pytest.raises(ExtractionError):
        extract_article(html, "https://www.br.de/leer")


def test_article_furniture_inside_the_body_markup_is_still_removed() -> None:
    """A layout where captions, badges and promos sit in the article's own <p> elements."""
    real = [
        "Der Stadtrat hat am Abend den neuen Haushalt beschlossen, nach langer Debatte.",
        '"Wir investieren in Schulen und Radwege", sagt Oberbürgermeisterin Eva Beispiel.',
        "## Opposition kündigt Widerstand an",
        "Die Opposition will gegen einzelne Posten vor Gericht ziehen [externer Link] und prüft.",
    ]
    furniture = [
        "Blick in den Sitzungssaal des Stadtrats",
        "Bildrechte: BR / Max Muster",
        "Per Mail sharen",
        "Artikel mit Audio-InhaltenAudiobeitrag",
        "Im Audio: Der Haushalt in drei Minuten erklärt",
        "Karte: Wo in der Stadt gebaut wird",
        "Jetzt den BR24 Newsletter abonnieren: Hier geht's zur Anmeldung!",
        "Das war die Stadtratswoche bei BR24.",
    ]
    spec = PageSpec(
        title="Haushalt beschlossen", teaser="Der Stadtrat hat entschieden.",
        paragraphs=furniture[:4] + real[:2] + furniture[4:6] + real[2:] + furniture[6:],
    )  # fmt: skip
    page = extract_article(render_article_page(spec), spec.url)
    assert page.paragraphs == [
        real[0], real[1], "Opposition kündigt Widerstand an",
        "Die Opposition will gegen einzelne Posten vor Gericht ziehen und prüft.",
    ]  # fmt: skip


_STRUCTURED_PAGES = [
    # our own text: lists, a quotation block, a line break, nested and inline tags, a table
    "<html><body><article><h1>Titel</h1><p>Erster Absatz mit <b>fettem</b> und <i>kursivem</i> "
    "Text, lang genug, damit er zählt, und mit noch mehr Wörtern darin.</p><ul><li>Punkt eins "
    "ist ein langer Listenpunkt mit Text</li><li>Punkt zwei ebenso, mit viel Text darin</li></ul>"
    "<blockquote>„Ein Zitat“, sagte sie in einem langen Satz mit vielen Wörtern.</blockquote>"
    "<p>Zweiter Absatz<br>mit Umbruch und weiteren Wörtern, die den Text verlängern.</p>"
    "<p><p>Verschachtelter Absatz, ebenfalls mit genügend Wörtern für die Extraktion.</p></p>"
    "<table><tr><td>Zelle</td></tr></table><h2>Zwischentitel</h2><p>Dritter Absatz mit noch "
    "mehr Text, damit der Extraktor ihn nimmt und nicht verwirft.</p></article></body></html>",
    "<html><body><div id='content'><p>Nur ein Absatz ohne article-Element, aber mit genug Text "
    "für die Extraktion von Inhalten und noch mehr Text.</p><p>Und ein zweiter   Absatz mit  "
    "doppelten Leerzeichen\u200b und einem unsichtbaren Zeichen, auch lang genug.</p></div>"
    "<footer>Impressum</footer></body></html>",
]


@pytest.mark.parametrize("precision", [True, False])
@pytest.mark.parametrize("page", range(len(_STRUCTURED_PAGES) + 1))
def test_article_blocks_are_those_of_trafilaturas_xml_output(page: int, precision: bool) -> None:
    """The page's blocks are read from trafilatura's document tree, after the clean-up its XML
    output applies, instead of from that output (which also computed an unused fingerprint
    and was serialised and parsed back: a third of the call). The blocks must stay exactly
    those of the XML output - this catches a trafilatura release that changes its clean-up."""
    import lxml.etree  # type: ignore[import-untyped]
    import trafilatura

    from newsstream.poller.article import _trafilatura_paragraphs

    spec = shared_article_spec()
    html = render_article_page(spec) if page == len(_STRUCTURED_PAGES) else _STRUCTURED_PAGES[page]
    xml = trafilatura.extract(
        html, url=spec.url, favor_precision=precision, output_format="xml",
        include_comments=False, include_tables=False, include_images=False, include_links=False,
        include_formatting=False, with_metadata=False, deduplicate=False,
    )  # fmt: skip
    assert xml
    main = lxml.etree.fromstring(xml.encode()).find("main")
    expected = [
        " ".join(item.itertext())
        for el in main
        for item in (el.findall("item") if el.tag == "list" else [el])
    ]
    assert len(expected) >= 2
    assert _trafilatura_paragraphs(html, spec.url, precision=precision) == expected
