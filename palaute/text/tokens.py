"""Split text into lower-case tokens: words, emoticons and the punctuation that ends clauses."""

import re

# Emoticons first so ":)" is not read as a colon; words keep inner apostrophes and hyphens
# ("didn't", "hinta-laatusuhde"); "." "!" "?" ";" "," and newlines survive for clause splitting.
_TOKEN = re.compile(
    r"[:;]-?[()dp]|[^\W\d_]+(?:['\-][^\W\d_]+)*|\d+(?:[.,]\d+)?|[.!?;]+|,|\n",
)
CLAUSE_END = frozenset({".", "!", "?", ";", "\n"})
EMOTICONS = {":)": 2.0, ":-)": 2.0, ":d": 3.0, ":-d": 3.0, ";)": 1.0, ":(": -2.0, ":-(": -2.0}


def normalise(text: str) -> str:
    # Curly apostrophes become straight ones so "don’t" and "don't" are one token.
    return text.lower().replace("\u2019", "'")


def tokenise(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


def is_word(token: str) -> bool:
    return token[0].isalpha()


def is_boundary(token: str) -> bool:
    """Sentence-ending punctuation (any run of . ! ? ;) or a newline."""
    return token[0] in ".!?;\n"
