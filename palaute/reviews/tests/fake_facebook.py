"""A loopback stand-in for the Graph API's Page ratings edge and comments, serving the
documented shapes:

- ``GET /v21.0/{page-id}/ratings?fields=&limit=&since=&after=&access_token=`` → ``{"data":
  [Recommendation], "paging": {"cursors": {"before", "after"}, "next"}}`` newest first, ``next``
  only when there is more; a Recommendation has ``created_time`` ("2019-03-04T09:30:00+0000"),
  ``recommendation_type``, ``review_text``, ``reviewer {id, name}``, ``open_graph_story {id}``
  and, on old ones, ``rating``; ``since`` is a unix time;
- ``POST /v21.0/{story-id}/comments`` with form fields ``message`` and ``access_token`` →
  ``{"id": "<comment id>"}``.

A wrong token gets the OAuthException error body (code 190).
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from palaute.reviews.tests.loopback import LoopbackServer, Seen

VERSION = "v21.0"


def fb_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class FakeFacebook(LoopbackServer):
    def __init__(self, page_id: str = "104455667788"):
        super().__init__()
        self.page_id = page_id
        self.token = "EAAG-page-" + secrets.token_hex(8)
        self.ratings: dict[str, dict] = {}
        self.comments: list[dict] = []
        self.problems: list[str] = []
        self.fail_next = 0

    @property
    def base_url(self) -> str:
        return f"{self.origin}/{VERSION}"

    def add(
        self,
        reviewer_id: str,
        recommendation: str,
        text: str,
        at: datetime,
        name: str = "Asiakas",
        legacy_rating: int | None = None,
    ) -> dict:
        story = f"{self.page_id}_{secrets.randbelow(10**12)}"
        item = {
            "created_time": fb_time(at),
            "recommendation_type": recommendation,
            "review_text": text,
            "reviewer": {"id": reviewer_id, "name": name},
            "open_graph_story": {"id": story},
            "has_rating": legacy_rating is not None,
            "has_review": bool(text),
        }
        if legacy_rating is not None:
            item["rating"] = legacy_rating
        self.ratings[reviewer_id] = item
        return item

    def edit(self, reviewer_id: str, recommendation: str, text: str) -> None:
        self.ratings[reviewer_id].update(recommendation_type=recommendation, review_text=text)

    def handle(self, seen: Seen):
        if self.fail_next > 0:
            self.fail_next -= 1
            return 500, {
                "error": {
                    "message": "An unknown error has occurred.",
                    "type": "OAuthException",
                    "code": 1,
                }
            }
        token = seen.query.get("access_token") or seen.form().get("access_token")
        if token != self.token:
            return 400, {
                "error": {
                    "message": "Error validating access token: Session has expired.",
                    "type": "OAuthException",
                    "code": 190,
                    "fbtrace_id": "AbCdEf",
                }
            }
        if seen.method == "GET" and seen.path == f"/{VERSION}/{self.page_id}/ratings":
            return self._ratings(seen)
        if seen.method == "POST" and seen.path.endswith("/comments"):
            return self._comment(seen, seen.path[len(VERSION) + 2 : -len("/comments")])
        self.problems.append(f"unknown {seen.method} {seen.path}")
        return 404, {
            "error": {"message": "Unknown path", "type": "GraphMethodException", "code": 803}
        }

    def _ratings(self, seen: Seen):
        fields = set(seen.query.get("fields", "").split(","))
        for needed in ("created_time", "recommendation_type", "review_text", "open_graph_story"):
            if needed not in fields:
                self.problems.append(f"field {needed} not asked")
        limit = int(seen.query.get("limit", "25"))
        since = int(seen.query.get("since", "0"))
        items = [
            r
            for r in self.ratings.values()
            if datetime.strptime(r["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp() >= since
        ]
        items.sort(key=lambda r: r["created_time"], reverse=True)
        after = seen.query.get("after", "")
        start = int(base64.b64decode(after).decode()) if after else 0
        page = items[start : start + limit]
        cursors = {
            "before": base64.b64encode(str(start).encode()).decode(),
            "after": base64.b64encode(str(start + len(page)).encode()).decode(),
        }
        paging: dict = {"cursors": cursors}
        if start + limit < len(items):
            paging["next"] = (
                f"{self.base_url}/{self.page_id}/ratings?access_token={self.token}"
                f"&limit={limit}&after={cursors['after']}"
            )
        return 200, {"data": page, "paging": paging}

    def _comment(self, seen: Seen, story: str):
        if not seen.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            self.problems.append("comment is not form-encoded")
        form = seen.form()
        if set(form) - {"message", "access_token"}:
            self.problems.append(f"unexpected comment fields {sorted(form)}")
        stories = {r["open_graph_story"]["id"] for r in self.ratings.values()}
        if story not in stories:
            return 400, {
                "error": {
                    "message": "Unsupported post request.",
                    "type": "GraphMethodException",
                    "code": 100,
                }
            }
        comment = {
            "id": f"{story}_{len(self.comments) + 1}",
            "story": story,
            "message": form.get("message", ""),
        }
        self.comments.append(comment)
        return 200, {"id": comment["id"]}
