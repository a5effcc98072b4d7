"""Lemmatised phrase patterns for the tone guard: the pattern files and the matcher.

A reply is cut into tokens that keep their character offsets (so a flag can point into the
original text), each with its lower-case surface form and its simplemma lemma. Finnish is
matched on lemmas because one word has dozens of forms (vika, vikanne, vikaanne…), English
mostly on surface forms, with contractions split so "you should've" is "you should have".

Pattern files (``lexicons/tone/<lang>.txt``) have sections. ``[class NAME]`` lists the words of
a class (``@NAME`` in patterns). Every other section is ``[category reason flag…]`` with one
pattern per line, a pattern being token specs separated by spaces:

- ``word``   the token's surface form or its lemma is ``word`` (or ``word``'s own lemma)
- ``=word``  surface form only
- ``stem*``  the surface form or the lemma starts with ``stem``
- ``a|b*|=c`` any of these; ``@class`` a class; ``@2p`` a Finnish second-person form
  (te/sinä, a -nne/-si possessive suffix, a -tte verb); ``spec+2p`` both at once; ``@1p``
  and ``+1p`` the same for the first person (me, -mme)
- ``spec?``  optional token; ``!spec`` any word except these; ``~N`` skip up to N tokens
  (never across punctuation). Alternatives are single words: a phrase is several specs.

Flags change when a match counts:

- ``negatable``: not when a negator (``@neg``) comes up to four tokens before the match in the
  same clause or inside a skipped gap ("it was not your fault", "vika ei ollut teissä").
- ``hedged``: not when an effort or hedge word (``@hedge``) comes earlier in the sentence
  ("we will do our best so that it never happens again", "pyrimme siihen, ettei…").
- ``without=CLASS``: not when a word of that class comes earlier in the clause or inside the
  match ("meidän olisi pitänyt", "please let us know about your allergies").
- ``start``: only at the start of a sentence ("Actually, …").
"""

import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import NamedTuple

from palaute.text import lemmas

NEGATION_WINDOW = 4

# Words, numbers, the symbols some patterns need, and the punctuation that bounds gaps.
_TOKEN = re.compile(
    r"(?P<word>[^\W\d_]+(?:['\u2019][^\W\d_]+)*(?:-[^\W\d_]+)*)"
    r"|(?P<num>\d+(?:[.,:]\d+)*)"
    r"|(?P<sym>[%€#])"
    r"|(?P<stop>[.!?;:]+|\n)"
    r"|(?P<comma>[,()\[\]\"“”«»–—])"
)
# English contractions: the suffix after the apostrophe becomes its own token.
_SUFFIXES = {"re": "are", "ve": "have", "ll": "will", "m": "am", "d": "would", "s": "'s"}
_WHOLE = {"can't": ("can", "not"), "won't": ("will", "not"), "cannot": ("can", "not")}
_FI_WE = frozenset(
    [
        "me",
        "meidän",
        "meitä",
        "meille",
        "meillä",
        "meiltä",
        "meissä",
        "meistä",
        "meihin",
        "meidät",
        "minä",
        "minun",
        "minua",
        "minulle",
        "minulla",
        "minulta",
        "minussa",
        "minusta",
        "minuun",
        "minut",
    ]
)
_FI_YOU = frozenset(
    [
        "te",
        "teidän",
        "teitä",
        "teille",
        "teillä",
        "teiltä",
        "teissä",
        "teistä",
        "teihin",
        "teidät",
        "sinä",
        "sinun",
        "sinua",
        "sinulle",
        "sinulla",
        "sinulta",
        "sinussa",
        "sinusta",
        "sinuun",
        "sinut",
    ]
)


class Token(NamedTuple):
    start: int
    end: int
    surface: str
    lemma: str
    kind: str  # "word", "num", "sym", "stop" (ends a sentence) or "comma" (ends a clause)

    @property
    def matchable(self) -> bool:
        return self.kind in ("word", "num", "sym")


