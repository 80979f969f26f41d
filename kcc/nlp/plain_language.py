"""Hints for writing in plain Dutch (taalniveau B1) on the FAQ edit screen.

Not a grade: a few measurable signs that a text is harder than it needs to be, each with the
advice the Dutch government's writing guides give for it (short sentences, common words, active
voice, you-form). The editor decides; nothing is blocked on a hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Guides for B1 aim at 15 words per sentence on average and warn from about 20.
LONG_SENTENCE_WORDS = 20
# Long words are usually compounds or officialese; 14 letters catches "tegemoetkomingsregeling".
LONG_WORD_LETTERS = 14
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)*")
# Officialese with a plain alternative (from the Rijksoverheid "Direct duidelijk" word list).
OFFICIAL_WORDS = {
    "teneinde": "om",
    "middels": "met",
    "alsmede": "en",
    "dientengevolge": "daardoor",
    "derhalve": "daarom",
    "indien": "als",
    "reeds": "al",
    "thans": "nu",
    "inzake": "over",
    "ten behoeve van": "voor",
    "conform": "volgens",
    "zulks": "dat",
    "aanvang": "begin",
    "woonachtig": "wonend",
    "verstrekken": "geven",
}
# A form of "worden" followed within the sentence by a past participle (ge-, or a prefixed
# verb such as beoordeeld, verstuurd, ontvangen).
_PASSIVE = re.compile(
    r"\b(wordt|worden|werd|werden)\b[^.!?]{0,60}?\b(?:ge|be|ver|ont|her|er)\w+(?:d|t|en)\b"
)


@dataclass(frozen=True)
class PlainLanguageHint:
    """One sign of a hard text, with the advice for it."""

    code: str
    message: str


def sentences(text: str) -> list[str]:
    """The text's sentences (and list items), without empty ones."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def words(text: str) -> list[str]:
    """The words of a text, hyphenated compounds as one."""
    return _WORD.findall(text)


def plain_language_hints(text: str) -> list[PlainLanguageHint]:
    """The hints that apply to the text, in the order an editor would fix them."""
    hints: list[PlainLanguageHint] = []
    long_sentences = [s for s in sentences(text) if len(words(s)) > LONG_SENTENCE_WORDS]
    if long_sentences:
        hints.append(
            PlainLanguageHint(
                "long_sentences",
                f"{len(long_sentences)} zin(nen) met meer dan {LONG_SENTENCE_WORDS} woorden. "
                "Knip ze op: één boodschap per zin.",
            )
        )
    long_words = sorted({w for w in words(text) if len(w) >= LONG_WORD_LETTERS})
    if long_words:
        hints.append(
            PlainLanguageHint(
                "long_words",
                "Lange woorden: " + ", ".join(long_words[:5]) + ". Kies een korter of "
                "gewoner woord, of leg het woord uit.",
            )
        )
    lowered = text.lower()
    official = [word for word in OFFICIAL_WORDS if re.search(rf"\b{word}\b", lowered)]
    if official:
        hints.append(
            PlainLanguageHint(
                "official_words",
                "Ambtelijke woorden: "
                + ", ".join(f"{word} (beter: {OFFICIAL_WORDS[word]})" for word in official)
                + ".",
            )
        )
    if _PASSIVE.search(lowered):
        hints.append(
            PlainLanguageHint(
                "passive",
                "De tekst gebruikt de lijdende vorm (wordt/worden … ge…). Zeg wie iets doet: "
                "'De gemeente betaalt' in plaats van 'Er wordt betaald'.",
            )
        )
    if words(text) and not re.search(r"\b(u|uw|je|jij|jouw)\b", lowered):
        hints.append(
            PlainLanguageHint(
                "no_reader",
                "Spreek de lezer aan met 'u' (of 'je'): dan weet de lezer wat hij moet doen.",
            )
        )
    return hints
