"""Small ORM builders shared by the back-office view tests."""

from django.contrib.auth import get_user_model

from palaute.accounts.models import Membership, Organisation, Role
from palaute.journeys.models import Channel, Location, Stage, Touchpoint

PASSWORD = "correct horse battery staple"


def make_org(slug: str, name: str | None = None) -> Organisation:
    return Organisation.objects.create(name=name or slug.title(), slug=slug)


def make_member(organisation: Organisation, username: str, role: str = Role.OWNER, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    Membership.objects.create(organisation=organisation, user=user, role=role)
    return user


def make_stage(organisation: Organisation, key: str = "purchase", position: int = 0) -> Stage:
    return Stage.objects.create(
        organisation=organisation,
        key=key,
        name_fi=f"{key} fi",
        name_en=f"{key} en",
        position=position,
    )


def make_location(organisation: Organisation, name: str = "Rantakahvila") -> Location:
    return Location.objects.create(organisation=organisation, name=name)


def make_touchpoint(stage: Stage, key: str = "counter", **extra) -> Touchpoint:
    fields = {"name": key.title(), "channel": Channel.KIOSK, **extra}
    return Touchpoint.objects.create(
        organisation=stage.organisation, stage=stage, key=key, **fields
    )


def nps_definition(title_en: str = "How did we do?") -> dict:
    return {
        "format": "palaute.survey/1",
        "languages": ["fi", "en"],
        "default_language": "fi",
        "title": {"fi": "Miten onnistuimme?", "en": title_en},
        "questions": [
            {
                "key": "nps",
                "type": "nps",
                "required": True,
                "text": {"fi": "Suosittelisitko?", "en": "Would you recommend us?"},
            }
        ],
    }
