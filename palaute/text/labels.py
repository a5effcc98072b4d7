"""Tagging and correcting comments in place: the user's word becomes a ThemeLabel (which trains
the organisation's model) and is shown at once (the answer's ThemeMentions and sentiment change
in the same transaction, without waiting for the model).

A correction confirms the whole comment as it is then shown: every theme on it that had no label
yet is recorded as present, so the model learns from what the user saw and accepted, not only
from the one click. Re-analysis never overrules a labelled theme or sentiment (analysis.py).
"""

from django.db import transaction

from palaute.accounts.models import Organisation
from palaute.surveys.models import Answer
from palaute.text import analysis
from palaute.text.lexicon import THEME_KEYS
from palaute.text.models import (
    CommentAnalysis,
    MentionSource,
    Sentiment,
    Theme,
    ThemeLabel,
    ThemeMention,
)

SENTIMENTS = tuple(Sentiment.values)


class LabelInvalid(ValueError):
    """A tag named a theme or sentiment this organisation does not have."""


def theme_keys_of(organisation: Organisation) -> list[str]:
    """The shipped CX themes and the organisation's own active ones."""
    own = Theme.objects.filter(organisation=organisation, is_active=True).values_list(
        "key", flat=True
    )
    return [*THEME_KEYS, *(k for k in own if k not in THEME_KEYS)]


def _check(organisation: Organisation, key: str | None, sentiment: str | None) -> None:
    if key is not None and key not in theme_keys_of(organisation):
        raise LabelInvalid(f"theme: unknown theme {key!r}")
    if sentiment and sentiment not in SENTIMENTS:
        raise LabelInvalid(f"sentiment: must be one of {', '.join(SENTIMENTS)}")


def _ensure_analysed(answer: Answer) -> CommentAnalysis:
    found = CommentAnalysis.objects.filter(answer=answer).first()
    if found is None:
        analysis.analyse_answers([answer.pk])
        found = CommentAnalysis.objects.get(answer=answer)
    return found


def _confirm_shown(answer: Answer, user) -> None:
    """Record every theme the comment shows and that has no label yet as present."""
    labelled = set(ThemeLabel.objects.filter(answer=answer).values_list("theme_key", flat=True))
    shown = ThemeMention.objects.filter(answer=answer).values_list("theme_key", "sentiment")
    ThemeLabel.objects.bulk_create(
        [
            ThemeLabel(
                organisation_id=answer.organisation_id,
                answer=answer,
                theme_key=key,
                present=True,
                sentiment=sentiment,
                created_by=user,
            )
            for key, sentiment in dict(shown).items()
            if key not in labelled
        ]
    )


def _label(answer: Answer, key: str, present: bool, sentiment: str, user) -> None:
    ThemeLabel.objects.update_or_create(
        answer=answer,
        theme_key=key,
        defaults={
            "organisation_id": answer.organisation_id,
            "present": present,
            "sentiment": sentiment,
            "created_by": user,
        },
    )


def tag_theme(answer: Answer, key: str, sentiment: str | None, user) -> ThemeMention:
    """The comment is about ``key`` (with ``sentiment``; by default the sentiment it was
    mentioned with, or the comment's own)."""
    organisation = answer.organisation
    _check(organisation, key, sentiment)
    with transaction.atomic():
        stored = _ensure_analysed(answer)
        before = ThemeMention.objects.filter(answer=answer, theme_key=key).first()
        sentiment = sentiment or (before.sentiment if before else stored.sentiment)
        _confirm_shown(answer, user)
        _label(answer, key, True, sentiment, user)
        ThemeMention.objects.filter(answer=answer, theme_key=key).delete()
        return ThemeMention.objects.create(
            organisation_id=answer.organisation_id,
            answer=answer,
            response_id=answer.response_id,
            survey_id=stored.survey_id,
            touchpoint_id=stored.touchpoint_id,
            stage_id=stored.stage_id,
            day=stored.day,
            theme_key=key,
            sentiment=sentiment,
            # Keep the machine's evidence so the words stay highlighted.
            evidence=before.evidence if before else {},
            source=MentionSource.USER,
            confidence=1.0,
        )


def remove_theme(answer: Answer, key: str, user) -> None:
    """The comment is not about ``key``."""
    _check(answer.organisation, key, None)
    with transaction.atomic():
        _ensure_analysed(answer)
        _confirm_shown(answer, user)
        _label(answer, key, False, "", user)
        ThemeMention.objects.filter(answer=answer, theme_key=key).delete()


def set_sentiment(answer: Answer, sentiment: str, user) -> None:
    """The comment's overall sentiment is ``sentiment``."""
    if not sentiment:
        raise LabelInvalid(f"sentiment: must be one of {', '.join(SENTIMENTS)}")
    _check(answer.organisation, None, sentiment)
    with transaction.atomic():
        _ensure_analysed(answer)
        _confirm_shown(answer, user)
        _label(answer, ThemeLabel.OVERALL, True, sentiment, user)
        CommentAnalysis.objects.filter(answer=answer).update(
            sentiment=sentiment, source=MentionSource.USER
        )
