"""Split a comment into plain and highlighted pieces: the words that drove its labels.

The stored evidence is the comment's own lower-case word tokens (theme words, and the opinion
words of each clause), so matching is by word form: every occurrence of an evidence word is
marked. Pure: the template escapes each piece.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from palaute.text.tokens import normalise

# The word pattern of tokens.py (letters with inner apostrophes or hyphens), on original text.
_WORD = re.compile(r"[^\W\d_]+(?:['\-\u2019][^\W\d_]+)*")


@dataclass(frozen=True)
class Mark:
    kind: str  # "theme", "positive" or "negative"
    title: str  # what the word stands for ("Schedules and delays", "negative word")


@dataclass(frozen=True)
class Piece:
    text: str
    mark: Mark | None = None


def marks_for(
    clauses: Iterable[dict],
    mentions: Iterable[tuple[str, Iterable[str]]],
    positive_title: str = "positive",
    negative_title: str = "negative",
) -> dict[str, Mark]:
    """Evidence word → mark. ``clauses`` are stored clause dicts (sentiment, score, evidence);
    ``mentions`` are (theme name, evidence words). A theme word wins over an opinion word."""
    marks: dict[str, Mark] = {}
    for clause in clauses:
        score = clause.get("score", 0) or 0
        if score == 0:
            continue
        mark = Mark("positive", positive_title) if score > 0 else Mark("negative", negative_title)
        for word in clause.get("evidence", []):
            marks.setdefault(normalise(word), mark)
    for name, words in mentions:
        for word in words:
            key = normalise(word)
            existing = marks.get(key)
            if existing is not None and existing.kind == "theme":
                if name not in existing.title.split(", "):
                    marks[key] = Mark("theme", f"{existing.title}, {name}")
            else:
                marks[key] = Mark("theme", name)
    return marks


def pieces(text: str, marks: dict[str, Mark]) -> list[Piece]:
    """The text cut into pieces, each evidence word its own marked piece."""
    if not marks:
        return [Piece(text)]
    out: list[Piece] = []
    at = 0
    for match in _WORD.finditer(text):
        mark = marks.get(normalise(match.group()))
        if mark is None:
            continue
        if match.start() > at:
            out.append(Piece(text[at : match.start()]))
        out.append(Piece(match.group(), mark))
        at = match.end()
    if at < len(text):
        out.append(Piece(text[at:]))
    return out
