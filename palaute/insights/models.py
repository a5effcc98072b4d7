"""Pre-aggregated score counts: the database keeps one row per
(survey, question, stage, touchpoint, location, channel, day, score) with a count.

Dashboards and org-wide metrics read these rows with GROUP BY, so a metric over ten million
responses touches thousands of rows, not millions. ``rollup.py`` maintains them in the same
transaction as the response and can rebuild them from answers with one INSERT … SELECT.

Dimension ids are plain integers with 0 meaning "none", because SQL unique constraints treat
NULLs as distinct and the upsert must find the existing row.
"""

from django.db import models


class ScoreCount(models.Model):
    organisation_id = models.BigIntegerField()
    survey_id = models.BigIntegerField()
    question_key = models.CharField(max_length=70)
    kind = models.CharField(max_length=30)
    stage_id = models.BigIntegerField(default=0)
    touchpoint_id = models.BigIntegerField(default=0)
    location_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=20)
    day = models.DateField()
    score = models.SmallIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "survey_id",
                    "question_key",
                    "stage_id",
                    "touchpoint_id",
                    "location_id",
                    "channel",
                    "day",
                    "score",
                ],
                name="scorecount_cell",
            )
        ]
        indexes = [
            models.Index(fields=["organisation_id", "kind", "day"], name="scorecount_org_kind_day"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.question_key} {self.day} score {self.score}: {self.n}"