def _second_person(surface: str, lemma: str) -> bool:
    """Finnish second person: a pronoun, a possessive suffix (vikanne, allergiasi) or a verb
    ending (luitte, olette). The suffix check leaves out words whose lemma ends the same way
    (tilanne, uusi) and the translative -ksi (ilmaiseksi)."""
    if surface in _FI_YOU:
        return True
    if surface == lemma:
        return False
    if surface.endswith(("nne", "nnekin", "nnehan")) and not lemma.endswith("nne"):
        return True
    if surface.endswith("si") and not surface.endswith("ksi") and not lemma.endswith("si"):
        return True
    return surface.endswith(("tte", "ttekin", "ttekö")) and not lemma.endswith("tte")


def _first_person(surface: str, lemma: str) -> bool:
    """Finnish first person: a pronoun, or a -mme ending (henkilökuntamme, pahoittelemme)."""
    if surface in _FI_WE:
        return True
    return surface != lemma and surface.endswith(("mme", "mmekin")) and not lemma.endswith("mme")


def tokenise(text: str, lang: str) -> list[Token]:
    out: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "word"
        start, end = match.span()
        surface = match.group().lower().replace("\u2019", "'")
        if kind != "word":
            out.append(Token(start, end, surface, surface, kind))
            continue
        if lang == "en" and ("'" in surface or surface in _WHOLE):
            out.extend(_split_contraction(surface, start, end))
            continue
        out.append(Token(start, end, surface, lemmas.lemma(surface, lang), kind))
    return out


def _split_contraction(surface: str, start: int, end: int) -> list[Token]:
    if surface in _WHOLE:
        first, second = _WHOLE[surface]
        cut = start + len(surface) - 3
        return [Token(start, cut, first, first, "word"), Token(cut, end, second, second, "word")]
    if surface.endswith("n't"):
        cut = end - 3
        head = surface[:-3]
        return [
            Token(start, cut, head, lemmas.lemma(head, "en"), "word"),
            Token(cut, end, "not", "not", "word"),
        ]
    head, _, tail = surface.rpartition("'")
    if tail in _SUFFIXES:
        cut = start + len(head)
        word = _SUFFIXES[tail]
        return [
            Token(start, cut, head, lemmas.lemma(head, "en"), "word"),
            Token(cut, end, word, lemmas.lemma(word, "en") if word != "'s" else word, "word"),
        ]
    return [Token(start, end, surface, lemmas.lemma(surface, "en"), "word")]


@dataclass(frozen=True)
class Spec:
    """One token position of a pattern. ``keys`` are the alternatives, expanded from classes:
    "word" (surface or lemma), "=word" (surface), "*stem" (prefix), "@2p"/"@1p"."""

    keys: frozenset[str] = frozenset()
    need_2p: bool = False  # "+2p": the token must also be a second-person form
    need_1p: bool = False
    optional: bool = False
    negated: bool = False  # "!a|b": any word but these
    gap: int = 0  # "~N": skip up to N tokens; a gap spec matches nothing itself

    def matches(self, keys: frozenset[str] | None) -> bool:
        if keys is None:
            return False
        if self.need_2p and "@2p" not in keys or self.need_1p and "@1p" not in keys:
            return False
        if self.negated:
            return self.keys.isdisjoint(keys)
        return not self.keys or not self.keys.isdisjoint(keys)


@dataclass(frozen=True)
class Pattern:
    category: str
    reason: str
    specs: tuple[Spec, ...]
    negatable: bool = False
    hedged: bool = False
    without: str = ""
    at_start: bool = False
    source: str = ""  # the line as written, for debugging and the tests

    @cached_property
    def required(self) -> tuple[Spec, ...]:
        """Specs that must match some word of the reply for the pattern to have a chance."""
        return tuple(s for s in self.specs if s.keys and not (s.optional or s.gap or s.negated))


