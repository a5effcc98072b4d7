import pytest

from palaute.accounts.models import Organisation
from palaute.journeys.defaults import DEFAULT_STAGES, create_default_stages
from palaute.journeys.models import Stage

KEYS = ["expectations", "pre_purchase", "purchase", "post_purchase", "customer_phase"]


def test_default_stages_cover_the_journey_in_both_languages():
    assert [s["key"] for s in DEFAULT_STAGES] == KEYS
    assert [s["name_fi"].lower() for s in DEFAULT_STAGES] == [
        "lähtötila",
        "ennen ostoa",
        "ostotapahtuma",
        "oston jälkeen",
        "asiakkuusvaihe",
    ]
    for spec in DEFAULT_STAGES:
        assert spec["name_en"] and spec["description_fi"] and spec["description_en"]


@pytest.mark.django_db
def test_create_default_stages_is_idempotent():
    org = Organisation.objects.create(name="Testi Oy", slug="testi")
    first = create_default_stages(org)
    assert [s.key for s in first] == KEYS
    assert [s.position for s in first] == sorted(s.position for s in first)
    assert list(Stage.objects.filter(organisation=org).values_list("key", flat=True)) == KEYS

    # A renamed stage survives a second call, and nothing is duplicated.
    first[0].name_fi = "Odotukset"
    first[0].save()
    second = create_default_stages(org)
    assert [s.pk for s in second] == [s.pk for s in first]
    assert Stage.objects.filter(organisation=org).count() == 5
    assert Stage.objects.get(organisation=org, key="expectations").name_fi == "Odotukset"


@pytest.mark.django_db
def test_default_stages_are_per_organisation():
    a = Organisation.objects.create(name="A", slug="a")
    b = Organisation.objects.create(name="B", slug="b")
    create_default_stages(a)
    create_default_stages(b)
    assert Stage.objects.filter(organisation=a).count() == 5
    assert Stage.objects.filter(organisation=b).count() == 5
