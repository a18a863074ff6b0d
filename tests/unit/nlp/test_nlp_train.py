"""A tiny training run produces a loadable de_newsstream pipeline (seconds, not minutes)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import spacy

from newsstream.cli import main as cli_main
from newsstream.nlp import ensure, model, train
from newsstream.nlp.train import train_model
from newsstream.settings import Settings

_SENTENCES = [
    [("Angela", "B-PER"), ("Merkel", "I-PER"), ("besucht", "O"), ("Paris", "B-LOC"), (".", "O")],
    [("Die", "O"), ("Nato", "B-ORG"), ("tagt", "O"), ("in", "O"), ("Brüssel", "B-LOC")],
    [("deutsche", "B-LOCderiv"), ("Firmen", "O"), ("wie", "O"), ("Siemens", "B-ORG")],
]


@pytest.fixture(autouse=True)
def fake_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    """A three-word cluster table instead of spacy-lookups-data's million forms."""
    from newsstream.nlp import clusters

    table = {"Angela": 12, "Merkel": 40, "Paris": 80}
    monkeypatch.setattr(clusters, "top_clusters", lambda max_words: table)


def _write_partial(path: Path) -> None:
    rows = ["# sent_id\ttoken\touter_label\tstatus\tcasing"]
    rows += ["0\t<MISSING>\tB-PER\tM\tinitialUpper", "0\tlacht\tO\tR\tallLower"]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")


def _write_germeval(path: Path, copies: int) -> None:
    lines: list[str] = []
    for _ in range(copies):
        for sent in _SENTENCES:
            lines += [f"{i}\t{w}\t{t}\tO" for i, (w, t) in enumerate(sent, 1)]
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_train_tiny_run_gives_loadable_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The German dictionary (a Maven download) is replaced by a tiny word-class table.
    classes = {"Firmen": frozenset({"Sub"}), "Merkel": frozenset({"Nac"})}
    monkeypatch.setattr(train, "load_classes", lambda settings: classes)
    data = tmp_path / "ner"
    (data / "germeval2014").mkdir(parents=True)
    _write_germeval(data / "germeval2014" / "dev.tsv", 3)
    _write_germeval(data / "germeval2014" / "test.tsv", 4)
    _write_partial(data / "germeval2014" / "train-partial.tsv.gz")
    out = tmp_path / "models" / "de_newsstream"

    settings = Settings(spacy_model=None, cache_dir=tmp_path)
    result = train_model(out, data, "fast", max_steps=4, heldout_n=3, settings=settings)

    assert result.path == out
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert (meta["lang"], meta["name"]) == ("de", "newsstream")
    assert meta["newsstream"]["profile"] == "fast"
    # 9 + 12 - 3 held out - 3 dev; the train split's one sentence completed (a PER name filled)
    assert meta["newsstream"]["data"] == {
        "germeval2014": 15,
        "germeval2014/train-partial.tsv.gz": 1,
    }
    assert meta["newsstream"]["clusters"] == 1_000_001
    assert (out / "newsstream_lexicon" / "clusters.msgpack").is_file()
    assert set(result.scores) == {"precision", "recall", "f1", "per_label"}
    assert (out / model.COMPOUND_HEADS_FILE).read_text(encoding="utf-8") == "Firmen\n"
    assert meta["newsstream"]["wordclasses"] is True
    nlp = spacy.load(out)
    assert {"ner", "entity_ruler", "sentencizer"} <= set(nlp.pipe_names)
    assert set(nlp.get_pipe("ner").labels) <= {"PER", "LOC", "ORG", "MISC"}

    loaded = model.load_pipeline(Settings(spacy_model=str(out), cache_dir=tmp_path))
    assert loaded is model.load_pipeline(Settings(spacy_model=str(out), cache_dir=tmp_path))
    assert model.model_info(loaded) == ("de_newsstream", meta["version"])
    doc = loaded("Die Nato tagt in Russland. Dann reist Merkel ab.")
    assert ("Russland", "LOC") in [(e.text, e.label_) for e in doc.ents]  # gazetteer ruler
    assert len(list(doc.sents)) == 2
    assert {(t.tag_, t.lemma_) for t in doc} == {("", "")}  # cluster attributes reset
    probes = ensure.default_probes(settings)
    no_download = ensure.Probes(probes.resolved, lambda: False, lambda: None)
    assert ensure.ensure_model(settings, probes=no_download) in {
        str(out),
        "de_core_news_lg",
        "de_core_news_md",
        "de_core_news_sm",
    }


def test_train_cli_evaluate_prints_contract_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "ner"
    (data / "germeval2014").mkdir(parents=True)
    _write_germeval(data / "germeval2014" / "dev.tsv", 3)
    _write_germeval(data / "germeval2014" / "test.tsv", 4)
    out = tmp_path / "model"
    assert cli_main(["model", "train", "--out", str(out), "--data", str(data), "--profile",
                     "fast", "--max-steps", "3"]) == 0  # fmt: skip
    capsys.readouterr()
    code = cli_main(
        ["model", "evaluate", "--model", str(out), "--data", str(data / "germeval2014" / "dev.tsv"),
         "--json"]
    )  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"precision", "recall", "f1", "per_label"}
    assert set(result["per_label"]) == {"PER", "LOC", "ORG", "MISC"}
    assert set(result["per_label"]["PER"]) == {"p", "r", "f1"}
    assert cli_main(["model", "evaluate", "--data", str(tmp_path / "missing.tsv")]) == 2


def test_train_cli_out_defaults_to_the_models_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from newsstream.settings import get_settings

    monkeypatch.setattr(train, "load_classes", lambda settings: {})
    monkeypatch.setenv("NEWSSTREAM_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()  # the CLI reads cached settings: make it see this cache dir
    assert get_settings().models_dir == tmp_path / "cache" / "models"  # never the real one
    data = tmp_path / "ner"
    (data / "germeval2014").mkdir(parents=True)
    _write_germeval(data / "germeval2014" / "dev.tsv", 3)
    _write_germeval(data / "germeval2014" / "test.tsv", 4)
    args = ["model", "train", "--data", str(data), "--profile", "fast", "--max-steps", "2"]
    try:
        assert cli_main(args) == 0
    finally:
        get_settings.cache_clear()
    assert (tmp_path / "cache" / "models" / "de_newsstream" / "meta.json").is_file()
