"""Run the text pipeline on stored answers and keep the results (the Django side of #6).

``analyse_answers`` is idempotent: re-analysing an answer replaces its CommentAnalysis and its
rule/model ThemeMentions (mentions a user made stay). Each organisation's answers are analysed
with that organisation's own themes and trained model, never another's.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from palaute.accounts.models import Organisation
from palaute.surveys.models import Answer
from palaute.text.classifier import TextModel, train
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
    answers = Answer.objects.filter(kind__in=TEXT_KINDS).exclude(text="")
    return answers.filter(organisation=organisation) if organisation is not None else answers


def user_themes_for(organisation_id: int) -> UserThemes | None:
    rows = Theme.objects.filter(organisation_id=organisation_id, is_active=True)
    pairs = [(t.key, t.keywords) for t in rows if t.keywords]
    return UserThemes.build(pairs) if pairs else None


def model_for(organisation_id: int) -> TextModel | None:
    latest = (
        TrainedModel.objects.filter(organisation_id=organisation_id, kind="text")
        .order_by("-trained_at")
        .first()
    )
    return TextModel.from_bytes(bytes(latest.data)) if latest is not None else None


def analyse_answers(answer_ids: Iterable[int]) -> int:
    """Analyse (or re-analyse) these answers and store the results; returns how many."""
    answers = list(
        text_answers()
        .filter(pk__in=list(answer_ids))
        .select_related("response")
        .only("id", "text", "organisation_id", "response_id", "response__language")
    )
    by_org: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_org[answer.organisation_id].append(answer)
    for organisation_id, group in by_org.items():
        _analyse_group(organisation_id, group)
    return len(answers)


def _analyse_group(organisation_id: int, answers: Sequence[Answer]) -> None:
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
    _store(organisation_id, results)


def _store(organisation_id: int, results: Sequence[tuple[Answer, Analysis]]) -> None:
    now = timezone.now()
    ids = [answer.pk for answer, _ in results]
    analyses = [
        CommentAnalysis(
            answer_id=answer.pk,
            organisation_id=organisation_id,
            response_id=answer.response_id,
            language=result.language,
            sentiment=result.sentiment,
            score=result.score,
            clauses=result.to_dict()["clauses"],
            source=result.source,
            analysed_at=now,
            pipeline_version=PIPELINE_VERSION,
        )
        for answer, result in results
    ]
    mentions = [
        ThemeMention(
            organisation_id=organisation_id,
            answer_id=answer.pk,
            response_id=answer.response_id,
            theme_key=hit.key,
            sentiment=hit.sentiment,
            evidence={"words": list(hit.evidence), "opinion_words": list(hit.opinion_words)},
            source=hit.source,
            confidence=hit.confidence,
        )
        for answer, result in results
        for hit in result.themes
    ]
    with transaction.atomic():
        CommentAnalysis.objects.filter(answer_id__in=ids).delete()
        ThemeMention.objects.filter(answer_id__in=ids).exclude(source=MentionSource.USER).delete()
        CommentAnalysis.objects.bulk_create(analyses, batch_size=1000)
        ThemeMention.objects.bulk_create(mentions, batch_size=1000)


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


def training_data(
    organisation: Organisation,
) -> tuple[list[str], list[str | None], list[list[str] | None]]:
    """(texts, sentiments, theme keys) from the organisation's tags and theme examples.

    A theme list is given for every tagged answer: the themes tagged present. Example comments
    of a theme teach that theme only (their sentiment is left unlabelled)."""
    texts: list[str] = []
    sentiments: list[str | None] = []
    themes: list[list[str] | None] = []
    labels = ThemeLabel.objects.filter(organisation=organisation).select_related("answer")
    per_answer: dict[int, dict] = {}
    for label in labels:
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


def train_organisation_model(organisation: Organisation) -> TrainedModel | None:
    """Train and store the organisation's model; None when there is too little to learn from."""
    texts, sentiments, themes = training_data(organisation)
    if len(texts) < MIN_LABELS_TO_TRAIN:
        return None
    model = train(texts, sentiments, themes, fallback_language=organisation.default_language)
    if model.sentiment is None and model.themes is None:
        return None
    return TrainedModel.objects.create(
        organisation=organisation,
        kind="text",
        data=model.to_bytes(),
        trained_at=timezone.now(),
        pipeline_version=PIPELINE_VERSION,
        metrics={
            "examples": len(texts),
            "sentiment_labels": sum(1 for s in sentiments if s),
            "themes": model.themes.keys if model.themes is not None else [],
        },
    )


def active_learning_queue(
    organisation: Organisation, limit: int = 20, pool: int = 2000
) -> list[int]:
    """Answer ids to tag first: the ones the organisation's model is least sure about.

    Without a model yet, comments whose rule score is closest to neutral and that no theme
    matched come first. Answers already tagged are left out."""
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
        doubt = model.uncertainty(found)
    else:
        doubt = [(1 - abs(a.score)) * (1.0 if not a.themes else 0.5) for a in found]
    ranked = sorted(zip(doubt, (pk for pk, _ in candidates), strict=True), reverse=True)
    return [pk for _, pk in ranked[:limit]]
