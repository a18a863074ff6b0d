"""German word classes read from LanguageTool's dictionary dump, and their ``Lt=`` feature."""

from __future__ import annotations

from newsstream.nlp.features import feature_values
from newsstream.nlp.wordclasses import classes_from_dump, common_nouns

DUMP = [
    "#preis\tpreisen\tVER:1:SIN:PRÄ:NON -- a comment line\n",
    "Koch\tKoch\tSUB:NOM:SIN:MAS\n",
    "Koch\tKoch\tEIG:NOM:SIN:MAS:NOA:NAC\n",
    "koch\tkochen\tVER:IMP:SIN:NON\n",
    "Söder\tSöder\tEIG:NOM:SIN:MAS:NOA:NAC\n",
    "Anna\tAnna\tEIG:NOM:SIN:FEM:NOA:VOR*\n",
    "Berlin\tBerlin\tEIG:NOM:SIN:NEU:NOA:STD\n",
    "Bayern\tBayern\tEIG:NOM:SIN:NEU:ART:GEB\n",
    "Bayern\tBayer\tSUB:NOM:PLU:MAS\n",
    "nach\tnach\tPRP:LOK+TMP:DAT\n",
    "Waffenruhe\tWaffenruhe\tSUB:NOM:SIN:FEM\n",
    "broken line without tabs\n",
    "123\t123\tZAL\n",
]


def test_wordclasses_from_dump_name_types_nouns_and_lowercase_forms() -> None:
    classes = classes_from_dump(DUMP)
    assert classes["Koch"] == {"Sub", "Nac", "Low"}  # noun, surname, and the verb "koch"
    assert classes["Söder"] == {"Nac"}
    assert classes["Anna"] == {"Vor"}  # the "*" variant marker is ignored
    assert classes["Berlin"] == {"Geo"}
    assert classes["Bayern"] == {"Geo", "Sub"}
    assert classes["Nach"] == {"Low"}  # sentence-initial preposition
    assert "#preis" not in classes and "Preis" not in classes
    assert "123" not in classes


def test_wordclasses_feature_kept_for_known_words_and_all_names() -> None:
    classes = classes_from_dump(DUMP)
    values = feature_values(set(), set(), set(), zipf={"Koch": 4, "Nach": 6}, classes=classes)
    assert values["Koch"] == "Lt=Low,Nac,Sub|Zipf=4"
    assert values["Nach"] == "Lt=Low|Zipf=6"
    assert values["Söder"] == "Lt=Nac"  # a name is kept even when frequency lists lack it
    # A rare common noun unknown to the frequency list adds nothing but model size.
    assert "Waffenruhe" not in values


def test_wordclasses_common_nouns_exclude_names() -> None:
    classes = classes_from_dump(DUMP)
    # "Koch" is also a surname and "Bayern" a region: never compound heads to drop.
    assert common_nouns(classes) == ["Waffenruhe"]
