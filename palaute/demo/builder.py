"""Realistic demo data: a lakeside café and a B2B heat-pump installer.

``build(responses=20000, seed=1)`` creates two organisations with the default journey stages,
named staff who own touchpoints, bilingual surveys and a year of responses with seasonal
volume, Finnish and English comments and a few real problems to discover:

* café counter (kiosk smileys): queues in June–August drag the smiley score down;
* café online booking (CES): poor until the booking calendar was fixed about four months ago;
* café coffee: praised all year round;
* installer installation visit: about three months of worse scores after the installation team
  changed (delays, no advance notice, dust left behind), then recovery;
* installer invoicing: recurring invoice errors, poor effort score all year;
* installer kickoff meeting: consistently strong.

Rows are written with ``bulk_create`` and the score counts rebuilt with one INSERT … SELECT
per organisation, so 20,000 responses take a few seconds on SQLite.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from palaute.accounts.models import Membership, Organisation, Role
from palaute.demo import comments
from palaute.demo.definitions import CAFE, CONSENT_EN, CONSENT_FI, INSTALLER
from palaute.insights import rollup
from palaute.insights.models import ScoreCount
from palaute.journeys.defaults import create_default_stages
from palaute.journeys.models import Location, Stage, Touchpoint
from palaute.surveys.models import Answer, Response, Survey, SurveyVersion
from palaute.text.analysis import analyse_history

TIME_ZONE = "Europe/Helsinki"
TZ = zoneinfo.ZoneInfo(TIME_ZONE)
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "palaute-demo"
DEMO_URL = "http://127.0.0.1:8000/"
CAFE_SLUG = "demo-kotakahvila"
INSTALLER_SLUG = "demo-lampoasennus"
DEMO_SLUGS = (CAFE_SLUG, INSTALLER_SLUG)

# ------------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Timeline:
    """The demo year, relative to ``today`` (so the data always ends today)."""

    today: dt.date
    now: dt.datetime

    @property
    def start(self) -> dt.date:
        return self.today - dt.timedelta(days=364)

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(365)]

    @property
    def booking_fix(self) -> dt.date:
        """The new online booking calendar went live about four months ago (on the first
        day of the month three calendar months back)."""
        return _add_months(self.today.replace(day=1), -3)

    @property
    def staff_change(self) -> dt.date:
        """A new installation team lead started mid-month seven months back."""
        return _add_months(self.today.replace(day=1), -7) + dt.timedelta(days=14)

    @property
    def staff_recovered(self) -> dt.date:
        return self.staff_change + dt.timedelta(days=91)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def _clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


# ------------------------------------------------------------------------------- profiles

CAFE_SEASON = (0.45, 0.5, 0.6, 0.75, 1.1, 1.8, 2.3, 1.7, 0.95, 0.75, 0.55, 0.8)
EVENT_SEASON = (0.4, 0.5, 0.6, 0.8, 1.6, 1.8, 1.2, 1.4, 0.9, 0.8, 1.0, 1.6)
INSTALL_SEASON = (0.8, 0.8, 1.0, 1.1, 1.0, 0.8, 0.5, 0.9, 1.3, 1.4, 1.3, 0.8)
SUPPORT_SEASON = (1.6, 1.5, 1.1, 0.8, 0.6, 0.5, 0.5, 0.6, 0.8, 1.0, 1.2, 1.4)
FLAT = (1.0,) * 12

CAFE_WEEK = (0.8, 0.8, 0.9, 1.0, 1.2, 1.5, 1.4)
EVENT_WEEK = (0.2, 0.2, 0.3, 0.5, 1.5, 2.5, 1.0)  # the day after the event
OFFICE_WEEK = (1.0, 1.0, 1.0, 1.0, 0.9, 0.15, 0.05)
EMAIL_WEEK = (1.0, 1.0, 1.0, 1.0, 0.9, 0.35, 0.45)

CAFE_HOURS = {9: 3, 10: 5, 11: 8, 12: 10, 13: 8, 14: 7, 15: 8, 16: 6, 17: 4, 18: 3, 19: 2}
EMAIL_HOURS = {
    7: 2, 8: 4, 9: 5, 10: 5, 11: 4, 12: 5, 13: 4, 14: 4, 15: 4, 16: 5,
    17: 5, 18: 6, 19: 7, 20: 7, 21: 5, 22: 3,
}  # fmt: skip
VISIT_HOURS = {10: 2, 11: 3, 12: 4, 13: 4, 14: 5, 15: 5, 16: 6, 17: 5, 18: 3, 19: 2, 20: 1}

Topics = dict[str, float]


def _const(value: Any) -> Callable[[dt.date], Any]:
    return lambda day: value


@dataclass
class Profile:
    """How one touchpoint's responses behave over the year."""

    quality: Callable[[dt.date], float]  # mean satisfaction on a 0–1 latent scale
    pos: Callable[[dt.date], Topics]
    neg: Callable[[dt.date], Topics]
    spread: float = 0.17
    comment_rate: float = 0.33
    season: tuple[float, ...] = FLAT
    week: tuple[float, ...] = EMAIL_WEEK
    hours: dict[int, int] = field(default_factory=lambda: EMAIL_HOURS)
    channels: dict[str, float] = field(default_factory=lambda: {"email": 1.0})
    english: Callable[[dt.date], float] = _const(0.07)
    expectation: float = 0.72  # mean of the "expected" half of expectation–experience
    choices: dict[str, dict[str, float]] = field(default_factory=dict)
    fixed_quality: dict[str, float] = field(default_factory=dict)  # question key -> mean