@dataclass
class RuleSet:
    lang: str
    classes: dict[str, Spec] = field(default_factory=dict)
    patterns: list[Pattern] = field(default_factory=list)
    # Indexes of the patterns whose first spec accepts a key.
    by_first: dict[str, list[int]] = field(default_factory=dict)
    prefixes: frozenset[str] = frozenset()
    prefix_lengths: tuple[int, ...] = ()
    _words: dict[str, tuple[frozenset[str], tuple[int, ...]]] = field(
        default_factory=dict, repr=False
    )

    def index(self) -> None:
        self.by_first.clear()
        self._words.clear()
        stems: set[str] = set()
        for number, pattern in enumerate(self.patterns):
            for spec in pattern.specs:
                stems |= {k[1:] for k in spec.keys if k[0] == "*"}
            first = pattern.specs[0]
            if first.optional or first.gap or first.negated:
                raise ValueError(f"a tone pattern must start with a word: {pattern.source!r}")
            first_keys = first.keys or {"@2p" if first.need_2p else "@1p"}
            for key in first_keys:
                self.by_first.setdefault(key, []).append(number)
        for spec in self.classes.values():
            stems |= {k[1:] for k in spec.keys if k[0] == "*"}
        self.prefixes = frozenset(stems)
        self.prefix_lengths = tuple(sorted({len(s) for s in stems}))

    def word(self, token: Token) -> tuple[frozenset[str], tuple[int, ...]]:
        """What a word offers to specs, and the patterns that may start at it (cached by
        surface form, which fixes the lemma)."""
        found = self._words.get(token.surface)
        if found is None:
            keys = {token.surface, token.lemma, "=" + token.surface}
            for form in (token.surface, token.lemma):
                for cut in self.prefix_lengths:
                    if cut <= len(form) and form[:cut] in self.prefixes:
                        keys.add("*" + form[:cut])
            if self.lang == "fi":
                if _second_person(token.surface, token.lemma):
                    keys.add("@2p")
                if _first_person(token.surface, token.lemma):
                    keys.add("@1p")
            starts = sorted({n for key in keys for n in self.by_first.get(key, ())})
            found = (frozenset(keys), tuple(starts))
            if len(self._words) >= 200_000:
                self._words.clear()
            self._words[token.surface] = found
        return found


def _alternatives(text: str, lang: str) -> tuple[set[str], list[str]]:
    """Keys and class names of one spec's alternatives."""
    keys: set[str] = set()
    classes: list[str] = []
    for alt in text.split("|"):
        if alt in ("@2p", "@1p"):
            keys.add(alt)
        elif alt.startswith("@"):
            classes.append(alt[1:])
        elif alt.startswith("=") or alt.startswith("*"):
            keys.add(alt)
        elif alt.endswith("*"):
            keys.add("*" + alt[:-1])
        elif alt:
            keys.add(alt)
            # The word's own lemma too, so a pattern may be written in any form.
            if alt.isalpha():
                keys.add(lemmas.lemma(alt, lang))
    return keys, classes


def _parse_spec(text: str, lang: str, classes: dict[str, Spec]) -> Spec:
    if text.startswith("~"):
        return Spec(gap=int(text[1:]))
    optional = text.endswith("?") and len(text) > 1
    text = text[:-1] if optional else text
    negated = text.startswith("!")
    text = text[1:] if negated else text
    # "+2p" on any alternative asks the same of the whole spec ("allergi*+2p|keliaki*+2p").
    need_2p, need_1p = "+2p" in text, "+1p" in text
    keys, names = _alternatives(text.replace("+2p", "").replace("+1p", ""), lang)
    for name in names:
        if name not in classes:
            raise ValueError(f"unknown tone class @{name} in {text!r}")
        keys |= classes[name].keys
    return Spec(
        keys=frozenset(keys),
        need_2p=need_2p,
        need_1p=need_1p,
        optional=optional,
        negated=negated,
    )


def parse(text: str, lang: str) -> RuleSet:
    """A rule set from a pattern file. Classes may be used only after their section."""
    rules = RuleSet(lang=lang, classes={"neg": Spec(), "hedge": Spec()})
    header: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            header = line[1:-1].split()
            continue
        if not header:
            raise ValueError(f"tone pattern outside a section: {raw!r}")
        if header[0] == "class":
            spec = _parse_spec("|".join(line.split()), lang, rules.classes)
            old = rules.classes.get(header[1], Spec())
            rules.classes[header[1]] = Spec(keys=old.keys | spec.keys)
            continue
        category, reason, *flags = header
        without = next((f.split("=", 1)[1] for f in flags if f.startswith("without=")), "")
        if without and without not in rules.classes:
            raise ValueError(f"unknown tone class {without!r} in [{' '.join(header)}]")
        rules.patterns.append(
            Pattern(
                category=category,
                reason=reason,
                specs=tuple(_parse_spec(part, lang, rules.classes) for part in line.split()),
                negatable="negatable" in flags,
                hedged="hedged" in flags,
                without=without,
                at_start="start" in flags,
                source=line,
            )
        )
    rules.index()
    return rules


