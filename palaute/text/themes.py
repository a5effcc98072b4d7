"""Themes per clause: which CX themes a clause mentions, with that clause's sentiment, and the
words that matched (for highlighting). Organisation-defined themes add their own keywords."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from palaute.text import lemmas
from palaute.text.lexicon import Lexicon, WordInfo
from palaute.text.sentiment import combine_labels


@dataclass(frozen=True, slots=True)
class ThemeHit:
    key: str
    sentiment: str
    evidence: tuple[str, ...]  # the words that named the theme
    opinion_words: tuple[str, ...] = ()  # the words that gave it its sentiment
    source: str = "rule"  # rule | model | user
    confidence: float = 1.0


@dataclass
class UserThemes:
    """An organisation's own themes: lemma (or two-lemma phrase) → theme keys, per language."""

    words: dict[str, set[str]] = field(default_factory=dict)
    phrases: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, themes: Iterable[tuple[str, Iterable[str]]]) -> "UserThemes":
        """``themes`` is (key, keywords); each keyword is lemmatised in Finnish and English."""
        built = cls()
        for key, keywords in themes:
            for keyword in keywords:
                words = keyword.lower().split()
                if not words:
                    continue
                for lang in ("fi", "en"):
                    forms = [lemmas.lemma(w, lang) for w in words]
                    if len(forms) == 1:
                        for form in {words[0], forms[0]}:
                            built.words.setdefault(form, set()).add(key)
                    else:
                        built.phrases.setdefault((forms[0], forms[1]), set()).add(key)
        return built

    def keys_of(self, token: str, info: WordInfo) -> set[str]:
        found: set[str] = set()
        for form in (token, info.lemma, *info.parts):
            found |= self.words.get(form, set())
        return found


@dataclass(slots=True)
class _Found:
    evidence: list[str] = field(default_factory=list)
    opinions: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def detect(
    tokens: Sequence[str],
    infos: Sequence[WordInfo | None],
    clauses: Sequence[tuple[int, int, str, tuple[int, ...]]],
    lexicon: Lexicon,
    user: UserThemes | None = None,
) -> list[ThemeHit]:
    """Theme hits for a comment; ``clauses`` are (start, end, label, opinion token indices)."""
    found: dict[str, _Found] = {}
    phrases = lexicon.theme_phrases
    user_phrases = user.phrases if user is not None else {}
    for start, end, label, opinion in clauses:
        in_clause: dict[str, list[str]] = {}
        previous: WordInfo | None = None
        for i in range(start, end):
            info = infos[i]
            if info is None:
                previous = None
                continue
            keys: set[str] = set(info.themes)
            if user is not None:
                keys |= user.keys_of(tokens[i], info)
            if previous is not None and (phrases or user_phrases):
                pair = (previous.lemma, info.lemma)
                keys |= phrases.get(pair, set()) | user_phrases.get(pair, set())
            for key in keys:
                in_clause.setdefault(key, []).append(tokens[i])
            previous = info
        for key, words in in_clause.items():
            entry = found.setdefault(key, _Found())
            entry.evidence.extend(words)
            entry.opinions.extend(tokens[i] for i in opinion)
            entry.labels.append(label)
    return [
        ThemeHit(
            key=key,
            sentiment=combine_labels(entry.labels),
            evidence=tuple(dict.fromkeys(entry.evidence)),
            opinion_words=tuple(dict.fromkeys(entry.opinions)),
        )
        for key, entry in found.items()
    ]