@dataclass
class TouchpointPlan:
    key: str
    stage: str
    name: str
    description: str
    channel: str
    kind: str
    owner: str
    survey_key: str
    survey_name: str
    definition: dict
    share: float
    profile: Profile
    location: str | None = None


@dataclass
class StaffPlan:
    username: str
    first_name: str
    last_name: str
    title: str
    phone: str
    role: str


@dataclass
class OrgPlan:
    slug: str
    name: str
    domain: str
    staff: list[StaffPlan]
    locations: dict[str, str]  # name -> address
    touchpoints: list[TouchpointPlan]


def _summer_dip(day: dt.date) -> float:
    """How much the counter suffers from summer queues (0 = not at all)."""
    return {6: 0.2, 7: 0.32, 8: 0.24}.get(day.month, 0.0)


def _cafe_english(day: dt.date) -> float:
    return 0.28 if day.month in (6, 7, 8) else 0.13


def cafe_plan(tl: Timeline) -> OrgPlan:
    fix = tl.booking_fix

    def counter_neg(day: dt.date) -> Topics:
        summer = _summer_dip(day) > 0
        return {
            "queue": 9 if summer else 1,
            "staff": 1.2,
            "price": 1,
            "cleanliness": 1.5 if summer else 0.7,
            "pastries": 0.6,
            "coffee": 0.2,
        }

    def counter_pos(day: dt.date) -> Topics:
        summer = _summer_dip(day) > 0
        return {
            "staff": 3,
            "coffee": 3,
            "queue": 0.2 if summer else 1.5,
            "pastries": 2,
            "scenery": 3 if summer else 1,
        }

    def booking_quality(day: dt.date) -> float:
        if day < fix:
            return 0.36
        return 0.36 + (0.84 - 0.36) * _clamp((day - fix).days / 14)

    def booking_pos(day: dt.date) -> Topics:
        return {"booking": 3, "website": 1, "booking_calendar": 4 if day >= fix else 0}

    def booking_neg(day: dt.date) -> Topics:
        return {"booking": 7 if day < fix else 1, "website": 1.5}

    return OrgPlan(
        slug=CAFE_SLUG,
        name="Kotakahvila Järvenranta",
        domain="kotakahvila.example",
        staff=[
            StaffPlan(
                username="aino.jarvinen",
                first_name="Aino",
                last_name="Järvinen",
                title="Kahvilayrittäjä",
                phone="+358 40 710 2231",
                role=Role.MANAGER,
            ),
            StaffPlan(
                username="mikko.laine",
                first_name="Mikko",
                last_name="Laine",
                title="Vuoropäällikkö",
                phone="+358 40 710 2232",
                role=Role.AGENT,
            ),
            StaffPlan(
                username="sanna.virtanen",
                first_name="Sanna",
                last_name="Virtanen",
                title="Tapahtuma- ja myyntivastaava",
                phone="+358 40 710 2233",
                role=Role.AGENT,
            ),
        ],
        locations={
            "Kotakahvila, rantapaviljonki": "Rantapolku 4, 40100 Jyväskylä",
            "Juhlatila Rantatupa": "Rantapolku 6, 40100 Jyväskylä",
        },
        touchpoints=[
            TouchpointPlan(
                key="word-of-mouth",
                stage="expectations",
                name="Suosittelut ja puskaradio",
                description=(
                    "Ystävien suosittelut ja aiemmat kokemukset luovat odotukset ennen käyntiä; "
                    "ensikävijöiltä kysytään QR-koodilla, mistä he kuulivat meistä."
                ),
                channel="qr",
                kind=Touchpoint.Kind.INDIRECT,
                owner="aino.jarvinen",
                survey_key="first-visit",
                survey_name="Ensikäynti: mistä kuulit meistä",
                definition=CAFE["first-visit"],
                share=0.03,
                profile=Profile(
                    quality=lambda d: 0.8 - 0.6 * _summer_dip(d),
                    pos=_const({"word_of_mouth": 4, "coffee": 2, "scenery": 2}),
                    neg=lambda d: {
                        "word_of_mouth": 3,
                        "queue": 4 if _summer_dip(d) else 0.5,
                        "price": 1,
                    },
                    season=CAFE_SEASON,
                    week=CAFE_WEEK,
                    hours=CAFE_HOURS,
                    channels={"qr": 1.0},
                    english=lambda d: _cafe_english(d) + 0.1,
                    expectation=0.76,
                    choices={
                        "heard_from": {
                            "friend": 4,
                            "google": 3,
                            "facebook": 2,
                            "passing_by": 3,
                            "event": 1,
                        }
                    },
                ),
                location="Kotakahvila, rantapaviljonki",
            ),
            TouchpointPlan(
                key="public-reviews",
                stage="pre_purchase",
                name="Facebook- ja Google-arviot",
                description=(
                    "Julkiset arviot, joita moni lukee ennen käyntiä; tuodaan arvioiden "
                    "postilaatikkoon ja vastataan nimellä."
                ),
                channel="social",
                kind=Touchpoint.Kind.INDIRECT,
                owner="sanna.virtanen",
                survey_key="public-reviews",
                survey_name="Google- ja Facebook-arviot",
                definition=CAFE["public-reviews"],
                share=0.02,
                profile=Profile(
                    quality=lambda d: 0.74 - 0.8 * _summer_dip(d),
                    spread=0.26,
                    comment_rate=0.8,
                    pos=_const({"coffee": 3, "scenery": 3, "staff": 2, "pastries": 2}),
                    neg=lambda d: {
                        "queue": 6 if _summer_dip(d) else 1,
                        "staff": 2,
                        "price": 2,
                        "cleanliness": 1,
                    },
                    season=CAFE_SEASON,
                    hours=EMAIL_HOURS,
                    channels={"social": 1.0},
                    english=lambda d: _cafe_english(d) + 0.05,
                    choices={"platform": {"google": 3, "facebook": 1}},
                ),
            ),
            TouchpointPlan(
                key="website-booking",
                stage="pre_purchase",
                name="Verkkosivut ja pöytävaraus",
                description="Aukioloajat, menu ja pöydän tai juhlatilan varaus verkossa.",
                channel="web",
                kind=Touchpoint.Kind.DIRECT,
                owner="sanna.virtanen",
                survey_key="online-booking",
                survey_name="Varaamisen helppous (CES)",
                definition=CAFE["online-booking"],
                share=0.06,
                profile=Profile(
                    quality=booking_quality,
                    pos=booking_pos,
                    neg=booking_neg,
                    comment_rate=0.45,
                    season=CAFE_SEASON,
                    week=EMAIL_WEEK,
                    hours=EMAIL_HOURS,
                    channels={"web": 0.7, "widget": 0.3},
                    english=_cafe_english,
                ),
            ),
            TouchpointPlan(
                key="counter",
                stage="purchase",
                name="Kassa ja tiskipalvelu",
                description="Tilaus ja maksu tiskillä; hymiötabletti kassan vieressä.",
                channel="kiosk",
                kind=Touchpoint.Kind.DIRECT,
                owner="mikko.laine",
                survey_key="counter-kiosk",
                survey_name="Kassan hymiökysely",
                definition=CAFE["counter-kiosk"],
                share=0.40,
                profile=Profile(
                    quality=lambda d: 0.8 - _summer_dip(d),
                    pos=counter_pos,
                    neg=counter_neg,
                    comment_rate=0.26,
                    season=CAFE_SEASON,
                    week=CAFE_WEEK,
                    hours=CAFE_HOURS,
                    channels={"kiosk": 1.0},
                    english=_cafe_english,
                ),
                location="Kotakahvila, rantapaviljonki",
            ),
            TouchpointPlan(
                key="lunch-coffee",
                stage="purchase",
                name="Lounas, kahvi ja leivonnaiset",
                description=(
                    "Itse leivotut leivonnaiset, lounaskeitto ja järven rannan paras kahvi; "
                    "pöydissä QR-koodi."
                ),
                channel="qr",
                kind=Touchpoint.Kind.DIRECT,
                owner="mikko.laine",
                survey_key="table-qr",
                survey_name="Lounas ja kahvila (pöytä-QR)",
                definition=CAFE["table-qr"],
                share=0.12,
                profile=Profile(
                    quality=lambda d: 0.8 - 0.25 * _summer_dip(d),
                    pos=_const(
                        {"coffee": 6, "pastries": 3, "lunch": 2, "scenery": 1.5, "staff": 1}
                    ),
                    neg=lambda d: {
                        "lunch": 2,
                        "price": 2,
                        "pastries": 1.5,
                        "coffee": 0.2,
                        "cleanliness": 1.5 if _summer_dip(d) else 0.5,
                        "queue": 2 if _summer_dip(d) else 0.3,
                    },
                    comment_rate=0.38,
                    season=CAFE_SEASON,
                    week=CAFE_WEEK,
                    hours=CAFE_HOURS,
                    channels={"qr": 1.0},
                    english=_cafe_english,
                    choices={
                        "had": {"lunch": 3, "coffee_pastry": 5, "ice_cream": 1.5, "other": 0.5}
                    },
                    fixed_quality={"coffee": 0.9},
                ),
                location="Kotakahvila, rantapaviljonki",
            ),
            TouchpointPlan(
                key="private-events",
                stage="purchase",
                name="Yksityistilaisuudet",
                description=(
                    "Juhlat, muistotilaisuudet ja yritysten virkistyspäivät Rantatuvassa; "
                    "palautekysely lähtee jokaisen tilaisuuden jälkeen."
                ),
                channel="email",
                kind=Touchpoint.Kind.DIRECT,
                owner="sanna.virtanen",
                survey_key="private-event",
                survey_name="Yksityistilaisuuden jälkeen (NPS)",
                definition=CAFE["private-event"],
                share=0.025,
                profile=Profile(
                    quality=_const(0.84),
                    spread=0.15,
                    pos=_const({"event_planning": 3, "event_food": 3, "staff": 1, "scenery": 1}),
                    neg=_const({"event_planning": 2, "event_food": 2, "price": 1}),
                    comment_rate=0.55,
                    season=EVENT_SEASON,
                    week=EVENT_WEEK,
                    channels={"email": 1.0},
                    english=_const(0.08),
                ),
                location="Juhlatila Rantatupa",
            ),
            TouchpointPlan(
                key="feedback-complaints",
                stage="post_purchase",
                name="Palaute ja reklamaatiot",
                description="Asiakkaan yhteydenotot, reklamaatiot ja niiden käsittely.",
                channel="email",
                kind=Touchpoint.Kind.DIRECT,
                owner="aino.jarvinen",
                survey_key="complaint-followup",
                survey_name="Palautteen käsittely",
                definition=CAFE["complaint-followup"],
                share=0.015,
                profile=Profile(
                    quality=_const(0.62),
                    spread=0.22,
                    pos=_const({"complaint": 4, "staff": 1}),
                    neg=_const({"complaint": 4, "queue": 0.5}),
                    comment_rate=0.5,
                    season=CAFE_SEASON,
                    channels={"email": 0.7, "web": 0.3},
                    english=_cafe_english,
                ),
            ),
            TouchpointPlan(
                key="regulars",
                stage="customer_phase",
                name="Kanta-asiakkaat",
                description="Leimakortti ja kanta-asiakkaiden neljännesvuosikysely.",
                channel="sms",
                kind=Touchpoint.Kind.DIRECT,
                owner="aino.jarvinen",
                survey_key="regulars",
                survey_name="Kanta-asiakaskysely (NPS)",
                definition=CAFE["regulars"],
                share=0.05,
                profile=Profile(
                    quality=lambda d: 0.82 - 0.3 * _summer_dip(d),
                    pos=_const({"loyalty": 3, "coffee": 3, "staff": 2, "pastries": 1}),
                    neg=lambda d: {"loyalty": 2, "price": 2, "queue": 4 if _summer_dip(d) else 0.5},
                    comment_rate=0.4,
                    season=(1, 0.3, 0.3, 1.2, 0.3, 0.3, 1.2, 0.3, 0.3, 1.2, 0.3, 0.3),
                    channels={"sms": 0.6, "email": 0.4},
                    english=_const(0.05),
                ),
            ),
        ],
    )


