"""How many SMS segments a text costs (3GPP TS 23.038 and 23.040).

An SMS carries 140 bytes. Text in the GSM 7-bit default alphabet fits 160 characters; the
characters of its extension table (``^ { } [ ] ~ \\ | €`` and form feed) take two, an escape
and the character. A text with any character outside both tables is sent as UCS-2 (UTF-16),
70 code units, and a character outside the Basic Multilingual Plane (most emoji) takes two.

A longer text is split into concatenated segments, each losing room to the header that joins
them: 153 septets for GSM-7, 67 code units for UCS-2. A two-unit character is never split
between segments, so a segment may hold one less.

Finnish and Swedish letters (ä ö å Ä Ö Å é ü) are all in the GSM-7 alphabet; typographic
quotes and dashes (’ “ ” –) are not, and one of them turns a whole message into UCS-2, which
``analyse`` reports in ``ucs2_characters``.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7 = "GSM-7"
UCS2 = "UCS-2"
SINGLE = {GSM7: 160, UCS2: 70}
MULTI = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # GSM-7 or UCS-2
    characters: int  # as the person sees them
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    unit_limit: int  # units one segment holds at this length: 160/153 or 70/67
    remaining: int  # units left in the last segment
    ucs2_characters: tuple[str, ...] = ()  # the characters that forced UCS-2, in order


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _unit_costs(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _segments(costs: list[int], per_segment: int) -> tuple[int, int]:
    """(segments, units used in the last one), filling greedily without splitting a
    two-unit character."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments, used = segments + 1, 0
        used += cost
    return segments, used


def analyse(text: str) -> SmsCount:
    encoding = GSM7 if is_gsm7(text) else UCS2
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    forcing = tuple(dict.fromkeys(ch for ch in text if not is_gsm7(ch)))
    if units == 0:
        return SmsCount(encoding, 0, 0, 0, SINGLE[encoding], SINGLE[encoding], forcing)
    if units <= SINGLE[encoding]:
        return SmsCount(
            encoding, len(text), units, 1, SINGLE[encoding], SINGLE[encoding] - units, forcing
        )
    segments, used = _segments(costs, MULTI[encoding])
    limit = MULTI[encoding]
    return SmsCount(encoding, len(text), units, segments, limit, limit - used, forcing)
