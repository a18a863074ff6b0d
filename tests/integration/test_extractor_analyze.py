"""``analyze`` of a URL through the poller's SSRF-guarded client, against a local server."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from tests.support.feedserver import FeedServer
from tests.support.fixtures import local_settings

from newsstream.cli.analyze import handle
from newsstream.errors import FetchError
from newsstream.extractor.analyze import analyze

pytestmark = pytest.mark.integration

PARAGRAPHS = [
    "Im Landtag ist der Streit um das neue Gesetz am Dienstag weiter eskaliert. Die Opposition "
    "kündigte an, vor das Verfassungsgericht zu ziehen, falls die Regierung nicht einlenkt.",
    "Die Staatsregierung hält an ihrem Entwurf fest und verweist auf die lange Vorbereitung. "
    "Mehrere Verbände hatten in den vergangenen Wochen Änderungen gefordert.",
]


def test_analyze_url_json(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.add_article(
        "gesetz",
        "Streit um das Gesetz",
        PARAGRAPHS,
        quotes=[("Anna Weber", "Wir bleiben bei unserer Linie und ändern nichts")],
    )
    settings = local_settings(feed_server, tmp_path)
    url = feed_server.url_for("gesetz")
    result = analyze(url, settings)
    assert [(q.speaker, q.quote) for q in result.quotes] == [
        ("Anna Weber", "Wir bleiben bei unserer Linie und ändern nichts")
    ]
    assert handle(argparse.Namespace(source=url, json=True), settings) == 0
    printed = json.loads(capsys.readouterr().out)
    assert {"title", "body", "entities", "quotes"} <= set(printed)
    assert printed["quotes"][0]["speaker"] == "Anna Weber"


def test_analyze_url_private_address_blocked(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.add_article("x", "Titel", PARAGRAPHS)
    settings = local_settings(feed_server, tmp_path, allowed_private_networks=[])
    with pytest.raises(FetchError):
        analyze(feed_server.url_for("x"), settings)
