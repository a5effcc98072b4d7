"""Tone guard: wording in a public reply to a review that the business will regret.

Five categories (docs/text-analytics.md, "Tone guard"): **blame** (the customer caused it),
**belittle** (mocking, talking down, dismissing), **argue** (contradicting the customer,
calling them a liar, threats), **personal_data** (the customer's contact details, reference
numbers, health, a surname they did not give) and **overpromise** ("it will never happen
again", "free coffee for life").

It warns and never blocks: a rule cannot know that the customer really did give the wrong
address, and the person replying may have a good reason. Rules rather than a model, because a
warning must point at the exact words and say why, and because the phrasing that hurts is
specific enough to write down (seeds/000: never trash a customer in public).

``check_reply`` is pure and fast (well under 5 ms for a 1,000-character reply once the lemma
dictionaries are loaded); reasons are translated when the flags are made, so they follow the
active language.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import simplemma
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from palaute.text import language, tone_personal, tone_rules, tone_shapes

CATEGORIES = ("blame", "belittle", "argue", "personal_data", "overpromise")
LANGUAGES = ("fi", "en")

CATEGORY_NAMES = {
    "blame": _("Blames the customer"),
    "belittle": _("Belittles the customer"),
    "argue": _("Argues with the customer"),
    "personal_data": _("Discloses personal details"),
    "overpromise": _("Promises too much"),
}

REASONS = {
    # blame
    "fault": _("Says the problem was the customer's own fault."),
    "hindsight": _("Tells the customer what they should have done; readers hear blame."),
    "omission": _("Points to something the customer did or failed to do as the cause."),
    # belittle
    "insult": _("An insulting or mocking word about the customer or their review."),
    "condescend": _("Talks down to the customer, as if they could not understand."),
    "dismiss": _("Dismisses the customer's experience or feelings."),
    "compare": _("Compares the customer unfavourably with other customers."),
    "turn_away": _("Tells the customer to go elsewhere."),
    # argue
    "deny": _("Contradicts the customer's account in public."),
    "accuse": _("Accuses the customer of lying or of writing a false review."),
    "evidence": _("Cites records or camera footage against the customer; settle it privately."),
    "deflect": _("Flatly denies any responsibility."),
    "threat": _("Threatens legal action or pressures the customer to remove the review."),
    "lecture": _("Lectures the customer about the rules instead of answering the experience."),
    # personal data
    "phone": _("A phone number that may be the customer's; never publish it."),
    "email": _("An e-mail address that may be the customer's; never publish it."),
    "address": _("A street address that may be the customer's; never publish it."),
    "reference": _("An order, booking or customer number ties the review to a person."),
    "id_number": _("A personal identity, card or bank account number."),
    "plate": _("A licence plate identifies the customer."),
    "room": _("A room number tells everyone where the guest sleeps."),
    "health": _("A health detail about the customer; health data is sensitive."),
    "full_name": _("The customer's full name; reply with the name they used themselves."),
    # overpromise
    "never_again": _("Promises it will never happen again; no one can guarantee that."),
    "guarantee": _("An absolute guarantee the business may not be able to keep."),
    "always": _("Promises it will always be so; one slip makes the reply look false."),
    "for_life": _("An open-ended offer (for life, forever) the business cannot honour."),
    "perfect": _("Promises perfection: no mistakes, 100 %."),
}


@dataclass(frozen=True)
class ToneFlag:
    start: int
    end: int
    text: str
    category: str
    reason: str


def reply_language(text: str) -> str:
    """Finnish or English (or Swedish, which gets only the personal-detail checks): a vote of
    common function words, and when that is close, simplemma's share of known words per
    language. No statistical detector: a reply is checked while someone types it, and
    loading one would cost seconds on the first call."""
    words = [t.surface for t in tone_rules.tokenise(text, "") if t.kind == "word"]
    found = language.vote(words)
    if found is not None:
        return found
    ranked = simplemma.langdetect(text, lang=LANGUAGES)
    return ranked[0][0] if ranked and ranked[0][0] in LANGUAGES and ranked[0][1] > 0 else "fi"


def check_reply(text: str, language: str | None = None, *, author_name: str = "") -> list[ToneFlag]:
    """Flags for a reply, ordered by position.

    ``language`` is "fi" or "en", detected when None; another language gets only the checks
    that need no word lists (contact details, reference numbers, scare quotes).
    ``author_name``, the name the reviewer shows, lets the guard notice a reply that adds the
    surname the reviewer left out ("Matti V." answered with "Matti Virtanen")."""
    if not text.strip():
        return []
    lang = (language or reply_language(text))[:2].lower()  # "fi-FI" is Finnish
    if lang not in LANGUAGES:
        lang = ""  # no word lists: personal details and shapes only
    rules = tone_rules.load(lang)
    tokens = tone_rules.tokenise(text, lang)
    raw: list[tuple[int, int, str, str]] = []
    for hit in tone_rules.find(tokens, rules):
        first, last = tokens[hit.first], tokens[hit.last]
        raw.append((first.start, last.end, hit.pattern.category, hit.pattern.reason))
    for start, end, reason in tone_shapes.find(text):
        raw.append((start, end, "belittle", reason))
    for detail in tone_personal.find(text, author_name):
        raw.append((detail.start, detail.end, "personal_data", detail.reason))
    return [
        ToneFlag(start, end, text[start:end], category, str(REASONS.get(reason, reason)))
        for start, end, category, reason in _merge(raw)
    ]


def warm() -> None:
    """Load the pattern files and simplemma's dictionaries now (a few seconds of CPU once per
    process) instead of in the first request that checks a reply."""
    for lang in LANGUAGES:
        check_reply("Kiitos palautteesta." if lang == "fi" else "Thank you.", lang)


def _merge(raw: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """One flag per overlapping stretch of one category (the first reason found wins)."""
    merged: list[tuple[int, int, str, str]] = []
    for category in CATEGORIES:
        spans = sorted(r for r in raw if r[2] == category)
        for start, end, _cat, reason in spans:
            if merged and merged[-1][2] == category and start < merged[-1][1]:
                prev = merged[-1]
                merged[-1] = (prev[0], max(prev[1], end), category, prev[3])
            else:
                merged.append((start, end, category, reason))
    return sorted(merged, key=lambda r: (r[0], r[1]))


def categories(flags: Iterable[ToneFlag]) -> set[str]:
    return {flag.category for flag in flags}


def highlight(text: str, flags: Sequence[ToneFlag]) -> SafeString:
    """The reply as HTML, each flagged stretch in ``<mark class="tone-flag tone-<category>"
    title="reason">``; everything else escaped. Where flags overlap, the overlap is one mark
    that carries every category and reason."""
    cuts = sorted({0, len(text), *(f.start for f in flags), *(f.end for f in flags)})
    runs: list[tuple[tuple[ToneFlag, ...], int, int]] = []  # (covering flags, start, end)
    for start, end in zip(cuts, cuts[1:], strict=False):
        over = tuple(f for f in flags if f.start <= start and end <= f.end)
        if runs and runs[-1][0] == over:
            runs[-1] = (over, runs[-1][1], end)
        else:
            runs.append((over, start, end))
    out: list[str] = []
    for over, start, end in runs:
        piece = escape(text[start:end])
        if not over:
            out.append(piece)
            continue
        classes = " ".join(dict.fromkeys(f"tone-{f.category}" for f in over))
        title = " ".join(dict.fromkeys(f.reason for f in over))
        out.append(f'<mark class="tone-flag {classes}" title="{escape(title)}">{piece}</mark>')
    return mark_safe("".join(out))  # every piece of text above is escaped
