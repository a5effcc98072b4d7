"""Survey definitions used by the demo organisations (format: docs/surveys.md)."""

from __future__ import annotations

from typing import Any

FORMAT = "palaute.survey/1"


def _t(fi: str, en: str) -> dict[str, str]:
    return {"fi": fi, "en": en}


def q(key: str, type_: str, fi: str, en: str, **extra: Any) -> dict[str, Any]:
    question: dict[str, Any] = {"key": key, "type": type_, "text": _t(fi, en)}
    question.update(extra)
    return question


def option(key: str, fi: str, en: str) -> dict[str, Any]:
    return {"key": key, "text": _t(fi, en)}


def survey(title_fi: str, title_en: str, questions: list[dict[str, Any]], **extra: Any) -> dict:
    definition: dict[str, Any] = {
        "format": FORMAT,
        "languages": ["fi", "en"],
        "default_language": "fi",
        "title": _t(title_fi, title_en),
        "thank_you": _t("Kiitos palautteesta!", "Thank you for your feedback!"),
        "questions": questions,
    }
    definition.update(extra)
    return definition


CONSENT_FI = "Saatte julkaista palautteeni nimettömänä referenssinä."
CONSENT_EN = "You may publish my feedback anonymously as a reference."


def consent() -> dict[str, Any]:
    return q("publish_ok", "consent", CONSENT_FI, CONSENT_EN)


def contact_me() -> dict[str, Any]:
    return q(
        "contact_me",
        "contact_me",
        "Haluan, että minuun otetaan yhteyttä.",
        "Please contact me.",
    )


def nps(subject_fi: str, subject_en: str) -> dict[str, Any]:
    return q(
        "nps",
        "nps",
        f"Kuinka todennäköisesti suosittelisit {subject_fi} ystävällesi tai kollegallesi?",
        f"How likely are you to recommend {subject_en} to a friend or colleague?",
        required=True,
    )


def nps_followups() -> list[dict[str, Any]]:
    return [
        q(
            "improve",
            "text",
            "Mitä meidän olisi pitänyt tehdä paremmin?",
            "What should we have done better?",
            show_if={"question": "nps", "op": "lte", "value": 6},
        ),
        q(
            "best",
            "text",
            "Mikä onnistui erityisen hyvin?",
            "What went particularly well?",
            show_if={"question": "nps", "op": "gte", "value": 7},
        ),
    ]


# ------------------------------------------------------------------------------------ café