def installer_plan(tl: Timeline) -> OrgPlan:
    change, recovered = tl.staff_change, tl.staff_recovered

    def dip(day: dt.date) -> float:
        """0 outside the difficult months, 1 in the worst of them."""
        if day < change or day >= recovered:
            return 0.0
        into = (day - change).days
        if into < 60:
            return 1.0
        return 1.0 - (into - 60) / 31

    def install_neg(day: dt.date) -> Topics:
        d = dip(day)
        return {
            "install_quality": 2,
            "install_delay": 1 + 4 * d,
            "advance_notice": 0.7 + 4 * d,
            "dust": 0.7 + 4 * d,
            "named_contact": 0.3 + d,
        }

    def relationship_neg(day: dt.date) -> Topics:
        return {
            "invoice_error": 3,
            "install_delay": 1 + 3 * dip(day),
            "support": 1,
            "sales_response": 1,
        }

    return OrgPlan(
        slug=INSTALLER_SLUG,
        name="Lämpöasennus Oy",
        domain="lampoasennus.example",
        staff=[
            StaffPlan(
                username="jari.korhonen",
                first_name="Jari",
                last_name="Korhonen",
                title="Myyntipäällikkö",
                phone="+358 50 440 1101",
                role=Role.MANAGER,
            ),
            StaffPlan(
                username="petra.nieminen",
                first_name="Petra",
                last_name="Nieminen",
                title="Projektipäällikkö",
                phone="+358 50 440 1102",
                role=Role.MANAGER,
            ),
            StaffPlan(
                username="timo.heikkinen",
                first_name="Timo",
                last_name="Heikkinen",
                title="Asennustiimin esimies",
                phone="+358 50 440 1103",
                role=Role.AGENT,
            ),
            StaffPlan(
                username="laura.makinen",
                first_name="Laura",
                last_name="Mäkinen",
                title="Talous- ja laskutusvastaava",
                phone="+358 50 440 1104",
                role=Role.AGENT,
            ),
            StaffPlan(
                username="oskari.lehtonen",
                first_name="Oskari",
                last_name="Lehtonen",
                title="Huoltoteknikko",
                phone="+358 50 440 1105",
                role=Role.AGENT,
            ),
        ],
        locations={"Jyväskylän toimipiste": "Vasarakatu 12, 40320 Jyväskylä"},
        touchpoints=[
            TouchpointPlan(
                key="referrals",
                stage="expectations",
                name="Suositukset ja referenssit",
                description=(
                    "Naapurin suositus, referenssikohteet ja aiemmat kokemukset muodostavat "
                    "odotukset ennen yhteydenottoa."
                ),
                channel="web",
                kind=Touchpoint.Kind.INDIRECT,
                owner="jari.korhonen",
                survey_key="referral-source",
                survey_name="Mistä kuulitte meistä",
                definition=INSTALLER["referral-source"],
                share=0.02,
                profile=Profile(
                    quality=_const(0.78),
                    pos=_const({"referral": 4, "named_contact": 0.5}),
                    neg=_const({"referral": 2}),
                    comment_rate=0.35,
                    season=INSTALL_SEASON,
                    channels={"web": 0.6, "widget": 0.4},
                    choices={
                        "source": {
                            "friend": 35,
                            "reference": 15,
                            "search": 25,
                            "ad": 8,
                            "fair": 7,
                            "existing": 10,
                        }
                    },
                ),
            ),
            TouchpointPlan(
                key="sales-quote",
                stage="pre_purchase",
                name="Myyntikontakti ja tarjous",
                description=(
                    "Yhteydenotto, kartoituskäynti ja tarjous lämpöpumpusta tai aurinkopaneeleista."
                ),
                channel="email",
                kind=Touchpoint.Kind.DIRECT,
                owner="jari.korhonen",
                survey_key="sales-quote",
                survey_name="Myynti ja tarjous",
                definition=INSTALLER["sales-quote"],
                share=0.04,
                profile=Profile(
                    quality=_const(0.72),
                    pos=_const({"sales_response": 3, "quote_price": 2, "named_contact": 1}),
                    neg=_const({"sales_response": 3, "quote_price": 2}),
                    season=INSTALL_SEASON,
                    week=EMAIL_WEEK,
                ),
            ),
            TouchpointPlan(
                key="contract",
                stage="purchase",
                name="Sopimus",
                description="Tilausvahvistus ja sähköisesti allekirjoitettava sopimus.",
                channel="email",
                kind=Touchpoint.Kind.DIRECT,
                owner="jari.korhonen",
                survey_key="contract",
                survey_name="Sopimus",
                definition=INSTALLER["contract"],
                share=0.025,
                profile=Profile(
                    quality=_const(0.8),
                    pos=_const({"contract": 3, "quote_price": 1}),
                    neg=_const({"contract": 3, "quote_price": 1}),
                    comment_rate=0.25,
                    season=INSTALL_SEASON,
                    week=EMAIL_WEEK,
                ),
            ),
            TouchpointPlan(
                key="kickoff",
                stage="customer_phase",
                name="Aloituspalaveri",
                description=(
                    "Käydään suunnitelmat, aikataulu ja yhteyshenkilöt läpi ennen asennusta."
                ),
                channel="email",
                kind=Touchpoint.Kind.DIRECT,
                owner="petra.nieminen",
                survey_key="kickoff",
                survey_name="Aloituspalaveri",
                definition=INSTALLER["kickoff"],
                share=0.035,
                profile=Profile(
                    quality=_const(0.9),
                    spread=0.1,
                    pos=_const({"kickoff": 5, "named_contact": 2}),
                    neg=_const({"kickoff": 2}),
                    comment_rate=0.35,
                    season=INSTALL_SEASON,
                    week=EMAIL_WEEK,
                    expectation=0.7,
                ),
                location="Jyväskylän toimipiste",
            ),
            TouchpointPlan(
                key="installation-visit",
                stage="customer_phase",
                name="Asennuskäynti",
                description=(
                    "Asennustiimi asiakkaan kotona tai kiinteistössä; kysely lähtee tekstiviestinä "
                    "asennuspäivän iltana."
                ),
                channel="sms",
                kind=Touchpoint.Kind.DIRECT,
                owner="timo.heikkinen",
                survey_key="installation",
                survey_name="Asennuskäynti",
                definition=INSTALLER["installation"],
                share=0.07,
                profile=Profile(
                    quality=lambda d: 0.82 - 0.4 * dip(d),
                    pos=_const(
                        {
                            "install_quality": 3,
                            "install_delay": 1.5,
                            "advance_notice": 1,
                            "dust": 1.5,
                            "named_contact": 0.5,
                        }
                    ),
                    neg=install_neg,
                    comment_rate=0.4,
                    season=INSTALL_SEASON,
                    week=OFFICE_WEEK,
                    hours=VISIT_HOURS,
                    channels={"sms": 0.75, "email": 0.25},
                    expectation=0.78,
                ),
            ),
            TouchpointPlan(
                key="invoicing",
                stage="post_purchase",
                name="Laskutus",
                description="Lasku, kotitalousvähennyksen työn osuus ja maksuerät.",
                channel="email",
                kind=Touchpoint.Kind.DIRECT,
                owner="laura.makinen",
                survey_key="invoicing",
                survey_name="Laskutus",
                definition=INSTALLER["invoicing"],
                share=0.05,
                profile=Profile(
                    quality=_const(0.5),
                    spread=0.2,
                    pos=_const({"invoice_error": 2, "named_contact": 0.5}),
                    neg=_const({"invoice_error": 8, "named_contact": 0.5}),
                    comment_rate=0.45,
                    season=INSTALL_SEASON,
                    week=EMAIL_WEEK,
                ),
            ),
            TouchpointPlan(
                key="support",
                stage="post_purchase",
                name="Huolto ja tuki",
                description="Vikailmoitukset, huoltokäynnit ja puhelinneuvonta.",
                channel="phone",
                kind=Touchpoint.Kind.DIRECT,
                owner="oskari.lehtonen",
                survey_key="support",
                survey_name="Huolto ja tuki",
                definition=INSTALLER["support"],
                share=0.025,
                profile=Profile(
                    quality=lambda d: 0.74 - (0.1 if d.month in (1, 2) else 0.0),
                    pos=_const({"support": 4, "named_contact": 1}),
                    neg=_const({"support": 4}),
                    comment_rate=0.4,
                    season=SUPPORT_SEASON,
                    channels={"sms": 0.5, "email": 0.3, "phone": 0.2},
                ),
            ),
            TouchpointPlan(
                key="relationship",
                stage="customer_phase",
                name="Asiakassuhde ja yhteyshenkilö",
                description=(
                    "Nimetty yhteyshenkilö koko asiakkuuden ajan; "
                    "asiakkuuskysely kahdesti vuodessa."
                ),
                channel="email",
                kind=Touchpoint.Kind.DIRECT,
                owner="petra.nieminen",
                survey_key="relationship",
                survey_name="Asiakkuuskysely (NPS)",
                definition=INSTALLER["relationship"],
                share=0.025,
                profile=Profile(
                    quality=lambda d: 0.78 - 0.15 * dip(d),
                    pos=_const(
                        {"named_contact": 2, "install_quality": 2, "kickoff": 1, "support": 1}
                    ),
                    neg=relationship_neg,
                    comment_rate=0.4,
                    season=(0.3, 0.3, 2.5, 0.5, 0.3, 0.2, 0.2, 0.3, 2.5, 0.5, 0.3, 0.2),
                ),
            ),
        ],
    )


