"""The shipped word lists of one language, and the cached facts about each word they give.

Files in ``lexicons/``: ``themes_XX.txt`` (theme key → lemmas), ``sentiment_XX.txt`` (our own
valences), ``rules_XX.txt`` (negators, intensifiers, contrast words) and AFINN (Apache 2.0,
licence beside it) as the broad base that our lists override.
"""

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from palaute.text import lemmas

THEME_KEYS = (
    "effortlessness",
    "communication",
    "responsiveness",
    "promises",
    "staff",
    "product_quality",
    "price_value",
    "tools_systems",
    "schedule",
    "environment_respect",
    "ambience",
)
_LEXICON_LANGS = frozenset({"fi", "en"})
_NO_THEMES: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class WordInfo:
    """What the lexicons say about one token, after lemmatisation and compound splitting."""

    lemma: str
    parts: tuple[str, ...] = ()
    valence: float = 0.0
    negated_valence: float = 0.0
    themes: frozenset[str] = _NO_THEMES
    negator: bool = False
    intensity: float = 1.0
    contrast: str = ""  # "after" (mutta/but), "before" (vaikka/although), "marker" (kuitenkin)


def _lines(name: str) -> list[str]:
    try:
        text = resources.files("palaute.text.lexicons").joinpath(name).read_text("utf-8")
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _sections(name: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in _lines(name):
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections.setdefault(current, [])
        else:
            sections.setdefault(current, []).append(line)
    return sections


def _valences(name: str) -> dict[str, float]:
    table: dict[str, float] = {}
    for line in _lines(name):
        word, _, value = line.rpartition("\t" if "\t" in line else " ")
        if word and " " not in word:
            table[word.lower()] = float(value)
    return table


@dataclass
class Lexicon:
    lang: str
    theme_words: dict[str, frozenset[str]] = field(default_factory=dict)
    theme_stems: dict[str, frozenset[str]] = field(default_factory=dict)
    theme_phrases: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    valence: dict[str, float] = field(default_factory=dict)
    negated: dict[str, float] = field(default_factory=dict)
    negators: frozenset[str] = frozenset()
    intensifiers: dict[str, float] = field(default_factory=dict)
    contrast: dict[str, str] = field(default_factory=dict)
    _cache: dict[str, WordInfo] = field(default_factory=dict, repr=False)
    _known: set[str] = field(default_factory=set, repr=False)

    @property
    def known(self) -> set[str]:
        """Lemmas a compound part must match to count (themes and our own sentiment words)."""
        return self._known

    def add_theme_word(self, entry: str, key: str) -> None:
        entry = entry.lower().strip()
        if entry.endswith("*"):
            self.theme_stems[entry[:-1]] = self.theme_stems.get(entry[:-1], _NO_THEMES) | {key}
        elif " " in entry:
            first, second = (lemmas.lemma(w, self.lang) for w in entry.split()[:2])
            pair = (first, second)
            self.theme_phrases[pair] = self.theme_phrases.get(pair, _NO_THEMES) | {key}
        else:
            for form in {entry, lemmas.lemma(entry, self.lang)}:
                self.theme_words[form] = self.theme_words.get(form, _NO_THEMES) | {key}

    def finish(self, own_sentiment: set[str]) -> None:
        self._known = set(self.theme_words) | own_sentiment
        self._cache.clear()

    def _themes_of(self, forms: tuple[str, ...]) -> frozenset[str]:
        found = _NO_THEMES
        for form in forms:
            found = found | self.theme_words.get(form, _NO_THEMES)
            for stem, keys in self.theme_stems.items():
                if form.startswith(stem):
                    found = found | keys
        return found

    def _valence_of(self, forms: tuple[str, ...]) -> float:
        for form in forms:
            if form in self.valence:
                return self.valence[form]
        return 0.0

    def word(self, token: str) -> WordInfo:
        """Cached facts about one lower-case word token."""
        info = self._cache.get(token)
        if info is None:
            info = self._describe(token)
            if len(self._cache) >= 500_000:
                self._cache.clear()
            self._cache[token] = info
        return info

    def _describe(self, token: str) -> WordInfo:
        base = lemmas.lemma(token, self.lang)
        parts: tuple[str, ...] = ()
        if token not in self._known:
            # simplemma sometimes lemmatises a compound to its head (laskutusvirhe → laskutus),
            # so the surface form is split too when the lemma alone says nothing new.
            if base not in self._known:
                parts = lemmas.compound_parts(base, self.lang, self._known)
            parts = parts or lemmas.compound_parts(token, self.lang, self._known)
        # The tail of a compound carries its sentiment (laskutus+virhe → virhe).
        forms = (token, base, *reversed(parts))
        bare = token.replace("'", "")
        negator = token in self.negators or bare in self.negators or token.endswith("n't")
        return WordInfo(
            lemma=base,
            parts=parts,
            # A negator is only a negator: AFINN's own valence for "ei"/"no" would double count.
            valence=0.0 if negator else self._valence_of(forms),
            negated_valence=self.negated.get(base, self.negated.get(token, 0.0)),
            themes=self._themes_of(forms),
            negator=negator,
            intensity=self.intensifiers.get(token, self.intensifiers.get(base, 1.0)),
            contrast=self.contrast.get(token, ""),
        )


@cache
def load(lang: str) -> Lexicon:
    """The lexicon of a language; languages without shipped lists get an empty one."""
    lexicon = Lexicon(lang=lang)
    if lang not in _LEXICON_LANGS:
        lexicon.finish(set())
        return lexicon
    for key, entries in _sections(f"themes_{lang}.txt").items():
        for entry in entries:
            lexicon.add_theme_word(entry, key)
    afinn = _valences(f"AFINN-{lang}-165.txt")
    own = _valences(f"sentiment_{lang}.txt")
    for table in (afinn, own):  # our own list wins where both have a word
        for word, valence in table.items():
            lexicon.valence[word] = valence
            lexicon.valence.setdefault(lemmas.lemma(word, lang), valence)
    rules = _sections(f"rules_{lang}.txt")
    lexicon.negators = frozenset(rules.get("negators", []))
    for line in rules.get("intensifiers", []):
        word, factor = line.split()
        lexicon.intensifiers[word] = float(factor)
    for line in rules.get("negated", []):
        word, when_negated = line.split()
        lexicon.negated[word] = float(when_negated)
    for kind in ("after", "before", "marker"):
        for word in rules.get(f"contrast_{kind}", []):
            lexicon.contrast[word] = kind
    lexicon.finish(set(own) | {lemmas.lemma(w, lang) for w in own})
    return lexicon
