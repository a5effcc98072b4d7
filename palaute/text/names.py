"""What to call themes and sentiments on screen, in the user's language."""

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from palaute.text.models import Sentiment, Theme

BUILTIN_NAMES = {
    "effortlessness": _("Effortlessness"),
    "communication": _("Communication"),
    "responsiveness": _("Responsiveness"),
    "promises": _("Keeping promises"),
    "staff": _("Staff"),
    "product_quality": _("Product quality"),
    "price_value": _("Price and value"),
    "tools_systems": _("Tools and systems"),
    "schedule": _("Schedules and delays"),
    "environment_respect": _("Respect for premises"),
    "ambience": _("Ambience"),
}
BUILTIN_DESCRIPTIONS = {
    "effortlessness": _(
        "How easy it was: ordering, booking, getting help; having to ask or chase many times."
    ),
    "communication": _(
        "Informing, progress updates, advance notice of changes and delays, clarity."
    ),
    "responsiveness": _("How fast contacts are answered: call-backs, email replies, queues."),
    "promises": _("Whether what was sold or agreed was delivered, error-free, as agreed."),
    "staff": _("Competence, friendliness or rudeness, behaviour, a named contact person."),
    "product_quality": _("The product, food or service itself, defects, durability."),
    "price_value": _("Price level, value for money, invoice amounts and invoice errors."),
    "tools_systems": _("Apps, web site, online booking, portals, payment, equipment."),
    "schedule": _("Punctuality, delays, delivery and installation timing, waiting on site."),
    "environment_respect": _(
        "Cleanliness and tidiness: mess or dust left behind, a clean place of business."
    ),
    "ambience": _("The atmosphere of a venue: cosy, noisy, the view."),
}
SENTIMENT_NAMES = dict(Sentiment.choices)


def own_name(theme: Theme) -> str:
    english = (get_language() or "fi").startswith("en")
    return (theme.name_en if english and theme.name_en else theme.name_fi) or theme.key


def theme_names(organisation_id: int, include_inactive: bool = True) -> dict[str, str]:
    """Theme key → display name: the shipped CX themes, then the organisation's own."""
    names = {key: str(name) for key, name in BUILTIN_NAMES.items()}
    own = Theme.objects.filter(organisation_id=organisation_id)
    if not include_inactive:
        own = own.filter(is_active=True)
    for theme in own:
        names.setdefault(theme.key, own_name(theme))
    return names


def name_of(key: str, names: dict[str, str]) -> str:
    return names.get(key, key)
