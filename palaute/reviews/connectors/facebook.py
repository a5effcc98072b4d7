"""Facebook Page ratings (recommendations) through the Graph API.

Reading: ``GET {base}/{page-id}/ratings?fields=…&limit=100&since=<unix time>`` with a Page
access token (``pages_read_user_content``) answers ``{"data": [Recommendation…], "paging":
{"cursors": {"before", "after"}, "next"}}``; a Recommendation has ``created_time``,
``recommendation_type`` (positive/negative), the legacy 1–5 ``rating`` on old ones,
``review_text``, ``reviewer {id, name}`` and ``open_graph_story {id}``. The next page is asked
with ``after=<cursor>`` while ``paging.next`` is present (we do not follow the ``next`` URL
itself: it carries the token and could point anywhere).

Ratings have no update time, so an incremental read asks ``since`` a look-back window before
the newest rating seen (``conf.facebook_lookback``), and every few days the sync reads all of
them again (``conf.full_sync_every``), which is how an edit of an older rating is noticed.

Replying: ``POST {base}/{open-graph-story-id}/comments`` with form fields ``message`` and the
Page access token; the answer is ``{"id": <comment id>}``.

A Page access token made from a long-lived user token does not expire; when Facebook refuses
it (OAuthException, code 190) the source must be connected again, there is nothing to refresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from django.utils import timezone

from palaute.lib import http
from palaute.reviews.connectors.base import (
    ConnectorError,
    PostedReply,
    describe_failure,
    json_body,
    parse_time,
    send,
)
from palaute.reviews.incoming import IncomingReview, facebook_stars
from palaute.reviews.models import ReviewSource

PLATFORM = "Facebook"
FIELDS = "created_time,recommendation_type,rating,review_text,reviewer,open_graph_story"
PAGE_SIZE = 100
MAX_PAGES = 200


class FacebookConnector:
    def __init__(self, source: ReviewSource):
        if not source.facebook_page_id.strip():
            raise ConnectorError("set the Facebook Page ID", retryable=False)
        self.source = source

    def pages(self, since: datetime | None) -> Iterator[list[IncomingReview]]:
        url = f"{self.source.api_base}/{quote(self.source.facebook_page_id.strip())}/ratings"
        params: dict[str, Any] = {"fields": FIELDS, "limit": PAGE_SIZE}
        if since is not None:
            params["since"] = int(since.timestamp())
        for _ in range(MAX_PAGES):
            body = json_body(PLATFORM, self._checked(self._get(url, params)))
            yield [parse_rating(item) for item in body.get("data") or []]
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            params["after"] = after

    def post_reply(self, reply_target: str, body: str) -> PostedReply:
        if not reply_target:
            raise ConnectorError("this rating has no story to comment on", retryable=False)
        url = f"{self.source.api_base}/{quote(reply_target)}/comments"
        form = urlencode({"message": body, "access_token": self.source.access_token}).encode()
        result = send(
            "POST",
            url,
            PLATFORM,
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        answer = json_body(PLATFORM, self._checked(result))
        return PostedReply(external_id=str(answer.get("id") or ""), posted_at=timezone.now())

    def _get(self, url: str, params: dict[str, Any]) -> http.HttpResult:
        query = urlencode({**params, "access_token": self.source.access_token})
        return send("GET", f"{url}?{query}", PLATFORM)

    @staticmethod
    def _checked(result: http.HttpResult) -> http.HttpResult:
        """A refused token is a person's job, not something to retry."""
        if result.status in (401, 403) or _error_code(result) in (190, 200, 10):
            raise ConnectorError(
                describe_failure(PLATFORM, result)
                + "; make a new Page access token and connect again",
                retryable=False,
                status=result.status,
            )
        return result


def _error_code(result: http.HttpResult) -> int | None:
    if result.ok:
        return None
    try:
        error = result.json().get("error") or {}
    except (ValueError, AttributeError):
        return None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) else None


def parse_rating(item: dict[str, Any]) -> IncomingReview:
    created = parse_time(item.get("created_time"))
    if created is None:
        raise ConnectorError(f"{PLATFORM} sent a rating without created_time")
    story = str((item.get("open_graph_story") or {}).get("id") or "")
    reviewer = item.get("reviewer") or {}
    recommendation = str(item.get("recommendation_type") or "").lower()
    legacy = item.get("rating")
    original = recommendation or (str(legacy) if legacy is not None else "")
    return IncomingReview(
        external_id=external_id(item, created, story),
        reviewed_at=created,
        rating=facebook_stars(recommendation, legacy),
        original_rating=original,
        recommendation=recommendation if recommendation in ("positive", "negative") else "",
        text=str(item.get("review_text") or ""),
        author_name=str(reviewer.get("name") or ""),
        reply_target=story,
        url=f"https://www.facebook.com/{story}" if story else "",
    )


def external_id(item: dict[str, Any], created: datetime, story: str) -> str:
    """A person recommends a Page once, so the reviewer id is the most stable key (an edit
    keeps it); without it the story id; without both a digest of time and text."""
    reviewer_id = str((item.get("reviewer") or {}).get("id") or "")
    if reviewer_id:
        return f"reviewer:{reviewer_id}"
    if story:
        return f"story:{story}"
    digest = hashlib.sha256(f"{created.isoformat()}|{item.get('review_text', '')}".encode())
    return f"digest:{digest.hexdigest()[:32]}"
