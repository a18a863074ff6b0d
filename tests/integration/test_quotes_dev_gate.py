"""Quality gate on the development set: quotation finding and speaker attribution.

Every ``dev-NN.json`` article of ``../shared/data/articles/dev`` goes through exactly what
``newsstream analyze FILE --json`` does (cleaning, the resolved spaCy model, entities,
quotations) and is scored with the dev set's rules (``tests/support/gold.py``, the same
scoring as ``bench/quotes.py``). The gate fails when quotation F1 or speaker accuracy drop
below the pinned floors, and when our scoring disagrees with the reference scorer
(``../shared/tools/quote_eval.py``) on any article.

Needs the trained model (``newsstream model ensure``) and the shared data folder; without
either it skips and says what is missing. No Kafka or Elasticsearch involved.
"""

from __future__ import annotations

import pytest
from tests.support.gold import (
    DEV_DIR,
    REFERENCE_SCORER,
    ArticleScore,
    DevArticle,
    analyze_text,
    load_dev,
    reference_counts,
    score_article,
    summarize,
)

from newsstream.messages import EnrichedArticle

pytestmark = pytest.mark.integration

#: Pinned floors (bench/quotes.py prints the current figures).
QUOTE_F1_FLOOR = 0.90
SPEAKER_ACCURACY_FLOOR = 0.85


@pytest.fixture(scope="module")
def dev_results() -> list[tuple[DevArticle, EnrichedArticle, ArticleScore]]:
    if not DEV_DIR.is_dir() or not any(DEV_DIR.glob("dev-*.json")):
        pytest.skip(
            f"no development set at {DEV_DIR}: put the shared data folder beside the "
            "repository as ../shared (data/articles/dev/dev-NN.json)"
        )
    from newsstream.errors import ModelNotFoundError
    from newsstream.nlp.model import load_pipeline
    from newsstream.settings import Settings

    try:
        nlp = load_pipeline(Settings())
    except ModelNotFoundError as exc:
        pytest.skip(f"no trained model (run `newsstream model ensure`): {exc}")
    out = []
    for article in load_dev(DEV_DIR):
        result = analyze_text(article.text, nlp)
        out.append((article, result, score_article(article.name, article.quotes, result.quotes)))
    return out


def test_quotes_dev_set_quality_gate(
    dev_results: list[tuple[DevArticle, EnrichedArticle, ArticleScore]],
) -> None:
    figures = summarize(score for _, _, score in dev_results)
    assert figures["quote_f1"] >= QUOTE_F1_FLOOR, figures
    assert figures["speaker_accuracy"] >= SPEAKER_ACCURACY_FLOOR, figures


def test_quotes_dev_scoring_agrees_with_reference_scorer(
    dev_results: list[tuple[DevArticle, EnrichedArticle, ArticleScore]],
) -> None:
    if not REFERENCE_SCORER.is_file():
        pytest.skip(f"reference scorer missing: {REFERENCE_SCORER}")
    disagreements = []
    for article, result, score in dev_results:
        reference = reference_counts(article.quotes, result)
        if reference != score.reference_counts():
            disagreements.append((article.name, reference, score.reference_counts()))
    assert not disagreements
