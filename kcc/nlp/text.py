"""Dutch text preparation for the classifiers: normalise, tokenise, drop stop words, stem.

Agents type fast: "mw belt ivm leefgeld, nog niks ontvangen, boos". The steps here make two
notes about the same thing look alike to a model: same case, no diacritics ("Oekraïne" and
"Oekraine"), placeholders of masked personal data as one word, and Snowball stems so that
"betalingen" and "betaling" or "aanvragen" and "aanvraag" share features (Snowball keeps
some plurals, "gastgezinnen", apart: the character n-grams of the pipelines bridge those).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from itertools import pairwise

from nltk.stem.snowball import SnowballStemmer

STOP_WORDS_FILE = "stopwords_nl.txt"

# "[TELEFOON]" -> "_telefoon_": one token that survives tokenising and is never stemmed, so a
# masked phone number adds the same feature every time instead of nothing.
_PLACEHOLDER = re.compile(r"\[([A-Za-z-]+)\]")
_PLACEHOLDER_EDGE = "_"
_COMBINING_MARK = "Mn"
_WHITESPACE = re.compile(r"\s+")
# Words are runs of letters, digits and underscores (the placeholders); hyphens, slashes and
# apostrophes split words, so "IND-sticker" gives "ind" and "sticker".
_TOKEN = re.compile(r"\w+")
# Stems cache: the vocabulary of contact-centre notes is small, so nearly every word after the
# first few thousand notes is a cache hit (Snowball costs ~10 µs a word, a hit ~0.1 µs).
_STEM_CACHE_SIZE = 200_000


def _placeholder_token(match: re.Match[str]) -> str:
    """The single token that stands for one masking placeholder."""
    kind = match.group(1).lower().replace("-", "")
    return f" {_PLACEHOLDER_EDGE}{kind}{_PLACEHOLDER_EDGE} "


def strip_diacritics(text: str) -> str:
    """Remove accents and umlauts ("coördinator" -> "coordinator"); other scripts stay."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(
        character for character in decomposed if unicodedata.category(character) != _COMBINING_MARK
    )
    # Recompose so Cyrillic letters whose marks we dropped (й -> и) stay single characters.
    return unicodedata.normalize("NFC", without_marks)


def normalise(text: str) -> str:
    """Lowercase, strip diacritics, turn placeholders into tokens and collapse whitespace."""
    text = _PLACEHOLDER.sub(_placeholder_token, text)
    if not text.isascii():
        # NFKD also unifies compatibility forms: ligatures, full-width letters, "½".
        text = strip_diacritics(text)
    return _WHITESPACE.sub(" ", text.lower()).strip()


def tokenise(text: str) -> list[str]:
    """Split normalised text into words."""
    return _TOKEN.findall(text)


@lru_cache(maxsize=1)
def _dutch_stemmer() -> SnowballStemmer:
    """The Snowball stemmer for Dutch (needs no NLTK data download)."""
    return SnowballStemmer("dutch")


@lru_cache(maxsize=_STEM_CACHE_SIZE)
def stem_word(word: str) -> str:
    """The Snowball stem of one lowercase word; placeholder tokens stay as they are."""
    if word.startswith(_PLACEHOLDER_EDGE):
        return word
    return _dutch_stemmer().stem(word)


def stem_tokens(tokens: Iterable[str]) -> list[str]:
    """Stem each token."""
    return [stem_word(token) for token in tokens]


@lru_cache(maxsize=1)
def load_stop_words() -> frozenset[str]:
    """The shipped Dutch stop words (kcc/nlp/stopwords_nl.txt), normalised like the texts."""
    content = resources.files(__package__).joinpath(STOP_WORDS_FILE).read_text(encoding="utf-8")
    return frozenset(
        normalise(line)
        for line in content.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def content_stems(text: str) -> list[str]:
    """The stems of the words in a raw text that are not stop words, in order."""
    stop_words = load_stop_words()
    return stem_tokens(token for token in tokenise(normalise(text)) if token not in stop_words)


class StemAnalyzer:
    """A TfidfVectorizer analyzer: content-word stems plus, optionally, pairs of neighbours.

    A class at module level rather than a lambda or closure, so fitted pipelines pickle.
    Bigrams are taken after stop words are dropped, so "niet ontvangen" in "heeft het geld
    nog niet ontvangen" is one feature: negations are not stop words (they carry sentiment).
    """

    def __init__(self, *, bigrams: bool = True) -> None:
        self.bigrams = bigrams

    def __call__(self, text: str) -> list[str]:
        stems = content_stems(text)
        if not self.bigrams:
            return stems
        return stems + [f"{first} {second}" for first, second in pairwise(stems)]

    def __repr__(self) -> str:
        return f"StemAnalyzer(bigrams={self.bigrams})"
