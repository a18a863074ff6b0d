from __future__ import annotations

import pytest

from newsstream.messages import (
    Article,
    DeadLetter,
    article_id_for,
    canonicalize_url,
    content_hash_for,
)
from newsstream.settings import Settings


def test_settings_reads_comma_separated_feeds_from_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSSTREAM_FEEDS", "https://a.example/rss, https://b.example/atom")
    monkeypatch.setenv("NEWSSTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:19092")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.feeds == ["https://a.example/rss", "https://b.example/atom"]
    assert settings.kafka_port == 19092
    assert settings.effective_allowed_hosts == {"a.example", "b.example"}


def test_settings_explicit_allowed_hosts_win_over_feed_hosts() -> None:
    settings = Settings(feeds=["https://a.example/rss"], allowed_hosts=["cdn.example"])
    assert settings.effective_allowed_hosts == {"cdn.example"}


def test_settings_secret_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSSTREAM_ES_PASSWORD", "hunter2")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "hunter2" not in repr(settings)
    assert settings.es_password is not None
    assert settings.es_password.get_secret_value() == "hunter2"


def test_messages_canonical_url_drops_tracking_fragment_and_default_port() -> None:
    a = canonicalize_url("HTTPS://www.BR.de:443/nachrichten/x?utm_source=rss&b=2&a=1#top")
    assert a == "https://www.br.de/nachrichten/x?a=1&b=2"


def test_messages_article_id_is_stable_across_url_spellings() -> None:
    one = article_id_for("https://www.br.de/nachrichten/x?utm_medium=feed")
    two = article_id_for("https://www.br.de/nachrichten/x#comments")
    assert one == two
    assert one != article_id_for("https://www.br.de/nachrichten/y")


def test_messages_content_hash_ignores_surrounding_whitespace_only() -> None:
    assert content_hash_for("T", "Body ") == content_hash_for(" T", "Body")
    assert content_hash_for("T", "Body") != content_hash_for("T", "Body!")


def test_messages_article_roundtrips_through_json() -> None:
    article = Article(
        article_id="a1",
        revision=1,
        url="https://x.example/a",
        canonical_url="https://x.example/a",
        title="Titel",
        body="Text mit Umlauten: äöü",
        content_hash=content_hash_for("Titel", "Text mit Umlauten: äöü"),
    )
    again = Article.from_bytes(article.to_bytes())
    assert again == article
    assert "äöü".encode() in article.to_bytes()


def test_messages_dead_letter_keeps_original_bytes() -> None:
    payload = b"\xff\xfe not json"
    letter = DeadLetter.wrap(
        stage="extractor", error=ValueError("bad"), payload=payload, key=b"k", offset=7
    )
    again = DeadLetter.model_validate_json(letter.to_bytes())
    assert again.payload == payload
    assert again.error_type == "ValueError"
    assert again.offset == 7
