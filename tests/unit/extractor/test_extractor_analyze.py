"""analyze(): plain-text and HTML files through cleaning/extraction, then enrichment."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language
from tests.support.gold import GOLD_DIR, load_gold

from newsstream.errors import AnalyzeError
from newsstream.extractor.analyze import analyze, looks_like_html
from newsstream.settings import Settings

GOLD_TXT = GOLD_DIR / "br24-putin-waffenruhe.txt"


@pytest.mark.skipif(not GOLD_TXT.is_file(), reason="shared gold missing")
def test_analyze_plain_text_is_cleaned_and_split(blank_nlp: Language) -> None:
    result = analyze(str(GOLD_TXT), Settings(), nlp=blank_nlp)
    gold = load_gold("br24-putin-waffenruhe")
    assert result.title == gold["title"]
    assert result.teaser == gold["teaser"]
    assert "Bildrechte" not in result.body and "Per Mail sharen" not in result.body
    assert [q.quote for q in result.quotes] == [q["quote"] for q in gold["quotes"]]
    assert result.canonical_url.startswith("file://")


def test_analyze_html_file(tmp_path: Path, blank_nlp: Language) -> None:
    page = tmp_path / "a.html"
    paragraphs = "".join(
        f"<p>Absatz {i}: Die Lage in der Stadt bleibt angespannt, berichten Anwohner.</p>"
        for i in range(4)
    )
    page.write_text(
        "<!doctype html><html lang='de'><head><title>Streit um Gesetz</title>"
        "<link rel='canonical' href='https://www.br.de/nachrichten/gesetz'></head><body>"
        "<article><h1>Streit um Gesetz</h1>"
        f"{paragraphs}<p>„Wir bleiben bei unserer Linie und ändern nichts“, sagt "
        "CSU-Chef Markus Söder.</p></article></body></html>",
        encoding="utf-8",
    )
    result = analyze(str(page), Settings(), nlp=blank_nlp)
    assert "Streit um Gesetz" in result.title
    assert [(q.speaker, q.speaker_role) for q in result.quotes] == [("Markus Söder", "CSU-Chef")]


def test_analyze_missing_file_is_an_error(blank_nlp: Language) -> None:
    with pytest.raises(AnalyzeError):
        analyze("/nonexistent/file.txt", Settings(), nlp=blank_nlp)


def test_analyze_html_detection() -> None:
    assert looks_like_html("<!DOCTYPE html><html></html>")
    assert not looks_like_html("Putins Angebot: Warum verhandelt der Westen nicht?")
