"""Model resolution order (each branch), label mapping and sentence boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.tokens import Span

from newsstream.errors import ModelNotFoundError
from newsstream.nlp import model
from newsstream.settings import Settings


@pytest.fixture
def no_official(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend no official German model is installed (whatever this machine has)."""
    monkeypatch.setattr(model, "OFFICIAL_MODELS", ("de_core_news_absent_for_test",))


def _fake_trained(models_dir: Path, name: str = "de_newsstream") -> Path:
    path = models_dir / name
    path.mkdir(parents=True)
    (path / "meta.json").write_text('{"lang": "de", "name": "newsstream"}', encoding="utf-8")
    (path / "config.cfg").write_text("", encoding="utf-8")
    return path


def test_model_resolve_setting_wins(tmp_path: Path) -> None:
    _fake_trained(tmp_path / "models")
    ref = model.resolve_model(Settings(spacy_model="/some/path", cache_dir=tmp_path))
    assert ref == model.ModelRef("/some/path", "setting")


def test_model_resolve_official_before_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "site" / "de_core_news_md"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(model, "OFFICIAL_MODELS", ("de_core_news_lgx_absent", "de_core_news_md"))
    _fake_trained(tmp_path / "models")
    ref = model.resolve_model(Settings(spacy_model=None, cache_dir=tmp_path))
    assert ref == model.ModelRef("de_core_news_md", "official")


def test_model_resolve_cache(tmp_path: Path, no_official: None) -> None:
    path = _fake_trained(tmp_path / "models")
    ref = model.resolve_model(Settings(spacy_model=None, cache_dir=tmp_path))
    assert ref == model.ModelRef(str(path), "cache")


def test_model_resolve_error_names_both_ways(tmp_path: Path, no_official: None) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        model.resolve_model(Settings(spacy_model=None, cache_dir=tmp_path))
    text = str(info.value)
    assert "spacy download" in text
    assert "newsstream model train" in text
    assert "NS030" in text


def test_model_prepare_maps_labels_and_sets_sentences() -> None:
    nlp = spacy.blank("de")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "PERSON", "pattern": "Anna"},
            {"label": "GPE", "pattern": "Berlin"},
            {"label": "DATE", "pattern": "Montag"},
        ]
    )
    model.prepare_pipeline(nlp)
    doc = nlp("Anna fährt am Montag nach Berlin. Dann ruht sie.")
    assert [(e.text, e.label_) for e in doc.ents] == [("Anna", "PER"), ("Berlin", "LOC")]
    assert len(list(doc.sents)) == 2


def test_model_clean_entities_keeps_labels_and_trims() -> None:
    nlp = model.prepare_pipeline(spacy.blank("de"))
    doc = nlp.make_doc("Nato und BR24.\n\n Kreml")
    assert [t.text for t in doc] == ["Nato", "und", "BR24", ".", "\n\n ", "Kreml"]
    doc.ents = [
        Span(doc, 0, 1, label="ORG"),
        Span(doc, 2, 5, label="ORG"),
        Span(doc, 5, 6, label="CARDINAL"),
    ]
    assert [(e.text, e.label_) for e in model.clean_entities(doc).ents] == [
        ("Nato", "ORG"),
        ("BR24", "ORG"),
    ]


def test_model_info_reads_meta() -> None:
    nlp = spacy.blank("de")
    nlp.meta["name"] = "newsstream"
    nlp.meta["version"] = "1.2.3"
    assert model.model_info(nlp) == ("de_newsstream", "1.2.3")


def test_model_tokenizer_splits_acronym_period_but_not_ordinals() -> None:
    nlp = model.prepare_pipeline(spacy.blank("de"))
    words = [
        t.text for t in nlp.make_doc("Am 24. Februar sagte er es der USA. Dann BR24. Dr. Mann")
    ]
    assert words == [
        "Am", "24.", "Februar", "sagte", "er", "es", "der", "USA", ".", "Dann", "BR24", ".",
        "Dr.", "Mann",
    ]  # fmt: skip


def test_model_clean_entities_takes_gazetteer_label_for_exact_names() -> None:
    doc = spacy.blank("de")("Der Kreml und die Universität Moskau")
    doc.ents = [Span(doc, 1, 2, label="LOC"), Span(doc, 4, 6, label="ORG")]
    assert [(e.text, e.label_) for e in model.clean_entities(doc).ents] == [
        ("Kreml", "ORG"),
        ("Universität Moskau", "ORG"),  # partial overlap with "Moskau" (LOC): unchanged
    ]


def test_model_drops_name_compounds_but_keeps_compound_names(tmp_path: Path) -> None:
    (tmp_path / model.COMPOUND_HEADS_FILE).write_text("Vorsitzende\nKongress\n", encoding="utf-8")
    nouns = model.read_compound_heads(tmp_path)
    assert nouns == {"Vorsitzende", "Kongress"}
    assert model.read_compound_heads(None) == frozenset()  # official models ship no list
    doc = spacy.blank("de")("Die SPD-Vorsitzende , der US-Kongress und Baden-Württemberg")
    doc.ents = [Span(doc, 1, 2, "ORG"), Span(doc, 4, 5, "ORG"), Span(doc, 6, 7, "LOC")]
    assert [(e.text, e.label_) for e in model.clean_entities(doc, nouns).ents] == [
        ("Baden-Württemberg", "LOC")  # head "Württemberg" is no common noun
    ]
    assert not model.is_name_compound("Vorsitzende", nouns)  # no hyphen: not a compound
    assert not model.is_name_compound("-Vorsitzende", nouns)


def test_model_loading_never_imports_training_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, spacy; from newsstream.nlp import model; model._register_components(); "
        "model.prepare_pipeline(spacy.blank('de')); "
        "bad = [m for m in ('newsstream.nlp.train', 'newsstream.nlp.ensure', "
        "'newsstream.nlp.finalize', 'newsstream.nlp.features', 'newsstream.stack.artifacts') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_limit_blas_threads_sets_the_blas_library_of_this_process_and_zero_leaves_it() -> None:
    import numpy  # noqa: F401  (loads the BLAS library, as spaCy does)
    from threadpoolctl import threadpool_info, threadpool_limits

    from newsstream.nlp.model import limit_blas_threads

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    with threadpool_limits(limits=2, user_api="blas"):  # the original limits come back after
        assert blas_threads() and set(blas_threads()) == {2}
        limit_blas_threads(0)
        assert set(blas_threads()) == {2}
        limit_blas_threads(1)
        assert set(blas_threads()) == {1}


def test_load_pipeline_leaves_the_blas_library_at_the_configured_threads(tmp_path: Path) -> None:
    """In a fresh process, where spaCy is what loads numpy and its BLAS library: a limit set
    before the model loads would find no library to limit."""
    import os
    import subprocess
    import sys

    spacy.blank("de").to_disk(tmp_path / "blank")
    code = (
        "from threadpoolctl import threadpool_info; from newsstream.nlp import model; "
        "from newsstream.settings import Settings; "
        f"model.load_pipeline(Settings(spacy_model={str(tmp_path / 'blank')!r})); "
        "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSSTREAM_")}
    env["OPENBLAS_NUM_THREADS"] = "2"  # the library's own default on a 2-core machine
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[1]", done.stdout
