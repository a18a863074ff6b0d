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


class LexiconFeatures:
    """Sets ``token.morph`` to the feature string of its text (``Gaz=Per|Lt=Vor|Zipf=3``)."""

    def __init__(self, vocab: Vocab, name: str = FACTORY) -> None:
        self.vocab = vocab
        self.name = name
        self.values: dict[str, str] = {}
        self._morph_ids: dict[str, int] = {}

    def set_values(self, values: Mapping[str, str]) -> None:
        self.values = {word: value for word, value in values.items() if value}
        ids = {value: self.vocab.morphology.add(value) for value in set(self.values.values())}
        self._morph_ids = {word: ids[value] for word, value in self.values.items()}

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        values_path: str | None = None,
    ) -> None:
        if values_path:
            self.set_values(srsly.read_json(values_path))

    def __call__(self, doc: Doc) -> Doc:
        ids = self._morph_ids
        for token in doc:
            morph = ids.get(token.text)
            if morph is not None:
                token.set_morph(morph)  # type: ignore[attr-defined]  # not in the stubs
        return doc

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps(self.values)

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> LexiconFeatures:
        self.set_values(srsly.msgpack_loads(data))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / _VALUES_FILE, self.values)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> LexiconFeatures:
        self.set_values(srsly.read_json(Path(path) / _VALUES_FILE))
        return self


def make_lexicon(nlp: Language, name: str) -> LexiconFeatures:
    return LexiconFeatures(nlp.vocab, name)


if not Language.has_factory(FACTORY):
    Language.factory(FACTORY)(make_lexicon)
