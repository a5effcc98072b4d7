"""Split a comment's tokens into clauses, each carrying one opinion.

"hyvä ruoka mutta pitkä jono" holds two opinions, so sentence punctuation and contrastive
conjunctions end a clause. A comma ends one only softly: a piece with no opinion word of its own
("the food, which was great") is merged back into its neighbour.

Weights follow the usual contrast rule (as in VADER): what comes after "mutta/but" counts more
than what came before it in the sentence, a clause opened by "vaikka/although" counts less, and
"kuitenkin/however" strengthens its own clause.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from palaute.text.tokens import is_boundary

BEFORE_BUT = 0.5
AFTER_BUT = 1.5
CONCESSIVE = 0.5
MARKED = 1.5


@dataclass(slots=True)
class ClauseSpan:
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    weight: float = 1.0
    soft: bool = False  # began at a comma rather than at punctuation or a conjunction


def split_clauses(
    tokens: Sequence[str],
    contrast: Mapping[str, str],
    polar: Callable[[int, int], bool] | None = None,
) -> list[ClauseSpan]:
    """Clause spans over ``tokens``; ``contrast`` maps a word to "after", "before" or "marker".

    ``polar(start, end)`` says whether a span holds an opinion word; when given, a comma piece
    is merged into the clause before it unless both hold one.
    """
    spans: list[ClauseSpan] = []
    sentence_start = 0  # index in ``spans`` of the first clause of the current sentence
    current = ClauseSpan(0, 0)

    def close(at: int) -> None:
        nonlocal current
        current.end = at
        if current.end > current.start:
            spans.append(current)

    for i, token in enumerate(tokens):
        if is_boundary(token):
            close(i)
            current = ClauseSpan(i + 1, i + 1)
            sentence_start = len(spans)
        elif token == ",":
            close(i)
            current = ClauseSpan(i + 1, i + 1, soft=True)
        else:
            kind = contrast.get(token)
            if kind == "after":
                close(i)
                for earlier in spans[sentence_start:]:
                    earlier.weight *= BEFORE_BUT
                current = ClauseSpan(i, i, weight=AFTER_BUT)
            elif kind == "before":
                close(i)
                current = ClauseSpan(i, i, weight=CONCESSIVE)
            elif kind == "marker":
                current.weight *= MARKED
    close(len(tokens))
    return _merge_soft(spans, polar) if polar is not None else spans


def _merge_soft(spans: list[ClauseSpan], polar: Callable[[int, int], bool]) -> list[ClauseSpan]:
    """Join each comma piece to the clause before it unless both hold an opinion."""
    merged: list[ClauseSpan] = []
    for span in spans:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and span.soft
            and not (polar(span.start, span.end) and polar(previous.start, previous.end))
        ):
            previous.end = span.end
            previous.weight = max(previous.weight, span.weight)
        else:
            merged.append(span)
    return merged
