"""A loopback stand-in for Google's My Business API v4 reviews and OAuth token endpoint,
serving the documented shapes:

- ``GET /v4/accounts/{a}/locations/{l}/reviews?pageSize=&pageToken=&orderBy=`` → ``{"reviews":
  [Review], "averageRating", "totalReviewCount", "nextPageToken"}`` (no token on the last
  page; pageSize at most 50; orderBy one of "rating", "rating desc", "updateTime desc");
- ``PUT /v4/accounts/{a}/locations/{l}/reviews/{id}/reply`` with a ReviewReply ``{"comment"}``
  → the stored ReviewReply ``{"comment", "updateTime"}``;
- ``POST /token`` (``grant_type=refresh_token``) → ``{"access_token", "expires_in",
  "scope", "token_type"}``; an unknown refresh token → 400 ``{"error": "invalid_grant"}``.

A request without a valid ``Authorization: Bearer`` token gets Google's 401 error body.
Problems with our requests are kept in ``problems`` so tests can assert there were none.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from palaute.reviews.tests.loopback import LoopbackServer, Seen

STARS = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"  # nanoseconds


class FakeGoogle(LoopbackServer):
    def __init__(self, account: str = "1234567890", location: str = "9876543210"):
        super().__init__()
        self.location = f"accounts/{account}/locations/{location}"
        self.client_id = "client-" + secrets.token_hex(4)
        self.client_secret = "secret-" + secrets.token_hex(8)
        self.refresh_token = "1//refresh-" + secrets.token_hex(8)
        self.access_tokens = {"ya29.first-" + secrets.token_hex(8)}
        self.reviews: dict[str, dict] = {}
        self.problems: list[str] = []
        self.fail_next = 0
        self.codes: dict[str, str] = {}  # redirect URI → the code the consent page gave

    @property
    def first_token(self) -> str:
        return next(iter(self.access_tokens))

    def expire_tokens(self) -> None:
        self.access_tokens = set()

    # --- the data ---------------------------------------------------------------------

    def add(
        self, review_id: str, stars: int, comment: str, at: datetime, name: str = "Asiakas"
    ) -> dict:
        review = {
            "name": f"{self.location}/reviews/{review_id}",
            "reviewId": review_id,
            "reviewer": {"profilePhotoUrl": "https://example.com/p.jpg", "displayName": name},
            "starRating": STARS[stars],
            "comment": comment,
            "createTime": rfc3339(at),
            "updateTime": rfc3339(at),
        }
        self.reviews[review_id] = review
        return review

    def edit(self, review_id: str, stars: int, comment: str, at: datetime) -> None:
        review = self.reviews[review_id]
        review.update(starRating=STARS[stars], comment=comment, updateTime=rfc3339(at))

    # --- the endpoints ----------------------------------------------------------------

    def handle(self, seen: Seen):
        if seen.path == "/token":
            return self._token(seen)
        if self.fail_next > 0:
            self.fail_next -= 1
            return 503, {
                "error": {
                    "code": 503,
                    "message": "The service is currently unavailable.",
                    "status": "UNAVAILABLE",
                }
            }
        auth = seen.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
            return 401, {
                "error": {
                    "code": 401,
                    "message": "Request had invalid authentication credentials.",
                    "status": "UNAUTHENTICATED",
                }
            }
        if seen.method == "GET" and seen.path == f"/v4/{self.location}/reviews":
            return self._list(seen)
        prefix = f"/v4/{self.location}/reviews/"
        if seen.method == "PUT" and seen.path.startswith(prefix) and seen.path.endswith("/reply"):
            return self._reply(seen, seen.path[len(prefix) : -len("/reply")])
        self.problems.append(f"unknown {seen.method} {seen.path}")
        return 404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}

    def _list(self, seen: Seen):
        size = int(seen.query.get("pageSize", "50"))
        order = seen.query.get("orderBy", "updateTime desc")
        if size > 50 or size < 1:
            self.problems.append(f"pageSize {size}")
        if order not in ("rating", "rating desc", "updateTime desc"):
            self.problems.append(f"orderBy {order!r}")
        ordered = sorted(self.reviews.values(), key=lambda r: r["updateTime"], reverse=True)
        token = seen.query.get("pageToken", "")
        start = int(base64.urlsafe_b64decode(token).decode()) if token else 0
        page = ordered[start : start + size]
        body: dict = {
            "reviews": page,
            "averageRating": round(
                sum(int(k) for r in ordered for k, v in STARS.items() if v == r["starRating"])
                / max(1, len(ordered)),
                1,
            ),
            "totalReviewCount": len(ordered),
        }
        if start + size < len(ordered):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return 200, body

    def _reply(self, seen: Seen, review_id: str):
        if review_id not in self.reviews:
            return 404, {
                "error": {
                    "code": 404,
                    "message": "Requested entity was not found.",
                    "status": "NOT_FOUND",
                }
            }
        if not seen.headers.get("Content-Type", "").startswith("application/json"):
            self.problems.append("reply body is not JSON")
        body = seen.json()
        if set(body) != {"comment"} or not body["comment"]:
            self.problems.append(f"reply body {body!r}")
        reply = {"comment": body.get("comment", ""), "updateTime": rfc3339(datetime.now(UTC))}
        self.reviews[review_id]["reviewReply"] = reply
        return 200, reply

    def _token(self, seen: Seen):
        form = seen.form()
        if not seen.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            self.problems.append("token request is not form-encoded")
        client_ok = (
            form.get("client_id") == self.client_id
            and form.get("client_secret") == self.client_secret
        )
        if form.get("grant_type") == "authorization_code":
            # The code the consent page issued, for the redirect URI it was issued for.
            if not client_ok or form.get("code") != self.codes.get(form.get("redirect_uri", "")):
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
            token = "ya29.consented-" + secrets.token_hex(8)
            self.access_tokens.add(token)
            return 200, {
                "access_token": token,
                "refresh_token": self.refresh_token,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/business.manage",
                "token_type": "Bearer",
            }
        good = (
            form.get("grant_type") == "refresh_token"
            and form.get("refresh_token") == self.refresh_token
            and client_ok
        )
        if not good:
            return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
        token = "ya29.fresh-" + secrets.token_hex(8)
        self.access_tokens.add(token)
        return 200, {
            "access_token": token,
            "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/business.manage",
            "token_type": "Bearer",
        }