# ------------------------------------------------------------------------------- answers

FIRST_NAMES = [
    "Matti",
    "Anna",
    "Juha",
    "Liisa",
    "Ville",
    "Kaisa",
    "Tuomas",
    "Elina",
    "Pekka",
    "Johanna",
    "Antti",
    "Maria",
    "Heikki",
    "Riikka",
    "Sami",
    "Noora",
    "Emma",
    "Leo",
]
LAST_NAMES = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Hämäläinen",
    "Laine",
    "Koskinen",
    "Heikkinen",
    "Järvinen",
    "Lehtonen",
    "Salonen",
    "Turunen",
    "Salo",
    "Rantanen",
]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _scaled(v: float, lo: int, hi: int) -> int:
    return lo + int(v * (hi - lo) + 0.5)


def _shown(question: dict, scores: dict[str, int]) -> bool:
    cond = question.get("show_if")
    if not cond:
        return True
    value = scores.get(cond["question"])
    if value is None:
        return False
    target = cond["value"]
    op = cond["op"]
    if op == "in":
        return value in target
    return {
        "lte": value <= target,
        "lt": value < target,
        "gte": value >= target,
        "gt": value > target,
        "eq": value == target,
        "ne": value != target,
    }[op]


@dataclass
class DayState:
    quality: float
    pos: Topics
    neg: Topics
    english: float


