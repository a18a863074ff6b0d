"""Attributed direct quotations over a spaCy Doc (pure: no I/O, no model required).

``find_quotes(doc, entities)`` is the entry point; see :mod:`.attribution` for the rules and
:mod:`.marks`, :mod:`.segments`, :mod:`.cues`, :mod:`.speakers` for the parts.
"""

from newsstream.extractor.quotes.attribution import QuoteAnalysis, analyse_quotes, find_quotes

__all__ = ["QuoteAnalysis", "analyse_quotes", "find_quotes"]