CAFE = {
    "first-visit": survey(
        "Tervetuloa ensimmäistä kertaa!",
        "Welcome, first-time visitor!",
        [
            q(
                "heard_from",
                "single_choice",
                "Mistä kuulit meistä?",
                "How did you hear about us?",
                options=[
                    option("friend", "Ystävältä tai tuttavalta", "From a friend"),
                    option("google", "Google-arvioista", "Google reviews"),
                    option("facebook", "Facebookista tai Instagramista", "Facebook or Instagram"),
                    option("passing_by", "Kuljin ohi", "I was passing by"),
                    option("event", "Olin täällä tilaisuudessa", "I was here at an event"),
                ],
            ),
            q(
                "expectation",
                "expectation_experience",
                "Millaiset odotukset sinulla oli, ja millainen kokemus oli?",
                "What did you expect, and what did you get?",
                scale={"min": 1, "max": 5},
            ),
            q("comment", "text", "Vapaa sana", "Anything else?"),
        ],
    ),
    "public-reviews": survey(
        "Google- ja Facebook-arviot",
        "Google and Facebook reviews",
        [
            q(
                "stars",
                "rating",
                "Tähtiarvio",
                "Star rating",
                required=True,
                scale={"min": 1, "max": 5},
            ),
            q(
                "platform",
                "single_choice",
                "Palvelu",
                "Platform",
                options=[
                    option("google", "Google", "Google"),
                    option("facebook", "Facebook", "Facebook"),
                ],
            ),
            q("review", "text", "Arvion teksti", "Review text"),
        ],
    ),
    "online-booking": survey(
        "Pöytä- ja tilavaraus",
        "Table and room booking",
        [
            q(
                "effort",
                "ces",
                "Kuinka helppoa varaaminen oli? (1 = erittäin helppoa, 7 = erittäin vaikeaa)",
                "How easy was it to book? (1 = very easy, 7 = very difficult)",
                required=True,
            ),
            q(
                "what_helps",
                "text",
                "Mikä olisi tehnyt varaamisesta helpompaa?",
                "What would have made booking easier?",
                show_if={"question": "effort", "op": "gte", "value": 4},
            ),
        ],
    ),
    "counter-kiosk": survey(
        "Miten onnistuimme tänään?",
        "How did we do today?",
        [
            q(
                "smiley",
                "smiley",
                "Miten onnistuimme tänään?",
                "How did we do today?",
                required=True,
            ),
            q("why", "text", "Kerro halutessasi miksi", "Tell us why, if you like"),
        ],
    ),
    "table-qr": survey(
        "Lounas ja kahvila",
        "Lunch and café",
        [
            q(
                "had",
                "single_choice",
                "Mitä nautit tänään?",
                "What did you have today?",
                options=[
                    option("lunch", "Lounaan", "Lunch"),
                    option("coffee_pastry", "Kahvia ja leivonnaisia", "Coffee and pastries"),
                    option("ice_cream", "Jäätelöä", "Ice cream"),
                    option("other", "Jotain muuta", "Something else"),
                ],
            ),
            q(
                "satisfaction",
                "csat",
                "Kuinka tyytyväinen olit tuotteisiin?",
                "How satisfied were you with the food and drink?",
                required=True,
            ),
            q(
                "coffee",
                "rating",
                "Arvioi kahvimme",
                "Rate our coffee",
                scale={"min": 1, "max": 5},
            ),
            q("comment", "text", "Terveiset keittiöön", "A word to the kitchen"),
        ],
    ),
    "private-event": survey(
        "Kiitos, että juhlitte kanssamme",
        "Thank you for celebrating with us",
        [
            nps("meitä juhlapaikkana", "us as a venue"),
            *nps_followups(),
            q(
                "catering",
                "csat",
                "Kuinka tyytyväinen olit tarjoiluihin?",
                "How satisfied were you with the catering?",
            ),
            consent(),
        ],
    ),
    "complaint-followup": survey(
        "Asiasi käsittely",
        "How we handled your case",
        [
            q(
                "handling",
                "csat",
                "Kuinka tyytyväinen olit siihen, miten asiasi hoidettiin?",
                "How satisfied were you with how we handled your case?",
                required=True,
            ),
            q(
                "effort",
                "ces",
                "Kuinka helppoa asian hoitaminen kanssamme oli?",
                "How easy was it to get this sorted out with us?",
            ),
            q("comment", "text", "Mitä voisimme tehdä paremmin?", "What could we do better?"),
            contact_me(),
        ],
    ),
    "regulars": survey(
        "Kanta-asiakaskysely",
        "Regulars' survey",
        [
            nps("Kotakahvilaa", "Kotakahvila"),
            *nps_followups(),
            q(
                "benefits",
                "csat",
                "Kuinka tyytyväinen olet kanta-asiakaseduihin?",
                "How satisfied are you with our loyalty benefits?",
            ),
        ],
    ),
}

# ------------------------------------------------------------------------------- installer

