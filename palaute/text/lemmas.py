"""Lemmas (simplemma, cached) and Finnish compound splitting against a known vocabulary.

simplemma is a dictionary lookup, but a comment repeats words that earlier comments used, so a
plain dict cache in front of it makes lemmatisation nearly free in bulk.
"""

from collections.abc import Container

import simplemma

_CACHE: dict[tuple[str, str], str] = {}
_CACHE_LIMIT = 500_000
_LEMMA_LANGS = frozenset({"fi", "en", "sv"})
MIN_HEAD = 3
MIN_TAIL = 4


def lemma(word: str, lang: str) -> str:
    key = (word, lang)
    found = _CACHE.get(key)
    if found is None:
        found = simplemma.lemmatize(word, lang=lang).lower() if lang in _LEMMA_LANGS else word
        # simplemma's Finnish data has a few lemmas with a stray full stop ("parhaita" → "paras.").
        found = found.rstrip(".") or word
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = found
    return found


def _known_form(part: str, lang: str, known: Container[str]) -> str | None:
    if part in known:
        return part
    base = lemma(part, lang)
    return base if base in known else None


def compound_parts(word: str, lang: str, known: Container[str]) -> tuple[str, ...]:
    """Known parts of a Finnish compound, head first: laskutusvirheen → (laskutus, virhe).

    The tail (the last part) carries the meaning and the inflection, so it must be known; the
    head is kept only when it is known too (asiakas+palvelija gives just palvelija). A head that
    is itself a compound is split once more. Returns () when no split is found.
    """
    if lang != "fi" or len(word) < MIN_HEAD + MIN_TAIL:
        return ()
    for cut in range(MIN_HEAD, len(word) - MIN_TAIL + 1):
        tail = _known_form(word[cut:], lang, known)
        if tail is None:
            continue
        head = word[:cut].rstrip("-")
        head_known = _known_form(head, lang, known)
        if head_known is not None:
            return (head_known, tail)
        inner = compound_parts(head, lang, known) if len(head) >= MIN_HEAD + MIN_TAIL else ()
        return (*inner, tail)
    return ()