class Generator:
    def __init__(self, rng: random.Random, timeline: Timeline):
        self.rng = rng
        self.tl = timeline
        self.days = timeline.days()

    def plan_days(self, profile: Profile, n: int) -> list[dt.date]:
        weights = [profile.season[d.month - 1] * profile.week[d.weekday()] for d in self.days]
        days = self.rng.choices(self.days, weights=weights, k=n)
        days.sort()
        return days

    def moment(self, day: dt.date, profile: Profile) -> dt.datetime:
        rng = self.rng
        hours = list(profile.hours)
        hour = rng.choices(hours, weights=list(profile.hours.values()))[0]
        when = dt.datetime(
            day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=TZ
        )
        if when > self.tl.now:
            when = self.tl.now - dt.timedelta(minutes=rng.randrange(5, 600))
        return when

    def answers(
        self, definition: dict, profile: Profile, state: DayState, lang: str
    ) -> tuple[list[tuple[str, str, int | None, int | None, str]], bool]:
        """The answers of one response: (key, kind, score, expected, text), and whether
        the respondent asked to be contacted."""
        rng = self.rng
        u = _clamp(rng.gauss(state.quality, profile.spread))
        sentiment = "pos" if u >= 0.68 else "neg" if u < 0.45 else "mixed"
        scores: dict[str, int] = {}
        rows: list[tuple[str, str, int | None, int | None, str]] = []
        commented = False
        contact = False
        for question in definition["questions"]:
            key, kind = question["key"], question["type"]
            if not _shown(question, scores):
                continue
            required = question.get("required", False)
            if kind == "text":
                if commented:
                    continue
                factor = {"pos": 0.8, "mixed": 1.2, "neg": 1.6}[sentiment]
                if rng.random() < profile.comment_rate * factor:
                    text = comments.compose(rng, lang, sentiment, state.pos, state.neg)
                    if text:
                        rows.append((key, kind, None, None, text))
                        commented = True
                continue
            if kind == "consent":
                if rng.random() < (0.8 if commented else 0.3):
                    chance = {"pos": 0.75, "mixed": 0.2, "neg": 0.05}[sentiment]
                    wording = CONSENT_FI if lang == "fi" else CONSENT_EN
                    rows.append((key, kind, int(rng.random() < chance), None, wording))
                continue
            if kind == "contact_me":
                if rng.random() < 0.6:
                    contact = rng.random() < (0.4 if u < 0.45 else 0.04)
                    rows.append((key, kind, int(contact), None, ""))
                continue
            if not required and rng.random() > 0.85:
                continue
            if kind == "single_choice":
                options = [o["key"] for o in question["options"]]
                weights = profile.choices.get(key, {})
                chosen = rng.choices(options, weights=[weights.get(o, 1.0) for o in options])[0]
                index = options.index(chosen)
                scores[key] = index
                rows.append((key, kind, index, None, chosen))
                continue
            if key in profile.fixed_quality:
                v = _clamp(rng.gauss(profile.fixed_quality[key], 0.12))
            else:
                v = _clamp(u + rng.gauss(0, 0.07))
            expected = None
            if kind == "nps":
                score = int(10 * v**0.85 + 0.5)
            elif kind == "ces":
                score = _scaled(1 - v, 1, 7)
            elif kind == "smiley":
                score = _scaled(v, 1, 4)
            elif kind == "csat":
                score = _scaled(v, 1, 5)
            else:  # rating, expectation_experience
                scale = question.get("scale", {"min": 1, "max": 5})
                score = _scaled(v, scale["min"], scale["max"])
                if kind == "expectation_experience":
                    e = _clamp(rng.gauss(profile.expectation, 0.14))
                    expected = _scaled(e, scale["min"], scale["max"])
            scores[key] = score
            rows.append((key, kind, score, expected, ""))
        return rows, contact


