"""The extractor: who is mentioned in an article, and who said what.

Modules (pure ones first):

- :mod:`.quotes` - direct quotations in every German convention and their attribution
  (speaker, role, cue); rules only, no model required (see :mod:`.quotes.attribution`).
- :mod:`.entities` - PER/ORG/LOC/MISC per article with one canonical form each
  (``Putins`` -> ``Wladimir Putin``), merged with count and every offset.
- :mod:`.names` - the one name resolver both use: shorter forms to the fullest name the
  article uses, abbreviations to their long form, a person's gender from the first name.
- :mod:`.enrich` - ``enrich(nlp, articles)``: ``nlp.pipe`` over a batch, then the two above;
  speakers the model missed are added as PER entities.
- :mod:`.service` - ``run_extractor(settings)``: the Kafka worker (raw -> enriched topic).
- :mod:`.analyze` - ``analyze(source, settings)``: one file or URL, for ``newsstream analyze``.

Over-long articles: a body longer than ``NEWSSTREAM_MAX_BODY_CHARS`` (default 100 000) is cut
into paragraph-aligned chunks for the model and joined back into one Doc, so nothing is
truncated and every offset points into the full body; ``nlp.chunks`` in the enriched message
says how many chunks there were. An article whose processing still raises goes to the
dead-letter topic on its own; the rest of its batch is enriched normally.

Metrics (``/metrics`` on ``NEWSSTREAM_METRICS_PORT_EXTRACTOR``):
``newsstream_extractor_articles_total``, ``_words_total``, ``_quotes_total``,
``_dead_letters_total``, ``_batch_seconds`` (histogram) and ``_lag`` (gauge).
"""
