"""Google Business Profile reviews through the My Business API v4.

Reading: ``GET {base}/v4/accounts/{a}/locations/{l}/reviews?pageSize=50&orderBy=updateTime desc``
answers ``{"reviews": [Review…], "averageRating", "totalReviewCount", "nextPageToken"}``; a
Review has ``name``, ``reviewId``, ``reviewer {displayName, isAnonymous}``, ``starRating``
(ONE…FIVE), ``comment``, ``createTime``, ``updateTime`` and ``reviewReply {comment,
updateTime}``. Newest change first, so an incremental sync stops at the first review whose
``updateTime`` is older than the last one seen; an edit moves a review to the front again.

Replying: ``PUT {base}/v4/{review name}/reply`` with a ReviewReply ``{"comment": …}``; the
answer is the stored ReviewReply. Both need the ``business.manage`` scope.

Authorisation is a bearer access token; a 401 refreshes it once with the refresh token
(``oauth.refresh``) and repeats the request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from django.utils import timezone

from palaute.lib import http
from palaute.reviews.connectors import oauth
from palaute.reviews.connectors.base import (
    ConnectorError,
    PostedReply,
    describe_failure,
    json_body,
    parse_time,
    send,
)
from palaute.reviews.incoming import IncomingReview, google_stars
from palaute.reviews.models import ReviewSource

PLATFORM = "Google"
PAGE_SIZE = 50  # the API's maximum
MAX_PAGES = 200  # 10,000 reviews a sync: a safety stop, not a limit anyone meets


class GoogleConnector:
    def __init__(self, source: ReviewSource):
        if not source.google_location.startswith("accounts/"):
            raise ConnectorError(
                "set the Google location name (accounts/…/locations/…)", retryable=False
            )
        self.source = source

    # --- reading ------------------------------------------------------------------------

    def pages(self, since: datetime | None) -> Iterator[list[IncomingReview]]:
        url = f"{self.source.api_base}/v4/{quote(self.source.google_location)}/reviews"
        page_token = ""
        for _ in range(MAX_PAGES):
            params = {"pageSize": PAGE_SIZE, "orderBy": "updateTime desc"}
            if page_token:
                params["pageToken"] = page_token
            body = json_body(PLATFORM, self._authorised("GET", f"{url}?{urlencode(params)}"))
            found = [
                parse_review(item, self.source.google_location)
                for item in body.get("reviews") or []
            ]
            fresh = [r for r in found if since is None or (r.updated_at or r.reviewed_at) >= since]
            yield fresh
            page_token = str(body.get("nextPageToken") or "")
            if len(fresh) < len(found) or not page_token:
                return

    # --- replying -----------------------------------------------------------------------

    def post_reply(self, reply_target: str, body: str) -> PostedReply:
        url = f"{self.source.api_base}/v4/{quote(reply_target)}/reply"
        payload = json.dumps({"comment": body}).encode()
        answer = json_body(
            PLATFORM,
            self._authorised(
                "PUT", url, data=payload, headers={"Content-Type": "application/json"}
            ),
        )
        posted_at = parse_time(answer.get("updateTime")) or timezone.now()
        return PostedReply(external_id=reply_target, posted_at=posted_at)

    # --- authorisation ------------------------------------------------------------------

    def _authorised(self, method: str, url: str, **kwargs: Any) -> http.HttpResult:
        if oauth.needs_refresh(self.source):
            oauth.refresh(self.source)
        result = self._send(method, url, self.source.access_token, **kwargs)
        if result.status == 401 and self.source.refresh_token_encrypted:
            result = self._send(method, url, oauth.refresh(self.source), **kwargs)
        if result.status in (401, 403):
            raise ConnectorError(
                describe_failure(PLATFORM, result)
                + "; check the account's access to this location and connect again",
                retryable=False,
                status=result.status,
            )
        return result

    @staticmethod
    def _send(method: str, url: str, token: str, **kwargs: Any) -> http.HttpResult:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        return send(method, url, PLATFORM, headers=headers, **kwargs)


def parse_review(item: dict[str, Any], location: str) -> IncomingReview:
    """One Review resource → IncomingReview (ConnectorError when it lacks an id or time)."""
    name = str(item.get("name") or "")
    review_id = str(item.get("reviewId") or name.rsplit("/", 1)[-1])
    name = name or f"{location}/reviews/{review_id}"
    created = parse_time(item.get("createTime"))
    if not review_id or created is None:
        raise ConnectorError(f"{PLATFORM} sent a review without reviewId or createTime")
    reviewer = item.get("reviewer") or {}
    author = "" if reviewer.get("isAnonymous") else str(reviewer.get("displayName") or "")
    reply = item.get("reviewReply") or {}
    star = str(item.get("starRating") or "")
    return IncomingReview(
        external_id=review_id,
        reviewed_at=created,
        updated_at=parse_time(item.get("updateTime")) or created,
        rating=google_stars(star),
        original_rating=star,
        text=str(item.get("comment") or ""),
        author_name=author,
        reply_target=name,
        platform_reply_text=str(reply.get("comment") or ""),
        platform_reply_at=parse_time(reply.get("updateTime")),
    )
