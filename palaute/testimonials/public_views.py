"""Public testimonial pages and endpoints, reached without signing in.

By the organisation's public key (``/t/<key>/…``), all cached (public_cache.py):

- ``widget.js`` and ``widget.css``: the embeddable widget (one script tag, docs/testimonials.md);
- ``testimonials.json``: the JSON feed, readable from any origin (CORS ``*``);
- ``reviews.jsonld`` and ``reviews-snippet.html``: schema.org markup, as JSON-LD and as the
  ``<script type="application/ld+json">`` block to paste into a page;
- ``references/``: the B2B reference page.

By a token from an email to the consenting person: ``/consent/withdraw/<token>/`` and
``/consent/confirm-edit/<token>/``. A GET only shows; a POST acts, so link scanners change
nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from palaute.testimonials import feed, jsonld, public_cache, references, tokens, workflow
from palaute.testimonials.models import ConsentRecord, Publication, QuoteProposal
from palaute.testimonials.respondent import email_language

STATIC = Path(__file__).resolve().parent / "static" / "testimonials"
ASSET_TYPES = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
}
ASSET_MAX_AGE = 3600
PAGE_LANGUAGES = ("fi", "en")


def _publication(key: str) -> Publication:
    publication = Publication.objects.select_related("organisation").filter(key=key).first()
    if publication is None:
        raise Http404
    return publication


def _public(response: HttpResponse, max_age: int) -> HttpResponse:
    """Any site may read and embed it; nothing personal to the visitor is in it."""
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _cached_response(request, entry: public_cache.Entry, content_type: str) -> HttpResponse:
    if request.headers.get("If-None-Match") == entry.etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(entry.body, content_type=content_type)
    response["ETag"] = entry.etag
    return _public(response, public_cache.HTTP_MAX_AGE)


def _language(request, publication: Publication) -> str:
    """``?lang=``, else the browser's language, else the organisation's."""
    wanted = request.GET.get("lang")
    if wanted not in PAGE_LANGUAGES and request.META.get("HTTP_ACCEPT_LANGUAGE"):
        wanted = translation.get_language_from_request(request)
    if wanted in PAGE_LANGUAGES:
        return wanted
    default = publication.organisation.default_language
    return default if default in PAGE_LANGUAGES else "fi"


@require_safe
def widget_asset(request, key: str, name: str):
    """The widget's script and style sheet: the same for every organisation (the script finds
    its feed next to its own URL), so they are cached for an hour."""
    _publication(key)
    body = (STATIC / name).read_bytes()
    return _public(HttpResponse(body, content_type=ASSET_TYPES[name]), ASSET_MAX_AGE)


@require_safe
def testimonials_json(request, key: str):
    publication = _publication(key)
    entry = public_cache.cached(publication, "feed", lambda: feed.feed_body(publication))
    return _cached_response(request, entry, "application/json")


@require_safe
def reviews_jsonld(request, key: str):
    publication = _publication(key)
    language = _language(request, publication)
    entry = public_cache.cached(
        publication,
        f"jsonld:{language}",
        lambda: jsonld.dumps(_jsonld_data(publication, language)).encode(),
    )
    return _cached_response(request, entry, "application/ld+json; charset=utf-8")


@require_safe
def reviews_snippet(request, key: str):
    publication = _publication(key)
    language = _language(request, publication)
    entry = public_cache.cached(
        publication,
        f"snippet:{language}",
        lambda: (jsonld.script_tag(_jsonld_data(publication, language)) + "\n").encode(),
    )
    return _cached_response(request, entry, "text/html; charset=utf-8")


@require_safe
def references_page(request, key: str):
    publication = _publication(key)
    language = _language(request, publication)

    def build() -> bytes:
        with translation.override(language):
            accounts, shown = references.references(publication)
            data = jsonld.document(publication, shown, feed.aggregate(publication))
            context = {
                "lang": language,
                "publication": publication,
                "references": accounts,
                "jsonld": jsonld.script_tag(data),
                "languages": [code for code in PAGE_LANGUAGES if code != language],
            }
            return render_to_string("testimonials/public/references.html", context).encode()

    entry = public_cache.cached(publication, f"references:{language}", build)
    response = _cached_response(request, entry, "text/html; charset=utf-8")
    patch_vary_headers(response, ("Accept-Language",))
    return response


def _jsonld_data(publication: Publication, language: str) -> dict:
    """Every public, rated testimonial (as in the feed) with the aggregate."""
    with translation.override(language):
        return jsonld.document(publication, feed.shown(publication), feed.aggregate(publication))


# ------------------------------------------------------------------ links in the emails


@csrf_exempt  # the token in the URL is the secret; the page has no session to protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request, token: str):
    record = tokens.record_for_token(token)
    if record is None:
        raise Http404
    language = email_language(record.language, record.organisation)
    with translation.override(language):
        if request.method == "POST":
            record = workflow.withdraw(record, via=ConsentRecord.WithdrawnVia.LINK)
        context = {
            "lang": language,
            "record": record,
            "organisation": record.organisation.name,
            "shown_as": record.shown_as,
            "quote": getattr(getattr(record, "testimonial", None), "quote", ""),
        }
        return render(request, "testimonials/public/withdraw.html", context)


@csrf_exempt  # the token in the URL is the secret; the page has no session to protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_edit(request, token: str):
    proposal = tokens.proposal_for_token(token)
    if proposal is None:
        raise Http404
    testimonial = proposal.testimonial
    language = email_language(testimonial.consent.language, testimonial.organisation)
    with translation.override(language):
        if request.method == "POST" and request.POST.get("answer") in ("accept", "decline"):
            proposal = workflow.answer_proposal(proposal, accept=request.POST["answer"] == "accept")
            testimonial.refresh_from_db()
        context = {
            "lang": language,
            "proposal": proposal,
            "testimonial": testimonial,
            "withdrawn": testimonial.consent.is_withdrawn,
            "organisation": testimonial.organisation.name,
            "pending": proposal.status == QuoteProposal.Status.PENDING,
            "withdraw_url": tokens.withdraw_url(testimonial.consent),
        }
        return render(request, "testimonials/public/confirm_edit.html", context)