# ------------------------------------------------------------------------------- building


@dataclass
class BuildResult:
    organisations: list[Organisation]
    responses: int
    answers: int
    comments: int
    score_rows: int
    timeline: Timeline
    per_survey: dict[str, int] = field(default_factory=dict)
    analysed: int = 0  # comments run through text analytics


def existing_demo_organisations() -> list[Organisation]:
    return list(Organisation.objects.filter(slug__in=DEMO_SLUGS))


def delete_demo_organisations() -> int:
    """Delete the demo organisations and everything in them. Returns how many were deleted.

    Deletes children first: stages and survey versions are PROTECTed from cascades."""
    orgs = existing_demo_organisations()
    with transaction.atomic():
        for org in orgs:
            Answer.objects.filter(organisation=org).delete()
            Response.objects.filter(organisation=org).delete()
            ScoreCount.objects.filter(organisation_id=org.id).delete()
            Survey.objects.filter(organisation=org).update(current_version=None)
            Survey.objects.filter(organisation=org).delete()
            Touchpoint.objects.filter(organisation=org).delete()
            Stage.objects.filter(organisation=org).delete()
            org.delete()
    return len(orgs)


def _validator() -> Callable[[dict], Any] | None:
    try:
        from palaute.surveys.definition import validate_definition  # type: ignore
    except ImportError:
        return None
    return validate_definition


