"""Run the text pipeline on stored answers and keep the results (the Django side of #6).

``analyse_answers`` is idempotent: re-analysing an answer replaces its CommentAnalysis and its
rule/model ThemeMentions (mentions a user made stay, and a theme a user has tagged or removed
on an answer is never overruled by the machine). Each organisation's answers are analysed with
that organisation's own themes and trained model, never another's.
"""

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from palaute.accounts.models import Organisation
from palaute.surveys.models import Answer, Response
from palaute.text import bulk
from palaute.text.classifier import TextModel, cross_validate, train
from palaute.text.models import (
    CommentAnalysis,
    MentionSource,
    Theme,
    ThemeLabel,
    ThemeMention,
    TrainedModel,
)
from palaute.text.pipeline import PIPELINE_VERSION, Analysis, analyse_many
from palaute.text.themes import UserThemes

TEXT_KINDS = ("text",)
MIN_LABELS_TO_TRAIN = 10


def text_answers(organisation: Organisation | None = None):
    """Free-text answers worth analysing: not empty, and not from a flagged (spam) response,
    which the metrics do not count either."""
    answers = Answer.objects.filter(kind__in=TEXT_KINDS, response__flagged="").exclude(text="")
    return answers.filter(organisation=organisation) if organisation is not None else answers


def user_themes_for(organisation_id: int) -> UserThemes | None:
    rows = Theme.objects.filter(organisation_id=organisation_id, is_active=True)
    pairs = [(t.key, t.keywords) for t in rows if t.keywords]
    return UserThemes.build(pairs) if pairs else None


def latest_model(organisation_id: int) -> TrainedModel | None:
    return (
        TrainedModel.objects.filter(organisation_id=organisation_id, kind="text")
        .order_by("-trained_at")
        .first()
    )


def model_for(organisation_id: int) -> TextModel | None:
    latest = latest_model(organisation_id)
    return TextModel.from_bytes(bytes(latest.data)) if latest is not None else None


# --- where a comment sits: copied onto the analysis rows -----------------------------------


