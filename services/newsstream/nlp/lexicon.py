"""The ``newsstream_lexicon`` pipeline component: token text -> lexicon-feature ``MORPH``.

Why not spaCy's ``attribute_ruler``: it matches one pattern per distinct feature value, and with
the German word classes there are ~230 of them; matching them took longer than ``tok2vec`` and
``ner`` together (4x the time of the same pipeline without word classes). A dict lookup costs
one hash per token. The component is registered as a spaCy factory through the package's
``spacy_factories`` entry point, so ``spacy.load`` finds it wherever newsstream is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

FACTORY = "newsstream_lexicon"
_VALUES_FILE = "values.json"
_CLUSTERS_FILE = "clusters.msgpack"


class LexiconFeatures:
    """Sets ``token.morph`` to the feature string of its text (``Gaz=Per|Lt=Vor|Zipf=3``) and,
    when the pipeline has word clusters, ``TAG``/``LEMMA`` to its cluster (:mod:`.clusters`)."""

    def __init__(self, vocab: Vocab, name: str = FACTORY) -> None:
        self.vocab = vocab
        self.name = name
        self.values: dict[str, str] = {}
        self.clusters: dict[str, int] = {}
        self._morph_ids: dict[str, int] = {}
        self._cluster_ids: dict[str, tuple[int, int]] = {}

    def set_values(self, values: Mapping[str, str]) -> None:
        self.values = {word: value for word, value in values.items() if value}
        ids = {value: self.vocab.morphology.add(value) for value in set(self.values.values())}
        self._morph_ids = {word: ids[value] for word, value in self.values.items()}

    def set_clusters(self, clusters: Mapping[str, int]) -> None:
        """Word -> Brown cluster integer; the (TAG, LEMMA) string ids are interned once."""
        from newsstream.nlp.clusters import cluster_strings

        self.clusters = dict(clusters)
        strings = self.vocab.strings
        ids = {
            c: tuple(strings.add(s) for s in cluster_strings(c))
            for c in set(self.clusters.values())
        }
        self._cluster_ids = {word: ids[c] for word, c in self.clusters.items()}  # type: ignore[misc]

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        values_path: str | None = None,
        clusters_path: str | None = None,
    ) -> None:
        if values_path:
            self.set_values(srsly.read_json(values_path))
        if clusters_path:
            self.set_clusters(srsly.read_json(clusters_path))

    def __call__(self, doc: Doc) -> Doc:
        ids = self._morph_ids
        clusters = self._cluster_ids
        for token in doc:
            text = token.text
            morph = ids.get(text)
            if morph is not None:
                token.set_morph(morph)  # type: ignore[attr-defined]  # not in the stubs
            if clusters:
                found = clusters.get(text)
                if found is not None:
                    token.tag, token.lemma = found
        return doc

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"values": self.values, "clusters": self.clusters})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> LexiconFeatures:
        loaded = srsly.msgpack_loads(data)
        if not isinstance(loaded.get("values"), dict):  # before clusters: the values alone
            loaded = {"values": loaded, "clusters": {}}
        self.set_values(loaded["values"])
        self.set_clusters(loaded.get("clusters", {}))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / _VALUES_FILE, self.values)
        if self.clusters:
            srsly.write_msgpack(path / _CLUSTERS_FILE, self.clusters)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> LexiconFeatures:
        path = Path(path)
        self.set_values(srsly.read_json(path / _VALUES_FILE))
        packed = path / _CLUSTERS_FILE
        if packed.is_file():
            self.set_clusters(srsly.read_msgpack(packed))
        return self


def make_lexicon(nlp: Language, name: str) -> LexiconFeatures:
    return LexiconFeatures(nlp.vocab, name)


if not Language.has_factory(FACTORY):
    Language.factory(FACTORY)(make_lexicon)
