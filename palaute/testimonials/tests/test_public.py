"""The public surfaces: the JSON feed, schema.org JSON-LD (checked against schema.org's rules
for the types used), the B2B reference page and the widget's files. Only published
testimonials with standing consent appear, each named as its consent allows."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.test import Client

from palaute.outreach.tests.helpers import make_account
from palaute.testimonials import workflow
from palaute.testimonials.models import Testimonial
from palaute.testimonials.publication import publication_for
from palaute.testimonials.tests.helpers import consent_survey, make_org, published, respond

pytestmark = pytest.mark.django_db

# schema.org: the properties each type used here may carry (https://schema.org/<Type>), and
# those that must be there for the markup to mean anything (and for search engines' review
# snippets).
PROPERTIES = {
    "Organization": {"@type", "@context", "name", "url", "aggregateRating", "review", "worksFor"},
    "LocalBusiness": {"@type", "@context", "name", "url", "aggregateRating", "review"},
    "Person": {"@type", "name", "worksFor"},
    "Review": {
        "@type",
        "itemReviewed",
        "reviewBody",
        "reviewRating",
        "author",
        "datePublished",
        "inLanguage",
    },
    "Rating": {"@type", "ratingValue", "bestRating", "worstRating"},
    "AggregateRating": {
        "@type",
        "itemReviewed",
        "ratingValue",
        "bestRating",
        "worstRating",
        "ratingCount",
    },
}
REQUIRED = {
    "Review": {"itemReviewed", "reviewRating", "author"},
    "Rating": {"ratingValue", "bestRating"},
    "AggregateRating": {"itemReviewed", "ratingValue", "ratingCount"},
    "Person": {"name"},
    "Organization": {"name"},
    "LocalBusiness": {"name"},
}


def check_schema(node, path="$"):
    """Every object has a known type, only that type's properties and its required ones;
    ratings lie within their scale."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            check_schema(item, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("@type")
    assert kind in PROPERTIES, f"{path}: unknown @type {kind!r}"
    assert set(node) <= PROPERTIES[kind], f"{path}: {set(node) - PROPERTIES[kind]} not in {kind}"
    missing = REQUIRED.get(kind, set()) - set(node)
    assert not missing, f"{path}: {kind} lacks {missing}"
    if kind in ("Rating", "AggregateRating"):
        worst, best = node.get("worstRating", 1), node["bestRating"]
        assert worst <= node["ratingValue"] <= best, f"{path}: rating outside its scale"
    if kind == "AggregateRating":
        assert isinstance(node["ratingCount"], int) and node["ratingCount"] > 0
    if kind == "Review":
        assert node["reviewBody"].strip()
        date.fromisoformat(node["datePublished"])
        assert node["author"]["@type"] in ("Person", "Organization")
        assert node["author"]["name"].strip()
        assert node["itemReviewed"]["@type"] in ("Organization", "LocalBusiness")
    for key, value in node.items():
        if key != "@context":
            check_schema(value, f"{path}.{key}")


def feed(publication, client=None, **headers):
    return (client or Client()).get(f"/t/{publication.key}/testimonials.json", headers=headers)


@pytest.fixture
def survey():
    return consent_survey(make_org("rakennus"))


def test_feed_has_only_published_testimonials_with_standing_consent(survey):
    shown = published(survey, comment="Sovitussa ajassa valmista.", nps=9)
    respond(survey, consent=True, comment="Odottaa vielä")  # pending
    approved = respond(survey, consent=True, comment="Hyväksytty, ei julkaistu")
    workflow.set_status(Testimonial.objects.get(consent__response=approved), "approved", actor=None)
    rejected = Testimonial.objects.get(
        consent__response=respond(survey, consent=True, comment="Ei")
    )
    workflow.set_status(rejected, "rejected", actor=None, reason="off topic")
    withdrawn = published(survey, comment="Peruttu")
    workflow.withdraw(withdrawn.consent, via="link")
    respond(survey, consent=False, comment="Ei lupaa")

    response = feed(publication_for(survey.organisation))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))
    assert response["Cache-Control"].startswith("public") and max_age <= 60
    assert "Set-Cookie" not in response
    data = response.json()
    assert [item["quote"] for item in data["testimonials"]] == ["Sovitussa ajassa valmista."]
    assert data["testimonials"][0] == {
        "id": shown.pk,
        "quote": "Sovitussa ajassa valmista.",
        "language": "fi",
        "author": {"name": "Maija M.", "company": "", "type": "Person"},
        "rating": {"value": 9, "worst": 0, "best": 10},
        "date": shown.submitted_at.date().isoformat(),
    }
    assert data["aggregate_rating"] == {"value": 9.0, "count": 1, "worst": 0, "best": 10}


