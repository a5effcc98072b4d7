"""Belittling that shows in the shape of the text rather than in its words.

- Scare quotes around the customer's own word: "your 'cold' soup", "teidän "kylmä" kahvinne".
- A pet name as the whole salutation: "Dear, …", "Honey, …", "Kultaseni, …" (a salutation with a
  name, "Dear Anna,", is polite and is not matched).
"""

import re
from collections.abc import Iterator

_QUOTES = "'\"‘’“”«»"
SCARE_QUOTES = re.compile(
    rf"\b(?:your|the|teidän|sinun|ns\.)\s+[{_QUOTES}][^\W\d_]+(?:\s[^\W\d_]+)?[{_QUOTES}]"
    rf"(?:\s+[^\W\d_]+)?",
    re.IGNORECASE,
)
PET_NAME = re.compile(
    r"(?:^|(?<=[.!?]\s))(?:Dear|Honey|Sweetie|Sweetheart|Darling|Love|Hun|Kultaseni|Kulta"
    r"|Rakas|Muru|Ystäväiseni),",
)


def find(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, reason key) of each belittling shape."""
    for match in SCARE_QUOTES.finditer(text):
        yield match.start(), match.end(), "insult"
    for match in PET_NAME.finditer(text):
        yield match.start(), match.end() - 1, "condescend"
