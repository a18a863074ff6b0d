"""German word classes from LanguageTool's word-form dictionary, for the lexicon features.

Why: the model's worst errors are capitalised German words. Every German noun is capitalised,
so capitalisation says little; what the model needs to know is whether "Waffenstillstand" is an
ordinary noun, "Söder" a surname and "Nach" just a sentence-initial preposition. LanguageTool's
German dictionary (``de.danielnaber:german-pos-dict`` on Maven Central, Morphy-based, CC BY-SA
4.0) lists ~5M word forms with their part of speech, and for proper names (``EIG``) whether they
are first names, surnames or places.

The dictionary is a morfologik FSA. It is fetched once with Maven and dumped to TSV by a
single-file Java program (``languagetool/DumpDictionary.java``), both cached under
``<cache>/lexicon/``; reading the dump (:func:`classes_from_dump`) is pure.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from newsstream.errors import JvmError
from newsstream.jvm import maven_copy, run_java
from newsstream.settings import Settings

log = logging.getLogger(__name__)

DICT_VERSION = "1.2.4"
MORFOLOGIK_VERSION = "2.1.9"
_DICT_ENTRY = "org/languagetool/resource/de/german.dict"
_DICT_INFO = "org/languagetool/resource/de/german.info"

#: ``EIG`` (proper name) subtypes -> feature class.
_NAME_CLASSES = {
    "VOR": "Vor",  # first name
    "NAC": "Nac",  # surname
    "STD": "Geo",  # city
    "GEB": "Geo",  # region
    "COU": "Geo",  # country
    "WAT": "Geo",  # water
    "MOU": "Geo",  # mountain
    "GEO": "Geo",
}
#: The classes that mark a proper name.
NAME_CLASSES = frozenset({"Vor", "Nac", "Geo", "Eig"})
#: Parts of speech of capitalised forms kept as classes (others are too rare to matter).
_CAPITALISED_POS = {"SUB": "Sub", "ADJ": "Adj", "VER": "Ver"}


def classes_path(settings: Settings) -> Path:
    return settings.cache_dir / "lexicon" / f"german-wordclasses-{DICT_VERSION}.tsv"


def ensure_classes(settings: Settings) -> Path:
    """``form<TAB>Class,Class`` for every capitalised form, built once (needs mvn and Java).

    The full dump (~250 MB) is only an intermediate: the cached file is ~10 MB.
    """
    out = classes_path(settings)
    if out.is_file():
        return out
    root = out.parent
    jars = root / "jars"
    pom = resources.files("newsstream.nlp").joinpath("languagetool", "pom.xml")
    properties = {"german-pos-dict.version": DICT_VERSION, "morfologik.version": MORFOLOGIK_VERSION}
    maven_copy(pom, jars, root / "m2", properties)
    (dict_jar,) = jars.glob("german-pos-dict-*.jar")
    program = resources.files("newsstream.nlp").joinpath("languagetool", "DumpDictionary.java")
    with tempfile.TemporaryDirectory(dir=root) as tmp, resources.as_file(program) as source:
        with zipfile.ZipFile(dict_jar) as archive:
            archive.extract(_DICT_ENTRY, tmp)
            archive.extract(_DICT_INFO, tmp)
        partial = Path(tmp) / "dump.tsv"
        classpath = ":".join(str(p) for p in sorted(jars.glob("morfologik-*.jar")))
        args = ["-cp", classpath, str(source), str(Path(tmp) / _DICT_ENTRY), str(partial)]
        run_java(settings, args, "dumping the German dictionary")
        with partial.open(encoding="utf-8") as fh:
            classes = classes_from_dump(fh)
        table = Path(tmp) / "classes.tsv"
        table.write_text(
            "".join(f"{form}\t{','.join(sorted(c))}\n" for form, c in sorted(classes.items())),
            encoding="utf-8",
        )
        table.replace(out)
    log.info("German word-class dictionary ready", extra={"path": str(out)})
    return out


def _capitalise(word: str) -> str:
    return word[:1].upper() + word[1:]


def classes_from_dump(lines: Iterable[str]) -> dict[str, frozenset[str]]:
    """Capitalised token text -> its word classes.

    A capitalised form gets its own classes (``Sub``, ``Adj``, ``Ver``, or for proper names
    ``Vor``/``Nac``/``Geo``/``Eig``). A lower-case form adds ``Low`` to its capitalised
    spelling: "Nach" at the start of a sentence is the preposition "nach", not a name.
    """
    classes: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        if line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3 or not parts[0]:
            continue
        form, _lemma, tag = parts
        fields = tag.split(":")
        if not form[:1].isupper():
            if form[:1].isalpha():
                classes[_capitalise(form)].add("Low")
            continue
        if fields[0] == "EIG":
            classes[form].add(_NAME_CLASSES.get(fields[-1].rstrip("*"), "Eig"))
        elif fields[0] in _CAPITALISED_POS:
            classes[form].add(_CAPITALISED_POS[fields[0]])
    return {form: frozenset(found) for form, found in classes.items()}


def load_classes(settings: Settings) -> dict[str, frozenset[str]]:
    """Word classes of the German dictionary; empty (with a warning) if it cannot be fetched."""
    try:
        path = ensure_classes(settings)
    except (JvmError, OSError, ValueError) as exc:
        log.warning("German word-class dictionary unavailable: %s", exc)
        return {}
    with path.open(encoding="utf-8") as fh:
        rows = (line.rstrip("\n").split("\t") for line in fh)
        return {row[0]: frozenset(row[1].split(",")) for row in rows if len(row) == 2}


def common_nouns(classes: dict[str, frozenset[str]]) -> list[str]:
    """Forms that are German common nouns and never proper names, sorted (compound heads)."""
    return sorted(
        form for form, found in classes.items() if "Sub" in found and not found & NAME_CLASSES
    )