def test_naming_in_the_feed_and_json_ld(survey):
    consents = [
        {
            "agreed": True,
            "naming": "full_name",
            "name": "Maija Meikäläinen",
            "company": "Rakennus Oy",
        },
        {"agreed": True, "naming": "first_name_initial", "name": "Matti Virtanen"},
        {"agreed": True, "naming": "company", "name": "Ei näy", "company": "Putki Oy"},
        {"agreed": True, "naming": "anonymous", "name": "Ei näy", "company": "Ei näy"},
    ]
    for i, consent in enumerate(consents):
        published(survey, consent=consent, comment=f"Lainaus {i}")
    publication = publication_for(survey.organisation)
    items = {item["quote"]: item["author"] for item in feed(publication).json()["testimonials"]}
    assert items == {
        "Lainaus 0": {"name": "Maija Meikäläinen", "company": "Rakennus Oy", "type": "Person"},
        "Lainaus 1": {"name": "Matti V.", "company": "", "type": "Person"},
        "Lainaus 2": {"name": "", "company": "Putki Oy", "type": "Organization"},
        "Lainaus 3": None,
    }
    body = Client().get(f"/t/{publication.key}/reviews.jsonld?lang=en").content.decode()
    assert "Ei näy" not in body and "Virtanen" not in body
    data = json.loads(body)
    check_schema(data)
    authors = {review["reviewBody"]: review["author"] for review in data["review"]}
    assert authors == {
        "Lainaus 0": {
            "@type": "Person",
            "name": "Maija Meikäläinen",
            "worksFor": {"@type": "Organization", "name": "Rakennus Oy"},
        },
        "Lainaus 1": {"@type": "Person", "name": "Matti V."},
        "Lainaus 2": {"@type": "Organization", "name": "Putki Oy"},
        "Lainaus 3": {"@type": "Person", "name": "Anonymous customer"},
    }


def test_json_ld_document_and_snippet(survey):
    publication = publication_for(survey.organisation)
    publication.subject_name = "Rakennus Oy"
    publication.subject_url = "https://rakennus.example/"
    publication.subject_type = "LocalBusiness"
    publication.save()
    published(survey, nps=10, comment="Erinomaista")
    published(survey, nps=7, comment="Ihan hyvä")
    response = Client().get(f"/t/{publication.key}/reviews.jsonld")
    assert response["Content-Type"].startswith("application/ld+json")
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    check_schema(data)
    assert data["@context"] == "https://schema.org"
    assert (data["@type"], data["name"], data["url"]) == (
        "LocalBusiness",
        "Rakennus Oy",
        "https://rakennus.example/",
    )
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "itemReviewed": {
            "@type": "LocalBusiness",
            "name": "Rakennus Oy",
            "url": "https://rakennus.example/",
        },
        "ratingValue": 8.5,
        "bestRating": 10,
        "worstRating": 0,
        "ratingCount": 2,
    }
    assert [review["reviewRating"]["ratingValue"] for review in data["review"]] == [7, 10]

    snippet = Client().get(f"/t/{publication.key}/reviews-snippet.html").content.decode()
    match = re.fullmatch(r'<script type="application/ld\+json">\n(.*)\n</script>\n', snippet, re.S)
    assert match and json.loads(match.group(1)) == data


def test_json_ld_cannot_break_out_of_its_script_element(survey):
    published(survey, comment="</script><script>alert(1)</script>")
    publication = publication_for(survey.organisation)
    snippet = Client().get(f"/t/{publication.key}/reviews-snippet.html").content.decode()
    assert snippet.count("</script>") == 1
    inner = snippet.split("\n", 1)[1].rsplit("\n</script>", 1)[0]
    assert json.loads(inner)["review"][0]["reviewBody"] == "</script><script>alert(1)</script>"


def test_mixed_scales_are_aggregated_on_one_to_five(survey):
    from palaute.surveys.tests.helpers import definition, make_survey, question
    from palaute.testimonials.tests.helpers import consent_question

    csat = make_survey(
        definition(question("nps", "csat"), question("comment", "text"), consent_question()),
        organisation=survey.organisation,
        key="csat",
    )
    published(survey, nps=10, comment="NPS kymppi")  # 0–10: 10 → 5.0
    published(csat, nps=3, comment="CSAT kolme")  # 1–5: 3 → 3.0
    data = feed(publication_for(survey.organisation)).json()
    assert data["aggregate_rating"] == {"value": 4.0, "count": 2, "worst": 1, "best": 5}
    jsonld = Client().get(f"/t/{publication_for(survey.organisation).key}/reviews.jsonld").json()
    check_schema(jsonld)
    ratings = {r["reviewBody"]: r["reviewRating"] for r in jsonld["review"]}
    assert ratings["CSAT kolme"] == {
        "@type": "Rating",
        "ratingValue": 3,
        "bestRating": 5,
        "worstRating": 1,
    }