@cache
def load(lang: str) -> RuleSet:
    """The rule set of a language; languages without a pattern file get none."""
    if lang not in ("fi", "en"):
        return parse("", lang)
    try:
        folder = resources.files("palaute.text.lexicons").joinpath("tone")
        text = folder.joinpath(f"{lang}.txt").read_text("utf-8")
    except FileNotFoundError:
        text = ""
    return parse(text, lang)


@dataclass(frozen=True)
class Hit:
    pattern: Pattern
    first: int  # token indexes, inclusive
    last: int


def _extend(
    specs: tuple[Spec, ...], si: int, keys: list[frozenset[str] | None], ti: int, gaps: list[int]
) -> tuple[int, list[int]] | None:
    """Match specs[si:] from token ti on; returns the index after the last token matched and
    the indexes of skipped tokens, or None. Gaps take as few tokens as they can and never
    cross punctuation (a token without keys)."""
    if si == len(specs):
        return ti, gaps
    spec = specs[si]
    if spec.gap:
        for skip in range(spec.gap + 1):
            end = ti + skip
            if end > len(keys) or (skip and keys[end - 1] is None):
                return None
            found = _extend(specs, si + 1, keys, end, gaps + list(range(ti, end)) if skip else gaps)
            if found is not None:
                return found
        return None
    if ti < len(keys) and spec.matches(keys[ti]):
        found = _extend(specs, si + 1, keys, ti + 1, gaps)
        if found is not None:
            return found
    if spec.optional:
        return _extend(specs, si + 1, keys, ti, gaps)
    return None


def _clause(tokens: list[Token], first: int, last: int) -> range:
    start = first
    while start > 0 and tokens[start - 1].matchable:
        start -= 1
    end = last
    while end + 1 < len(tokens) and tokens[end + 1].matchable:
        end += 1
    return range(start, end + 1)


def _cancelled(
    hit: Hit,
    gaps: list[int],
    tokens: list[Token],
    keys: list[frozenset[str] | None],
    rules: RuleSet,
) -> bool:
    pattern = hit.pattern
    if pattern.at_start and hit.first > 0 and tokens[hit.first - 1].kind != "stop":
        return True
    if pattern.negatable and rules.classes["neg"].keys:
        neg = rules.classes["neg"]
        at, before = hit.first - 1, 0
        while at >= 0 and before < NEGATION_WINDOW and keys[at] is not None:
            if neg.matches(keys[at]):
                return True
            at, before = at - 1, before + 1
        if any(neg.matches(keys[i]) for i in gaps):
            return True
    if pattern.hedged and rules.classes["hedge"].keys:
        hedge = rules.classes["hedge"]
        at = hit.first - 1
        while at >= 0 and tokens[at].kind != "stop":
            if hedge.matches(keys[at]):
                return True
            at -= 1
    if pattern.without:
        other = rules.classes[pattern.without]
        clause = _clause(tokens, hit.first, hit.last)
        if any(other.matches(keys[i]) for i in range(clause.start, hit.last + 1)):
            return True
    return False


def find(tokens: list[Token], rules: RuleSet) -> list[Hit]:
    """Every pattern match that its flags let count, leftmost first."""
    words = [rules.word(token) if token.matchable else None for token in tokens]
    keys = [w[0] if w is not None else None for w in words]
    present: set[str] = set().union(*(k for k in keys if k is not None))
    # A pattern that needs a word the reply does not have at all is not tried anywhere.
    viable: dict[int, bool] = {}
    hits: list[Hit] = []
    for ti, word in enumerate(words):
        if word is None:
            continue
        for number in word[1]:
            ok = viable.get(number)
            if ok is None:
                required = rules.patterns[number].required
                ok = viable[number] = all(not s.keys.isdisjoint(present) for s in required)
            if not ok:
                continue
            pattern = rules.patterns[number]
            found = _extend(pattern.specs, 0, keys, ti, [])
            if found is None:
                continue
            end, gaps = found
            hit = Hit(pattern, ti, end - 1)
            inner = [g for g in gaps if ti < g < end - 1]
            if not _cancelled(hit, inner, tokens, keys, rules):
                hits.append(hit)
    return hits
