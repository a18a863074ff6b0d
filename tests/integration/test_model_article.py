"""The resolved model (as the extractor loads it) finds the typical news entities of the article.

Needs a model: ``newsstream model ensure`` (run by ``make test``) trains and caches one if none
resolves. No Kafka or Elasticsearch involved.
"""

from __future__ import annotations

import pytest

from newsstream.errors import ModelNotFoundError
from newsstream.nlp.ensure import ensure_model
from newsstream.nlp.model import load_pipeline, model_info
from newsstream.settings import Settings

pytestmark = pytest.mark.integration


def test_model_article_entities_found(gold: dict[str, object], gold_text: str) -> None:
    settings = Settings()
    try:
        ensure_model(settings)
    except ModelNotFoundError as exc:
        pytest.skip(
            "no model resolves and no NER data: put the shared NER corpora in ../shared/data/ner "
            f"(or set NEWSSTREAM_NER_DATA_DIR), or install de_core_news_lg ({exc.message[:80]})"
        )
    nlp = load_pipeline(settings)
    assert load_pipeline(settings) is nlp  # loaded once per process
    name, version = model_info(nlp)
    assert name and version

    doc = nlp(gold_text)
    assert {e.label_ for e in doc.ents} <= {"PER", "LOC", "ORG", "MISC"}
    assert all(e.text == e.text.strip() for e in doc.ents)
    found = {(e.text, e.label_) for e in doc.ents}
    entities = gold["entities"]
    assert isinstance(entities, dict)
    wanted = [(n, label) for label in ("PER", "LOC", "ORG") for n in entities[label]]
    hits = [w for w in wanted if w in found]
    assert len(hits) >= 0.8 * len(wanted), sorted(set(wanted) - set(hits))
    assert len(list(doc.sents)) > 10
