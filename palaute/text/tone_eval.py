"""Scoring the tone guard against labelled replies (the bench and the regression floor test).

A labelled reply has ``lang``, ``split``, ``text``, optional ``author_name``, ``categories``
(the set present) and ``spans`` (category, start, end). Three views are scored:

- **reply**: flagged at all vs. labelled with any category (what the person replying sees first);
- **category**: per reply and category, present vs. predicted (micro-averaged for "all");
- **span**: a labelled span counts as found when a flag of its category overlaps it, and a flag
  counts as right when it overlaps a labelled span of its category.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from palaute.text.tone import CATEGORIES, ToneFlag, check_reply


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Scores:
    replies: int = 0
    reply: Counts = field(default_factory=Counts)
    category: dict[str, Counts] = field(default_factory=lambda: {c: Counts() for c in CATEGORIES})
    span_found: Counts = field(default_factory=Counts)  # recall side
    span_right: Counts = field(default_factory=Counts)  # precision side

    @property
    def all_categories(self) -> Counts:
        total = Counts()
        for counts in self.category.values():
            total.tp += counts.tp
            total.fp += counts.fp
            total.fn += counts.fn
        return total

    @property
    def span_precision(self) -> float:
        return self.span_right.precision

    @property
    def span_recall(self) -> float:
        return self.span_found.recall


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def score_one(scores: Scores, row: dict, flags: Sequence[ToneFlag]) -> None:
    scores.replies += 1
    gold = set(row["categories"])
    predicted = {f.category for f in flags}
    scores.reply.add(bool(predicted), bool(gold))
    for category in CATEGORIES:
        scores.category[category].add(category in predicted, category in gold)
    for span in row["spans"]:
        hit = any(
            f.category == span["category"] and _overlaps(f.start, f.end, span["start"], span["end"])
            for f in flags
        )
        scores.span_found.add(hit, True)
    for flag in flags:
        right = any(
            flag.category == span["category"]
            and _overlaps(flag.start, flag.end, span["start"], span["end"])
            for span in row["spans"]
        )
        scores.span_right.add(True, right)


def run(rows: Iterable[dict]) -> dict[tuple[str, str], Scores]:
    """Scores per (language, split), plus ("all", split) and (language, "all")."""
    table: dict[tuple[str, str], Scores] = {}
    for row in rows:
        flags = check_reply(row["text"], row["lang"], author_name=row.get("author_name", ""))
        for key in (
            (row["lang"], row["split"]),
            ("all", row["split"]),
            (row["lang"], "all"),
            ("all", "all"),
        ):
            score_one(table.setdefault(key, Scores()), row, flags)
    return table
