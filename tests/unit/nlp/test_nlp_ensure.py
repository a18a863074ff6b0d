"""``model ensure``: the installed / downloadable / trainable / none decision, without network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsstream.errors import ModelNotFoundError
from newsstream.nlp import ensure
from newsstream.nlp.profiles import PROFILES, recipe_id
from newsstream.settings import Settings


def _probes(
    resolved: str | None = None, downloadable: bool = False, data: Path | None = None
) -> ensure.Probes:
    return ensure.Probes(lambda: resolved, lambda: downloadable, lambda: data)


@pytest.mark.parametrize(
    ("probes", "decision"),
    [
        (_probes(resolved="de_core_news_lg", downloadable=True, data=Path("/d")), "installed"),
        (_probes(downloadable=True, data=Path("/d")), "downloadable"),
        (_probes(data=Path("/d")), "trainable"),
        (_probes(), "none"),
    ],
)
def test_ensure_plan_prefers_installed_then_download_then_training(
    probes: ensure.Probes, decision: str
) -> None:
    assert ensure.plan(probes) == decision


def test_ensure_installed_returns_it_without_training(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path)
    assert ensure.ensure_model(settings, probes=_probes(resolved="/m")) == "/m"


def test_ensure_downloads_the_official_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []
    monkeypatch.setattr(ensure, "install_official", lambda url=None: calls.append(url) or True)
    result = ensure.ensure_model(Settings(cache_dir=tmp_path), probes=_probes(downloadable=True))
    assert result == "de_core_news_lg"
    assert calls == [None]


def test_ensure_trains_when_offline_with_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsstream.nlp import train

    seen: dict[str, object] = {}

    class Result:
        path = tmp_path / "models" / "de_newsstream"

    def fake_train(out: Path, data: Path, profile: str, *, settings: Settings) -> Result:
        seen.update(out=out, data=data, profile=profile)
        return Result()

    monkeypatch.setattr(train, "train_model", fake_train)
    settings = Settings(cache_dir=tmp_path)
    path = ensure.ensure_model(settings, "full", probes=_probes(data=tmp_path / "ner"))
    assert path == str(Result.path)
    assert seen == {"out": Result.path, "data": tmp_path / "ner", "profile": "full"}


def test_ensure_none_names_both_ways_with_commands(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        ensure.ensure_model(Settings(cache_dir=tmp_path), probes=_probes())
    text = str(info.value)
    assert "python -m spacy download de_core_news_lg" in text
    assert "NEWSSTREAM_NER_DATA_DIR=/path/to/ner make model" in text
    assert "NS030" in text


def test_ensure_probe_fails_fast_without_network() -> None:
    # A reserved, never-resolving name: the probe answers no instead of raising or hanging.
    assert ensure.url_reachable("https://newsstream.invalid/x.whl", timeout_s=2) is False


def test_ensure_wheel_url_follows_spacy_minor_version() -> None:
    url = ensure.official_wheel_url("3.8.7")
    assert url.endswith("/de_core_news_lg-3.8.0/de_core_news_lg-3.8.0-py3-none-any.whl")


def test_ensure_data_dir_from_setting_or_working_directory(tmp_path: Path) -> None:
    ner = tmp_path / "shared" / "data" / "ner"
    (ner / "germeval2014").mkdir(parents=True)
    checkout = tmp_path / "repo" / "services"
    checkout.mkdir(parents=True)
    assert ensure.find_ner_data(Settings(ner_data_dir=None), cwd=checkout) == ner
    assert ensure.find_ner_data(Settings(ner_data_dir=ner), cwd=Path("/")) == ner
    assert ensure.find_ner_data(Settings(ner_data_dir=tmp_path / "none"), cwd=checkout) is None


def test_ensure_stale_model_is_replaced_only_when_something_better_can_be_had() -> None:
    def stale(downloadable: bool = False, data: Path | None = None) -> ensure.Probes:
        return ensure.Probes(lambda: "/old", lambda: downloadable, lambda: data, lambda: False)

    assert ensure.plan(stale(data=Path("/d"))) == "trainable"
    assert ensure.plan(stale(downloadable=True)) == "downloadable"
    assert ensure.plan(stale()) == "installed"  # better an older model than none


def _cached_model(cache: Path, recipe: str | None) -> None:
    path = cache / "models" / "de_newsstream"
    path.mkdir(parents=True)
    info = {} if recipe is None else {"recipe": recipe}
    meta = {"lang": "de", "name": "newsstream", "newsstream": info}
    (path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (path / "config.cfg").write_text("", encoding="utf-8")


@pytest.mark.parametrize(
    ("recipe", "current"),
    [(None, False), ("0123456789ab", False), (recipe_id(PROFILES["fast"]), True),
     (recipe_id(PROFILES["full"]), True)],
)  # fmt: skip
def test_ensure_cached_model_is_current_when_a_profile_has_its_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recipe: str | None, current: bool
) -> None:
    from newsstream.nlp import model

    monkeypatch.setattr(model, "OFFICIAL_MODELS", ("de_core_news_absent_for_test",))
    _cached_model(tmp_path, recipe)
    assert ensure.is_current(Settings(spacy_model=None, cache_dir=tmp_path)) is current