def test_unrated_testimonials_are_in_the_feed_but_not_in_json_ld():
    from palaute.surveys.tests.helpers import definition, make_survey, question
    from palaute.testimonials.tests.helpers import consent_question

    survey = make_survey(definition(question("comment", "text"), consent_question()))
    response = respond(survey, consent=True, nps=None, comment="Ilman arvosanaa")
    testimonial = Testimonial.objects.get(consent__response=response)
    workflow.set_status(testimonial, "approved", actor=None)
    workflow.set_status(testimonial, "published", actor=None)
    publication = publication_for(survey.organisation)
    data = feed(publication).json()
    assert data["testimonials"][0]["rating"] is None and data["aggregate_rating"] is None
    jsonld = Client().get(f"/t/{publication.key}/reviews.jsonld").json()
    check_schema(jsonld)
    assert "review" not in jsonld and "aggregateRating" not in jsonld


def test_etag_revalidation(survey):
    published(survey)
    publication = publication_for(survey.organisation)
    first = feed(publication)
    again = feed(publication, If_None_Match=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["Access-Control-Allow-Origin"] == "*"
    published(survey, comment="Uusi")
    assert feed(publication, If_None_Match=first["ETag"]).status_code == 200


def test_reference_page_lists_accounts_that_may_be_named(survey):
    org = survey.organisation
    rakennus = make_account(org, "Rakennus Oy")
    rakennus.sector = "Rakentaminen"
    rakennus.save()
    putki = make_account(org, "Putki Oy")
    hidden = make_account(org, "Salainen Oy")
    named = published(
        survey,
        consent={
            "agreed": True,
            "naming": "full_name",
            "name": "Maija Meikäläinen",
            "company": "Rakennus Oy",
        },
        comment="Aikataulu piti.",
    )
    company_only = published(
        survey,
        consent={"agreed": True, "naming": "company", "company": "Putki Oy"},
        comment="Siistiä jälkeä.",
    )
    anonymous = published(survey, consent={"agreed": True, "naming": "anonymous"}, comment="Salaa")
    name_only = published(survey, comment="Vain nimellä")  # first name + initial, no company
    for testimonial, account, sector in (
        (named, rakennus, ""),
        (company_only, putki, "LVI"),
        (anonymous, hidden, "Salaisuus"),
        (name_only, hidden, "Salaisuus"),
    ):
        workflow.set_reference(testimonial, account, sector=sector, website="", actor=None)
    publication = publication_for(org)
    response = Client().get(f"/t/{publication.key}/references/?lang=en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rakennus Oy" in html and "Putki Oy" in html
    assert "Rakentaminen" in html  # the account's own sector when the profile has none
    assert "LVI" in html
    assert "Maija Meikäläinen, Rakennus Oy" in html and "Aikataulu piti." in html
    assert "Salainen" not in html and "Salaa" not in html and "Vain nimellä" not in html
    assert html.index("Putki Oy") < html.index("Rakennus Oy")  # in name order
    assert '<html lang="en">' in html and "noindex" not in html
    jsonld = json.loads(
        re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', html, re.S).group(1)
    )
    check_schema(jsonld)
    assert {review["reviewBody"] for review in jsonld["review"]} == {
        "Aikataulu piti.",
        "Siistiä jälkeä.",
    }
    assert "<script>" not in html.replace('<script type="application/ld+json">', "")


def test_widget_files_and_unknown_keys(survey):
    publication = publication_for(survey.organisation)
    script = Client().get(f"/t/{publication.key}/widget.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("text/javascript")
    assert script["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert b"testimonials.json" in script.content
    css = Client().get(f"/t/{publication.key}/widget.css")
    assert css["Content-Type"].startswith("text/css")
    for path in ("widget.js", "widget.css", "testimonials.json", "reviews.jsonld", "references/"):
        assert Client().get(f"/t/nosuchkey123/{path}").status_code == 404


def test_page_language_from_the_query_the_browser_or_the_organisation(survey):
    org = survey.organisation
    org.default_language = "en"
    org.save()
    key = publication_for(org).key
    url = f"/t/{key}/references/"
    assert '<html lang="en">' in Client().get(url).content.decode()
    assert '<html lang="fi">' in Client().get(url, HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert '<html lang="fi">' in Client().get(url + "?lang=fi").content.decode()
    assert '<html lang="en">' in Client().get(url + "?lang=xx").content.decode()
    assert Client().head(f"/t/{key}/testimonials.json").status_code == 200
    assert Client().post(f"/t/{key}/testimonials.json").status_code == 405
