"""Which feedback opens a case: what each rule kind reads, its scale, and matching.

Matching is pure: it looks at a response's answer rows (and, for a negative-theme rule, the
themes the text analysis found negative) and returns the rules that fire. ``active_rules``
keeps each organisation's active rules in process memory for ``CACHE_SECONDS``, so the
submission path (which asks on every counted response) usually makes no query at all; the job
that opens the case reads the rules again from the database, so a stale cache can at worst
queue a job that then finds nothing to do, or miss a rule made stricter less than
``CACHE_SECONDS`` ago in another process.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from palaute.loop.models import LoopSettings, Rule, Severity

Kind = Rule.Kind
CACHE_SECONDS = 30.0

# Lower is more severe: the most severe matching rule decides a case's severity.
SEVERITY_RANK: dict[str, int] = {Severity.HIGH: 0, Severity.NORMAL: 1, Severity.LOW: 2}


@dataclass(frozen=True)
class KindSpec:
    """What a rule kind reads. ``answer_kind`` is the question type whose score it compares
    (None: it reads no answer score); ``at_least`` flips "at most" into "at least"."""

    answer_kind: str | None
    # (lowest, highest) threshold allowed; None: the kind takes no number.
    bounds: tuple[int, int] | None = None
    default: int | None = None
    at_least: bool = False


SPECS: dict[str, KindSpec] = {
    Kind.NPS_DETRACTOR: KindSpec("nps", (0, 10), 6),
    Kind.LOW_CSAT: KindSpec("csat", (1, 5), 2),
    Kind.HIGH_CES: KindSpec("ces", (1, 7), 5, at_least=True),
    # The four kiosk faces are 1 (saddest) … 4; "sad" is 1 or 2 unless set otherwise.
    Kind.SAD_FACE_COMMENT: KindSpec("smiley", (1, 4), 2),
    Kind.CONTACT_ME: KindSpec("contact_me"),
    Kind.LOW_REVIEW: KindSpec(None, (1, 5), 2),
    Kind.NEGATIVE_THEME: KindSpec(None),
}
# Kinds decided from the answers alone, when a response is recorded.
RESPONSE_KINDS = (
    Kind.NPS_DETRACTOR,
    Kind.LOW_CSAT,
    Kind.HIGH_CES,
    Kind.SAD_FACE_COMMENT,
    Kind.CONTACT_ME,
)
# What help text the settings page shows next to a threshold.
THRESHOLD_HELP = {
    Kind.NPS_DETRACTOR: _("Opens a case when the score (0–10) is at most this."),
    Kind.LOW_CSAT: _("Opens a case when the score (1–5) is at most this."),
    Kind.HIGH_CES: _("Opens a case when the effort (1–7) is at least this."),
    Kind.SAD_FACE_COMMENT: _("The face (1 = saddest, 4 = happiest) at most this."),
    Kind.LOW_REVIEW: _("Opens a case when the stars (1–5) are at most this."),
}

# (kind, threshold, severity): what every organisation starts with.
DEFAULT_RULES: tuple[tuple[str, int | None, str], ...] = (
    (Kind.CONTACT_ME, None, Severity.HIGH),
    (Kind.NPS_DETRACTOR, 6, Severity.NORMAL),
    (Kind.LOW_CSAT, 2, Severity.NORMAL),
    (Kind.HIGH_CES, 5, Severity.NORMAL),
    (Kind.SAD_FACE_COMMENT, 2, Severity.LOW),
    (Kind.LOW_REVIEW, 2, Severity.HIGH),
)


@dataclass(frozen=True)
class ActiveRule:
    """A rule as matching needs it (a stored Rule, or a default not stored yet: ``id`` None)."""

    id: int | None
    kind: str
    threshold: int | None
    severity: str
    survey_id: int | None = None
    theme_key: str = ""
    position: int = 0

    @classmethod
    def of(cls, rule: Rule) -> ActiveRule:
        return cls(
            id=rule.pk,
            kind=rule.kind,
            threshold=rule.threshold,
            severity=rule.severity,
            survey_id=rule.survey_id,
            theme_key=rule.theme_key,
            position=rule.position,
        )


@dataclass(frozen=True)
class Match:
    """A rule that fired, with the score that made it fire (None for contact-me, themes)."""

    rule: ActiveRule
    score: int | None = None

    @property
    def severity(self) -> str:
        return self.rule.severity


def default_rules() -> tuple[ActiveRule, ...]:
    return tuple(
        ActiveRule(id=None, kind=kind, threshold=threshold, severity=severity, position=index)
        for index, (kind, threshold, severity) in enumerate(DEFAULT_RULES)
    )


def load_rules(organisation_id: int) -> tuple[ActiveRule, ...]:
    """The organisation's active rules from the database; the defaults when it has never had
    loop settings (they are stored the first time a case opens or the settings page opens)."""
    if not LoopSettings.objects.filter(organisation_id=organisation_id).exists():
        return default_rules()
    rows = Rule.objects.filter(organisation_id=organisation_id, is_active=True)
    return tuple(ActiveRule.of(rule) for rule in rows)


_cache: dict[int, tuple[float, tuple[ActiveRule, ...]]] = {}


def active_rules(organisation_id: int) -> tuple[ActiveRule, ...]:
    """``load_rules``, remembered in this process for ``CACHE_SECONDS``."""
    hit = _cache.get(organisation_id)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    rules = load_rules(organisation_id)
    _cache[organisation_id] = (now + CACHE_SECONDS, rules)
    return rules


def forget(organisation_id: int | None = None) -> None:
    """Drop the cached rules (after an edit), of one organisation or of all."""
    if organisation_id is None:
        _cache.clear()
    else:
        _cache.pop(organisation_id, None)


def fires(spec: KindSpec, threshold: int | None, score: int | None) -> bool:
    if score is None:
        return False
    limit = spec.default if threshold is None else threshold
    if limit is None:
        return False
    return score >= limit if spec.at_least else score <= limit


def match_response(
    rules: Iterable[ActiveRule],
    *,
    survey_id: int,
    answers: Iterable,
    negative_themes: Iterable[str] = (),
) -> list[Match]:
    """The rules that fire for one response, most severe first.

    ``answers`` are Answer rows (anything with ``kind``, ``score`` and ``text``);
    ``negative_themes`` the theme keys its comments mention negatively."""
    answers = list(answers)
    themes = set(negative_themes)
    has_comment = any(a.kind == "text" and (a.text or "").strip() for a in answers)
    found: list[Match] = []
    for rule in rules:
        if rule.survey_id is not None and rule.survey_id != survey_id:
            continue
        spec = SPECS.get(rule.kind)
        if spec is None:
            continue
        if rule.kind == Kind.NEGATIVE_THEME:
            if rule.theme_key and rule.theme_key in themes:
                found.append(Match(rule))
            continue
        if rule.kind == Kind.CONTACT_ME:
            if any(a.kind == "contact_me" and a.score == 1 for a in answers):
                found.append(Match(rule))
            continue
        if spec.answer_kind is None:
            continue
        if rule.kind == Kind.SAD_FACE_COMMENT and not has_comment:
            continue
        for answer in answers:
            if answer.kind == spec.answer_kind and fires(spec, rule.threshold, answer.score):
                found.append(Match(rule, answer.score))
                break
    return sorted(found, key=lambda m: (SEVERITY_RANK[m.severity], m.rule.position))


def review_fires(rule: ActiveRule, rating: int) -> bool:
    return rule.kind == Kind.LOW_REVIEW and fires(SPECS[Kind.LOW_REVIEW], rule.threshold, rating)


def more_severe(a: str, b: str) -> bool:
    """True when severity ``a`` is more severe than ``b``."""
    return SEVERITY_RANK[a] < SEVERITY_RANK[b]
