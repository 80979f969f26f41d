"""Text preparation: what two notes about the same thing have in common after it."""

from __future__ import annotations

import pickle

import pytest

from kcc.nlp.text import (
    StemAnalyzer,
    content_stems,
    load_stop_words,
    normalise,
    stem_tokens,
    stem_word,
    tokenise,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Mw  belt IVM leefgeld,\tnog niks ontvangen!",
            "mw belt ivm leefgeld, nog niks ontvangen!",
        ),
        ("Opvang van ontheemden uit Oekraïne", "opvang van ontheemden uit oekraine"),
        ("coördinator vraagt naar één café", "coordinator vraagt naar een cafe"),
        ("bel terug op [TELEFOON] of mail [E-MAIL]", "bel terug op _telefoon_ of mail _email_"),
        ("dhr [NAAM] uit [ADRES]", "dhr _naam_ uit _adres_"),
        ("  \n ", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_keeps_cyrillic_letters() -> None:
    assert normalise("Олена Й") == "олена и"


def test_tokenise_splits_on_punctuation_and_keeps_placeholders() -> None:
    assert tokenise(normalise("IND-sticker, bsn? bel [TELEFOON]")) == [
        "ind",
        "sticker",
        "bsn",
        "bel",
        "_telefoon_",
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("betalingen", "betaling"),
        ("uitkeringen", "uitkering"),
        ("scholen", "school"),
        ("ontvangen", "ontvang"),
        ("aanvragen", "aanvraag"),
        ("wachten", "wacht"),
    ],
)
def test_word_forms_share_a_stem(first: str, second: str) -> None:
    assert stem_word(first) == stem_word(second)


def test_placeholders_are_not_stemmed() -> None:
    assert stem_tokens(["_telefoon_", "gastgezinnen"]) == ["_telefoon_", stem_word("gastgezinnen")]


def test_stop_words_are_shipped_and_normalised() -> None:
    stop_words = load_stop_words()

    assert 100 <= len(stop_words) <= 200
    assert {"de", "het", "een", "en", "van"} <= stop_words
    assert all(word == normalise(word) for word in stop_words)


@pytest.mark.parametrize("word", ["niet", "geen", "nooit", "niets", "niks", "niemand", "waarom"])
def test_negations_are_not_stop_words(word: str) -> None:
    assert word not in load_stop_words()


def test_content_stems_drop_stop_words_and_keep_negations() -> None:
    assert content_stems("Ik heb het leefgeld nog niet ontvangen") == [
        "leefgeld",
        "nog",
        "niet",
        "ontvang",
    ]


def test_analyzer_adds_pairs_of_neighbouring_stems() -> None:
    features = StemAnalyzer(bigrams=True)("leefgeld niet ontvangen")

    assert features == ["leefgeld", "niet", "ontvang", "leefgeld niet", "niet ontvang"]
    assert StemAnalyzer(bigrams=False)("leefgeld niet ontvangen") == ["leefgeld", "niet", "ontvang"]


def test_analyzer_survives_pickling() -> None:
    # Our own object, round-tripped in memory: nothing untrusted is unpickled.
    analyzer = pickle.loads(pickle.dumps(StemAnalyzer(bigrams=False)))  # noqa: S301

    assert analyzer("gastgezinnen") == [stem_word("gastgezinnen")]
