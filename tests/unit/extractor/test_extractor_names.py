"""The one name resolver: shorter forms to the fullest name, genders, abbreviations."""

from __future__ import annotations

from newsstream.extractor.names import NameResolver, abbreviations, first_name_gender


def test_names_surname_resolves_to_the_fullest_form() -> None:
    resolver = NameResolver(["Petra Sommer", "Dr. Petra Sommer", "Jonas Brandt"])
    assert resolver.canonical("Sommer") == "Dr. Petra Sommer"
    assert resolver.canonical("Petra Sommer") == "Dr. Petra Sommer"
    assert resolver.canonical("Brandt") == "Jonas Brandt"


def test_names_two_people_with_one_surname_stay_as_written() -> None:
    resolver = NameResolver(["Anna Weber", "Jonas Weber"])
    assert resolver.canonical("Weber") == "Weber"


def test_names_matching_is_word_wise() -> None:
    resolver = NameResolver(["Katrin Ebner-Steiner"])
    assert resolver.canonical("Steiner") == "Steiner"
    assert resolver.canonical("Ebner-Steiner") == "Katrin Ebner-Steiner"


def test_names_particle_surname() -> None:
    resolver = NameResolver(["Florian von Brandt"])
    assert resolver.canonical("von Brandt") == "Florian von Brandt"
    assert resolver.knows_surname("Brandt")


def test_names_gender_from_the_first_name() -> None:
    resolver = NameResolver(["Petra Sommer", "Dr. Hubert Lang"])
    assert resolver.gender("Sommer") == "f"
    assert resolver.gender("Lang") == "m"
    assert resolver.gender("Unbekannt") is None
    assert first_name_gender("Katrin") == "f"
    assert first_name_gender("sommer") is None


def test_names_abbreviation_spelled_out_once() -> None:
    text = "Der Bayerische Imkerverband (BIV) warnt. Der BIV fordert mehr Blühflächen."
    assert abbreviations(text) == {"BIV": "Bayerische Imkerverband"}
    assert NameResolver([], abbreviations(text)).canonical("BIV") == "Bayerische Imkerverband"


def test_names_bracketed_party_is_no_abbreviation_of_the_name_before() -> None:
    assert abbreviations("Das sagte Anna Weber (SPD) am Montag.") == {}