INSTALLER = {
    "referral-source": survey(
        "Mistä kuulitte meistä?",
        "How did you hear about us?",
        [
            q(
                "source",
                "single_choice",
                "Mistä kuulitte meistä?",
                "How did you hear about us?",
                required=True,
                options=[
                    option("friend", "Tuttavan tai naapurin suosittelu", "A friend or neighbour"),
                    option("reference", "Referenssikohde", "A reference site"),
                    option("search", "Hakukone", "Web search"),
                    option("ad", "Mainos", "An advert"),
                    option("fair", "Messut", "A trade fair"),
                    option("existing", "Olemme jo asiakkaita", "We are already customers"),
                ],
            ),
            q(
                "image",
                "rating",
                "Millainen mielikuva teillä oli meistä ennen yhteydenottoa?",
                "What was your impression of us before you contacted us?",
                scale={"min": 1, "max": 5},
            ),
            q("expect", "text", "Mitä odotatte meiltä?", "What do you expect from us?"),
        ],
    ),
    "sales-quote": survey(
        "Myynti ja tarjous",
        "Sales and quote",
        [
            q(
                "satisfaction",
                "csat",
                "Kuinka tyytyväinen olitte myynnin palveluun?",
                "How satisfied were you with our sales service?",
                required=True,
            ),
            q(
                "effort",
                "ces",
                "Kuinka helppoa tarjouksen saaminen oli?",
                "How easy was it to get a quote?",
            ),
            q("comment", "text", "Kertokaa omin sanoin", "In your own words"),
        ],
    ),
    "contract": survey(
        "Sopimus",
        "Contract",
        [
            q(
                "clarity",
                "csat",
                "Kuinka tyytyväinen olitte sopimuksen selkeyteen?",
                "How satisfied were you with the clarity of the contract?",
                required=True,
            ),
            q("comment", "text", "Kertokaa omin sanoin", "In your own words"),
        ],
    ),
    "kickoff": survey(
        "Aloituspalaveri",
        "Kickoff meeting",
        [
            q(
                "satisfaction",
                "csat",
                "Kuinka tyytyväinen olitte aloituspalaveriin?",
                "How satisfied were you with the kickoff meeting?",
                required=True,
            ),
            q(
                "expectation",
                "expectation_experience",
                "Mitä odotitte palaverilta, ja mitä saitte?",
                "What did you expect from the meeting, and what did you get?",
                scale={"min": 1, "max": 5},
            ),
            q("comment", "text", "Kertokaa omin sanoin", "In your own words"),
        ],
    ),
    "installation": survey(
        "Asennuskäynti",
        "Installation visit",
        [
            q(
                "satisfaction",
                "csat",
                "Kuinka tyytyväinen olitte asennuskäyntiin?",
                "How satisfied were you with the installation visit?",
                required=True,
            ),
            q(
                "expectation",
                "expectation_experience",
                "Mitä odotitte asennukselta, ja miten se onnistui?",
                "What did you expect from the installation, and how did it go?",
                scale={"min": 1, "max": 5},
            ),
            q("comment", "text", "Kertokaa omin sanoin", "In your own words"),
            consent(),
            contact_me(),
        ],
    ),
    "invoicing": survey(
        "Laskutus",
        "Invoicing",
        [
            q(
                "effort",
                "ces",
                "Kuinka helppoa laskun käsittely oli? (1 = erittäin helppoa, 7 = erittäin vaikeaa)",
                "How easy was it to deal with the invoice? (1 = very easy, 7 = very difficult)",
                required=True,
            ),
            q(
                "satisfaction",
                "csat",
                "Kuinka hyvin lasku vastasi sovittua?",
                "How well did the invoice match what was agreed?",
            ),
            q("comment", "text", "Kertokaa omin sanoin", "In your own words"),
            contact_me(),
        ],
    ),
    "support": survey(
        "Huolto ja tuki",
        "Service and support",
        [
            q(
                "satisfaction",
                "csat",
                "Kuinka tyytyväinen olitte saamaanne apuun?",
                "How satisfied were you with the help you got?",
                required=True,
            ),
            q(
                "effort",
                "ces",
                "Kuinka helppoa avun saaminen oli?",
                "How easy was it to get help?",
            ),
            q("comment", "text", "Kertokaa omin sanoin", "In your own words"),
            contact_me(),
        ],
    ),
    "relationship": survey(
        "Asiakkuuskysely",
        "Customer relationship survey",
        [
            nps("Lämpöasennusta", "Lämpöasennus"),
            *nps_followups(),
            q(
                "contact_person",
                "csat",
                "Kuinka tyytyväinen olette yhteyshenkilöönne?",
                "How satisfied are you with your contact person?",
            ),
        ],
    ),
}
