import json
from datetime import UTC, datetime

import pytest
from django.utils import translation

from palaute.accounts.tests.helpers import make_location, make_stage, make_touchpoint
from palaute.reviews.importer import import_reviews
from palaute.reviews.models import LocationMapping, Review, ReviewSource

pytestmark = pytest.mark.django_db

CSV = """site;external_id;rating;scale;text;author;time;location
Tripadvisor;ta-1;5;;Ihana tunnelma ja hyvät letut;Maija;2024-06-01T12:00:00+03:00;Kota
Tripadvisor;ta-2;2;;Kahvi oli kylmää;Pekka;3.6.2024 14:30;Satama
Booking;b-1;8,0;10;Hyvä sijainti;;2024-06-02;
"""


def test_csv_import_creates_sources_maps_locations_and_normalises(org, touchpoint):
    stage = make_stage(org, "purchase", 1)
    harbour = make_touchpoint(stage, "harbour", location=make_location(org, "Satama"))
    result = import_reviews(org, CSV.encode(), "reviews.csv")
    assert result.errors == [] and result.created == 3 and result.sources_created == 2
    trip = ReviewSource.objects.get(name="Tripadvisor")
    LocationMapping.objects.create(source=trip, external_location="satama", touchpoint=harbour)
    trip.touchpoint = touchpoint
    trip.save()
    # Mappings apply to reviews stored after them; re-import is idempotent otherwise.
    Review.objects.all().delete()
    result = import_reviews(org, CSV.encode(), "reviews.csv")
    assert result.created == 3
    satama = Review.objects.get(external_id="ta-2")
    assert satama.touchpoint == harbour and satama.location.name == "Satama"
    # Local time in the organisation's zone (Helsinki, summer: UTC+3).
    assert satama.reviewed_at == datetime(2024, 6, 3, 11, 30, tzinfo=UTC)
    assert Review.objects.get(external_id="ta-1").touchpoint == touchpoint
    booking = Review.objects.get(external_id="b-1")
    assert booking.rating == 4 and booking.original_rating == "8,0"  # 1 + 8/10·4 = 4.2


def test_reimport_is_idempotent_and_an_edit_becomes_a_revision(org):
    data = b"site,external_id,rating,text,time\nTripadvisor,t1,1,Huono,2024-05-01\n"
    assert import_reviews(org, data).created == 1
    again = import_reviews(org, data)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 1)
    edited = b"site,external_id,rating,text,time\ntripadvisor,t1,4,Parempi nyt,2024-05-01\n"
    result = import_reviews(org, edited)
    assert result.changed == 1 and result.sources_created == 0
    review = Review.objects.get()
    assert (review.rating, review.first_rating, review.text) == (4, 1, "Parempi nyt")
    assert review.revisions.count() == 2


def test_errors_name_row_and_column_and_nothing_is_stored(org):
    data = (
        b"site,external_id,rating,time\n"
        b"Tripadvisor,t1,6,2024-05-01\n"
        b",t2,3,2024-05-01\n"
        b"Tripadvisor,t3,3,eilen\n"
        b"Tripadvisor,t1,3,2024-05-02\n"
        b"Tripadvisor,t4,3,2024-05-02\n"
    )
    with translation.override("en"):
        result = import_reviews(org, data)
        message = str(result.errors[0])
    assert not result.ok
    where = [(e.row, e.column) for e in result.errors]
    assert where == [(2, "rating"), (3, "site"), (4, "time"), (5, "external_id")]
    assert "row 2" in message.lower() and "rating" in message
    assert not Review.objects.exists() and not ReviewSource.objects.exists()


def test_missing_columns_are_named(org):
    result = import_reviews(org, b"site,rating\nX,3\n")
    assert [(e.row, e.column) for e in result.errors] == [(1, "external_id, time")]


def test_json_import_with_aliases_scale_and_recommendations(org):
    items = {
        "reviews": [
            {"source": "Booking", "id": "b1", "stars": 9, "scale": 10, "time": "2024-05-01"},
            {"source": "Booking", "id": "b2", "stars": "positive", "time": "2024-05-01"},
            {"source": "Booking", "id": "b3", "stars": 11, "scale": 10, "time": "2024-05-01"},
            "not an object",
        ]
    }
    result = import_reviews(org, json.dumps(items).encode(), "x.json")
    assert [(e.row, e.column) for e in result.errors] == [(4, ""), (3, "rating")]
    del items["reviews"][2:]
    result = import_reviews(org, json.dumps(items).encode(), "x.json")
    assert result.created == 2
    assert Review.objects.get(external_id="b1").rating == 5  # 1 + 9/10·4 = 4.6 → 5
    b2 = Review.objects.get(external_id="b2")
    assert b2.rating == 5 and b2.recommendation == "positive"


def test_broken_json_and_binary_files(org):
    assert "JSON" in str(import_reviews(org, b"[{", "a.json").errors[0])
    assert "UTF-8" in str(import_reviews(org, b"\xff\xfe\x00", "a.csv").errors[0])