def local_day(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def context_of(response: Response, time_zone: str) -> dict[str, Any]:
    """The response's survey, touchpoint, stage and local day, as stored on mentions."""
    return {
        "survey_id": response.survey_id,
        "touchpoint_id": response.touchpoint_id,
        "stage_id": response.stage_id,
        "day": local_day(response.submitted_at, time_zone),
    }


# --- analysing ------------------------------------------------------------------------------


def analyse_answers(answer_ids: Iterable[int]) -> int:
    """Analyse (or re-analyse) these answers and store the results; returns how many."""
    answers = list(
        text_answers()
        .filter(pk__in=list(answer_ids))
        .select_related("response")
        .only(
            "id",
            "text",
            "organisation_id",
            "response_id",
            "response__language",
            "response__survey_id",
            "response__touchpoint_id",
            "response__stage_id",
            "response__submitted_at",
        )
    )
    by_org: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_org[answer.organisation_id].append(answer)
    zones = dict(Organisation.objects.filter(pk__in=by_org).values_list("pk", "time_zone"))
    for organisation_id, group in by_org.items():
        _analyse_group(organisation_id, zones[organisation_id], group)
    return len(answers)


def _analyse_group(organisation_id: int, time_zone: str, answers: Sequence[Answer]) -> None:
    model = model_for(organisation_id)
    user = user_themes_for(organisation_id)
    # Grouped by the response's language, which is the fallback for very short comments.
    by_language: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_language[answer.response.language or "fi"].append(answer)
    results: list[tuple[Answer, Analysis]] = []
    for lang, group in by_language.items():
        found = analyse_many([a.text for a in group], lang, model=model, user_themes=user)
        results.extend(zip(group, found, strict=True))
    _store(organisation_id, time_zone, results)


def _store(
    organisation_id: int, time_zone: str, results: Sequence[tuple[Answer, Analysis]]
) -> None:
    now = timezone.now()
    ids = [answer.pk for answer, _ in results]
    # What users said overrules the machine: their sentiment, and the themes they tagged or
    # removed on each answer.
    overall: dict[int, str] = {}
    labelled: set[tuple[int, str]] = set()
    for answer_id, key, sentiment in ThemeLabel.objects.filter(answer_id__in=ids).values_list(
        "answer_id", "theme_key", "sentiment"
    ):
        if key == ThemeLabel.OVERALL:
            if sentiment:
                overall[answer_id] = sentiment
        else:
            labelled.add((answer_id, key))
    analyses: list[tuple] = []
    mentions: list[tuple] = []
    for answer, result in results:
        response = answer.response
        context = context_of(response, time_zone)
        where = (
            context["survey_id"],
            context["touchpoint_id"],
            context["stage_id"],
            context["day"],
        )
        analyses.append(
            (
                answer.pk,
                organisation_id,
                answer.response_id,
                *where,
                response.submitted_at,
                result.language,
                overall.get(answer.pk, result.sentiment),
                result.score,
                result.to_dict()["clauses"],
                MentionSource.USER if answer.pk in overall else result.source,
                now,
                PIPELINE_VERSION,
            )
        )
        mentions.extend(
            (
                organisation_id,
                answer.pk,
                answer.response_id,
                *where,
                hit.key,
                hit.sentiment,
                {"words": list(hit.evidence), "opinion_words": list(hit.opinion_words)},
                hit.source,
                hit.confidence,
            )
            for hit in result.themes
            if (answer.pk, hit.key) not in labelled
        )
    with transaction.atomic():
        CommentAnalysis.objects.filter(answer_id__in=ids).delete()
        ThemeMention.objects.filter(answer_id__in=ids).exclude(source=MentionSource.USER).delete()
        bulk.insert(CommentAnalysis, ANALYSIS_COLUMNS, analyses)
        bulk.insert(ThemeMention, MENTION_COLUMNS, mentions)


ANALYSIS_COLUMNS = (
    "answer",
    "organisation",
    "response",
    "survey",
    "touchpoint",
    "stage",
    "day",
    "submitted_at",
    "language",
    "sentiment",
    "score",
    "clauses",
    "source",
    "analysed_at",
    "pipeline_version",
)
MENTION_COLUMNS = (
    "organisation",
    "answer",
    "response",
    "survey",
    "touchpoint",
    "stage",
    "day",
    "theme_key",
    "sentiment",
    "evidence",
    "source",
    "confidence",
)


def analyse_history(organisation: Organisation, batch: int = 2000) -> int:
    """Analyse every free-text answer an organisation has, in batches; returns how many."""
    done = 0
    last_id = 0
    while True:
        ids = list(
            text_answers(organisation)
            .filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        done += analyse_answers(ids)
        last_id = ids[-1]


# --- training -------------------------------------------------------------------------------


def training_data(
    organisation: Organisation,
) -> tuple[list[str], list[str | None], list[list[str] | None]]:
    """(texts, sentiments, theme keys) from the organisation's tags and theme examples.

    A theme list is given for every tagged answer: the themes tagged present (a correction
    records every theme the comment shows, see ``labels.py``). Example comments of a theme
    teach that theme only (their sentiment is left unlabelled)."""
    texts: list[str] = []
    sentiments: list[str | None] = []
    themes: list[list[str] | None] = []
    labels = ThemeLabel.objects.filter(organisation=organisation).select_related("answer")
    per_answer: dict[int, dict] = {}
    for label in labels.order_by("answer_id", "theme_key"):
        entry = per_answer.setdefault(
            label.answer_id, {"text": label.answer.text, "sentiment": None, "themes": []}
        )
        if label.theme_key == ThemeLabel.OVERALL:
            entry["sentiment"] = label.sentiment or None
        elif label.present:
            entry["themes"].append(label.theme_key)
    for entry in per_answer.values():
        texts.append(entry["text"])
        sentiments.append(entry["sentiment"])
        themes.append(entry["themes"])
    for theme in Theme.objects.filter(organisation=organisation, is_active=True):
        for example in theme.example_comments:
            texts.append(example)
            sentiments.append(None)
            themes.append([theme.key])
    return texts, sentiments, themes


def teaching_fingerprint(organisation: Organisation) -> dict[str, Any]:
    """What the model would learn from, in four numbers: when it changes, retrain."""
    labels = ThemeLabel.objects.filter(organisation=organisation).aggregate(
        n=Count("id"), at=Max("updated_at")
    )
    themes = Theme.objects.filter(organisation=organisation).aggregate(
        n=Count("id"), at=Max("updated_at")
    )
    return {
        "labels": labels["n"],
        "labels_at": labels["at"].isoformat() if labels["at"] else "",
        "themes": themes["n"],
        "themes_at": themes["at"].isoformat() if themes["at"] else "",
    }


def needs_training(organisation: Organisation) -> bool:
    latest = latest_model(organisation.pk)
    fingerprint = teaching_fingerprint(organisation)
    return latest is None or latest.metrics.get("fingerprint") != fingerprint


def train_organisation_model(
    organisation: Organisation, evaluate: bool = True
) -> TrainedModel | None:
    """Train and store the organisation's model; None when there is too little to learn from.

    With ``evaluate`` the stored metrics include a 5-fold cross-validated sentiment accuracy
    and theme F1 (it costs about five more trainings, so the worker does it, not a request)."""
    fingerprint = teaching_fingerprint(organisation)
    texts, sentiments, themes = training_data(organisation)
    if len(texts) < MIN_LABELS_TO_TRAIN:
        return None
    language = organisation.default_language
    model = train(texts, sentiments, themes, fallback_language=language)
    if model.sentiment is None and model.themes is None:
        return None
    metrics: dict[str, Any] = {
        "examples": len(texts),
        "sentiment_labels": sum(1 for s in sentiments if s),
        "themes": model.themes.keys if model.themes is not None else [],
        "fingerprint": fingerprint,
    }
    if evaluate:
        metrics["cross_validation"] = cross_validate(texts, sentiments, themes, language)
    return TrainedModel.objects.create(
        organisation=organisation,
        kind="text",
        data=model.to_bytes(),
        trained_at=timezone.now(),
        pipeline_version=PIPELINE_VERSION,
        metrics=metrics,
    )


# --- active learning ------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """A comment to tag, and the one question about it that would teach the model most."""

    answer_id: int
    doubt: float  # 0 sure … 1 coin toss
    theme: str | None  # ask "is this about <theme>?"; None: ask about the sentiment
    probability: float | None  # the model's P(theme), when asking about a theme


def active_learning_queue(
    organisation: Organisation, limit: int = 20, pool: int = 2000
) -> list[QueueItem]:
    """The comments to tag first: the ones the organisation's model is least sure about.

    The newest ``pool`` untagged comments are analysed again and ranked, one of each wording.
    Without a model yet,
    comments whose rule score is closest to neutral and that no theme matched come first, and
    the question is their sentiment. Answers already tagged are left out."""
    tagged = ThemeLabel.objects.filter(organisation=organisation).values("answer_id")
    candidates = list(
        text_answers(organisation)
        .exclude(pk__in=tagged)
        .order_by("-pk")
        .values_list("pk", "text")[:pool]
    )
    if not candidates:
        return []
    found = analyse_many([text for _, text in candidates], organisation.default_language)
    model = model_for(organisation.pk)
    if model is not None:
        items = [
            QueueItem(pk, d.value, d.theme, d.probability)
            for (pk, _), d in zip(candidates, model.doubts(found), strict=True)
        ]
    else:
        items = [
            QueueItem(pk, (1 - abs(a.score)) * (1.0 if not a.themes else 0.5), None, None)
            for (pk, _), a in zip(candidates, found, strict=True)
        ]
    items.sort(key=lambda item: (-item.doubt, -item.answer_id))
    # The same words need teaching once: "Käymme täällä joka viikko" twice is one lesson.
    texts = dict(candidates)
    seen: set[str] = set()
    unique = []
    for item in items:
        key = " ".join(texts[item.answer_id].lower().split())
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique[:limit]
