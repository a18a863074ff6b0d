"""Attributed direct quotations over a spaCy Doc (pure: no I/O, no model required).

``find_quotes(doc, entities)`` is the entry point; :mod:`.attribution` states the order of
evidence. The parts, from the text up:

- :mod:`.marks`, :mod:`.segments`, :mod:`.filters` - quoted spans, quotation-aware sentences
  and words, and which quoted spans are quotations at all;
- :mod:`.refs`, :mod:`.speakers`, :mod:`.cues` - speaker phrases as written next to a cue
  (``sagt X``, ``laut X``, ``X: „…“``) and the word tests they rest on;
- :mod:`.namefinder`, :mod:`.persons`, :mod:`.context` - the article's people: names the
  model missed, roles, genders, and the mention timeline pronouns and role phrases
  ("die Ministerin", "der 63-Jährige") are resolved against;
- :mod:`.evidence`, :mod:`.passage`, :mod:`.reported` - evidence for one quotation, and the
  running attribution that carries a speaker on (carry-over, indirect speech);
- :mod:`.lexicon` - the German word lists (speech verbs, role and organisation nouns,
  function words); generic vocabulary only, never names.

The quality on the development set is measured by ``bench/quotes.py``.
"""

from newsstream.extractor.quotes.attribution import QuoteAnalysis, analyse_quotes, find_quotes

__all__ = ["QuoteAnalysis", "analyse_quotes", "find_quotes"]