def _check(validate: Callable[[dict], Any], key: str, definition: dict) -> None:
    """Run the survey-definition validator; it returns ``(definition, errors)``."""
    outcome = validate(definition)
    errors = outcome[1] if isinstance(outcome, tuple) and len(outcome) == 2 else []
    if errors:
        raise ValueError(f"demo survey {key}: " + "; ".join(map(str, errors)))


def _allocate(total: int, shares: list[float]) -> list[int]:
    scale = total / sum(shares)
    raw = [s * scale for s in shares]
    counts = [int(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _ensure_user(username: str, password_hash: str, **fields: Any):
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username, defaults=fields)
    for name, value in fields.items():
        setattr(user, name, value)
    user.password = password_hash
    user.save()
    return user


def build(
    *,
    responses: int = 20000,
    seed: int = 1,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> BuildResult:
    """Create the demo organisations. Raises ``RuntimeError`` if they already exist."""
    if existing_demo_organisations():
        raise RuntimeError("demo organisations already exist")
    now = now or dt.datetime.now(TZ)
    timeline = Timeline(today=today or now.astimezone(TZ).date(), now=now)
    rng = random.Random(seed)
    gen = Generator(rng, timeline)
    validate = _validator()
    plans = [cafe_plan(timeline), installer_plan(timeline)]
    all_tps = [tp for plan in plans for tp in plan.touchpoints]
    counts = iter(_allocate(responses, [tp.share for tp in all_tps]))

    password_hash = make_password(DEMO_PASSWORD)
    result = BuildResult([], 0, 0, 0, 0, timeline)
    with transaction.atomic():
        demo = _ensure_user(
            DEMO_USERNAME,
            password_hash,
            first_name="Demo",
            last_name="Käyttäjä",
            email="demo@palaute.example",
        )
        for plan in plans:
            org = Organisation.objects.create(
                name=plan.name, slug=plan.slug, default_language="fi", time_zone=TIME_ZONE
            )
            result.organisations.append(org)
            Membership.objects.create(
                organisation=org, user=demo, role=Role.OWNER, title="Omistaja"
            )
            staff = {}
            for s in plan.staff:
                user = _ensure_user(
                    s.username,
                    password_hash,
                    first_name=s.first_name,
                    last_name=s.last_name,
                    email=f"{_ascii(s.first_name)}.{_ascii(s.last_name)}@{plan.domain}",
                )
                Membership.objects.create(
                    organisation=org, user=user, role=s.role, title=s.title, phone=s.phone
                )
                staff[s.username] = user
            stages = {stage.key: stage for stage in create_default_stages(org)}
            locations = {
                name: Location.objects.create(organisation=org, name=name, address=address)
                for name, address in plan.locations.items()
            }
            response_rows: list[Response] = []
            answer_rows: list[tuple[Response, list]] = []
            for position, tp_plan in enumerate(plan.touchpoints, start=1):
                tp = Touchpoint.objects.create(
                    organisation=org,
                    stage=stages[tp_plan.stage],
                    key=tp_plan.key,
                    name=tp_plan.name,
                    description=tp_plan.description,
                    channel=tp_plan.channel,
                    kind=tp_plan.kind,
                    location=locations.get(tp_plan.location or ""),
                    owner=staff[tp_plan.owner],
                    position=position * 10,
                )
                if validate is not None:
                    _check(validate, tp_plan.survey_key, tp_plan.definition)
                survey = Survey.objects.create(
                    organisation=org,
                    key=tp_plan.survey_key,
                    name=tp_plan.survey_name,
                    touchpoint=tp,
                )
                version = SurveyVersion.objects.create(
                    survey=survey, number=1, definition=tp_plan.definition, created_by=demo
                )
                survey.current_version = version
                survey.save(update_fields=["current_version"])

                profile = tp_plan.profile
                n = next(counts)
                result.per_survey[f"{plan.slug}/{survey.key}"] = n
                states: dict[dt.date, DayState] = {}
                channels = list(profile.channels)
                channel_weights = list(profile.channels.values())
                for day in gen.plan_days(profile, n):
                    state = states.get(day)
                    if state is None:
                        state = states[day] = DayState(
                            profile.quality(day),
                            profile.pos(day),
                            profile.neg(day),
                            profile.english(day),
                        )
                    lang = "en" if rng.random() < state.english else "fi"
                    rows, contact = gen.answers(tp_plan.definition, profile, state, lang)
                    response = Response(
                        organisation=org,
                        survey=survey,
                        version=version,
                        touchpoint=tp,
                        stage=tp.stage,
                        location=tp.location,
                        channel=rng.choices(channels, weights=channel_weights)[0],
                        language=lang,
                        submitted_at=gen.moment(day, profile),
                        idempotency_key=f"demo-{seed}-{result.responses}",
                    )
                    if contact:
                        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                        response.contact_name = f"{first} {last}"
                        response.contact_email = f"{_ascii(first)}.{_ascii(last)}@example.com"
                        response.contact_phone = (
                            f"+358 4{rng.randrange(10)} {rng.randrange(100, 1000)} "
                            f"{rng.randrange(1000, 10000)}"
                        )
                    result.responses += 1
                    response_rows.append(response)
                    answer_rows.append((response, rows))
            _store(org, response_rows, answer_rows, result)
            result.score_rows += rollup.rebuild(organisation_id=org.id, time_zone=TIME_ZONE)
        # Text analytics on every comment, in bulk (what `palaute analyse_comments` does), so
        # the explorer, theme trends and driver analysis have data at once.
        for org in result.organisations:
            result.analysed += analyse_history(org)
    return result


def _store(
    org: Organisation,
    response_rows: list[Response],
    answer_rows: list[tuple[Response, list]],
    result: BuildResult,
) -> None:
    Response.objects.bulk_create(response_rows, batch_size=2000)
    if response_rows and response_rows[0].pk is None:  # a backend without RETURNING
        ids = dict(Response.objects.filter(organisation=org).values_list("idempotency_key", "pk"))
        for response in response_rows:
            response.pk = ids[response.idempotency_key]
    answers = []
    for response, rows in answer_rows:
        for key, kind, score, expected, text in rows:
            answers.append(
                Answer(
                    response_id=response.pk,
                    organisation_id=org.pk,
                    survey_id=response.survey_id,
                    question_key=key,
                    kind=kind,
                    score=score,
                    expected=expected,
                    text=text,
                )
            )
            if kind == "text":
                result.comments += 1
    batch = max(1, min(5000, (connection.features.max_query_params or 5000 * 8) // 8))
    Answer.objects.bulk_create(answers, batch_size=batch)
    result.answers += len(answers)
