"""The default customer-journey stages (BRIEF §1, ``seeds/002_*`` and ``seeds/004_*``).

A new organisation starts with these five stages; it may rename, reorder or add to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from palaute.accounts.models import Organisation
    from palaute.journeys.models import Stage


class StageSpec(TypedDict):
    key: str
    name_fi: str
    name_en: str
    description_fi: str
    description_en: str


DEFAULT_STAGES: list[StageSpec] = [
    {
        "key": "expectations",
        "name_fi": "Lähtötila",
        "name_en": "Expectations",
        "description_fi": (
            "Mitä asiakas odottaa ennen ensimmäistä kohtaamista: aiemmat kokemukset, "
            "ystävän suosittelu ja muiden kertomat arviot."
        ),
        "description_en": (
            "What the customer expects before any contact: earlier experiences, a friend's "
            "recommendation and what others say."
        ),
    },
    {
        "key": "pre_purchase",
        "name_fi": "Ennen ostoa",
        "name_en": "Pre-purchase",
        "description_fi": (
            "Asiakas tutustuu markkinointiin, verkkosivuihin ja arvioihin, hakee tietoa ja "
            "vertailee vaihtoehtoja."
        ),
        "description_en": (
            "The customer meets marketing, the website and reviews, looks for information and "
            "compares options."
        ),
    },
    {
        "key": "purchase",
        "name_fi": "Ostotapahtuma",
        "name_en": "Purchase",
        "description_fi": (
            "Ostopäätös on tehty ja asiakas asioi yrityksen kanssa: tilaus, varaus, "
            "sopimus tai käynti."
        ),
        "description_en": (
            "The decision is made and the customer deals with the company: the order, booking, "
            "contract or visit."
        ),
    },
    {
        "key": "post_purchase",
        "name_fi": "Oston jälkeen",
        "name_en": "Post-purchase",
        "description_fi": (
            "Asiakas kysyy neuvoa, reklamoi, maksaa laskun tai ostaa uudelleen, ja hänen "
            "palautteensa kysytään."
        ),
        "description_en": (
            "The customer asks for advice, complains, pays the invoice or buys again, and is "
            "asked for feedback."
        ),
    },
    {
        "key": "customer_phase",
        "name_fi": "Asiakkuusvaihe",
        "name_en": "Customer phase",
        "description_fi": (
            "Myynnissä tehdyt lupaukset lunastetaan: toimitus, asennus, aloituspalaveri ja "
            "jatkuva asiakassuhde."
        ),
        "description_en": (
            "The promises made in the sale are kept: delivery, installation, the kickoff "
            "meeting and the ongoing relationship."
        ),
    },
]


def create_default_stages(organisation: Organisation) -> list[Stage]:
    """Create the five default stages for ``organisation``; safe to call again.

    Existing stages (matched by key) are left as they are, so an organisation's renamed or
    reordered stages survive. Returns the default stages in journey order.
    """
    from palaute.journeys.models import Stage

    stages = []
    for position, spec in enumerate(DEFAULT_STAGES, start=1):
        fields = {k: v for k, v in spec.items() if k != "key"}
        stage, _ = Stage.objects.get_or_create(
            organisation=organisation,
            key=spec["key"],
            defaults={**fields, "position": position * 10},
        )
        stages.append(stage)
    return stages
