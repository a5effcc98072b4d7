"""Which language a comment is in: Finnish, English or Swedish.

A vote of common function words decides clear cases for free (most comments); lingua, limited
to fi/en/sv and built once on first use, decides the rest. Text too short to tell falls back to
the survey's language, because two words are not enough evidence for any detector.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any

SUPPORTED = ("fi", "en", "sv")
MIN_WORDS = 3

_FUNCTION_WORDS = {
    "fi": frozenset(
        [
            "ja",
            "on",
            "oli",
            "ei",
            "en",
            "et",
            "se",
            "että",
            "mutta",
            "kun",
            "niin",
            "myös",
            "vain",
            "ole",
            "olla",
            "ollut",
            "olen",
            "olisi",
            "tai",
            "joka",
            "kuin",
            "mitä",
            "minä",
            "me",
            "te",
            "he",
            "hän",
            "sitä",
            "tämä",
            "oli",
            "ovat",
            "erittäin",
            "todella",
            "hyvin",
            "ihan",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "and",
            "is",
            "was",
            "were",
            "are",
            "not",
            "but",
            "with",
            "for",
            "to",
            "of",
            "it",
            "this",
            "that",
            "you",
            "we",
            "they",
            "very",
            "have",
            "had",
            "has",
            "be",
            "been",
            "my",
            "our",
            "your",
            "at",
            "on",
            "in",
            "an",
            "a",
            "i",
        ]
    ),
    "sv": frozenset(
        [
            "och",
            "är",
            "var",
            "inte",
            "men",
            "med",
            "för",
            "att",
            "det",
            "den",
            "som",
            "jag",
            "vi",
            "ni",
            "de",
            "mycket",
            "har",
            "hade",
            "en",
            "ett",
            "på",
            "till",
            "av",
            "om",
            "så",
            "bra",
        ]
    ),
}


def vote(words: Sequence[str]) -> str | None:
    """The language whose function words clearly dominate, or None when the vote is close."""
    counts = {lang: sum(1 for w in words if w in fw) for lang, fw in _FUNCTION_WORDS.items()}
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= 2 and top >= 3 * second:
        return best
    return None


@cache
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.FINNISH, Language.ENGLISH, Language.SWEDISH
    ).build()


def detect_with_lingua(text: str) -> str | None:
    found = _detector().detect_language_of(text)
    return None if found is None else found.iso_code_639_1.name.lower()


def detect(text: str, words: Sequence[str], fallback: str = "fi") -> str:
    """Language of ``text``; ``words`` are its lower-case word tokens."""
    if len(words) < MIN_WORDS:
        return fallback
    return vote(words) or detect_with_lingua(text) or fallback
