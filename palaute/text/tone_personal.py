"""Personal details in a public reply: contact details, addresses, reference numbers, IDs, names.

These have a shape rather than a wording, so they are found with regular expressions on the
original text. A phone number, e-mail or address that the business gives as its *own* contact
("call us on 09 123 4567", "info@…", "meidät löytää osoitteesta Kauppakatu 5") is fine; one
that follows a word pointing at the customer, or no pointer at all, is flagged, because a
reply that repeats the customer's details is the mistake worth catching. Health details and
second-person wording are lemma patterns in the pattern files instead.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

_CAP = r"[A-ZÅÄÖ][a-zåäöéü]+"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s-]?(?:\(0\)[\s-]?)?\d{1,4}(?:[\s-]?\d{2,4}){1,4}"  # +358 40 123 4567
    r"|\(?0\d{1,4}\)?(?:[\s-]?\d{2,4}){2,4}"  # 040 123 4567, 09-123 456, 07700 900123
    r"|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}"  # (555) 123-4567
    r")(?![\w.,]?\d)"
)
ADDRESS = re.compile(
    rf"\b{_CAP}(?:tie|katu|kuja|polku|väylä|raitti|tori|rinne|kaari|ranta|puisto|bulevardi"
    r"|esplanadi|aukio|piha|mäki|katu|gatan|vägen)\s+\d{1,4}(?:\s?[A-Za-z]\b)?(?:\s?\d{1,3}\b)?"
    r"(?:,?\s+\d{5}\s+[A-ZÅÄÖ][a-zåäö]+)?"
    rf"|\b\d{{1,4}}[A-Za-z]?\s+(?:{_CAP}\s+){{1,3}}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Court|Ct|Place|Pl|Boulevard"
    r"|Blvd|Crescent|Terrace|Gardens|Square|Row|Hill|Grove)\b\.?"
    r"(?:,?\s+(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|\d{5}))?"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"  # a UK postcode on its own
)
# A code that identifies something of the customer's: letters and digits, at least one digit,
# not an amount, a date, a time or a quantity. It counts when a reference word comes just
# before it ("tilausnumero", "order no.", "varauksenne"); found code first, because codes are
# rare and a scan for the many reference words at every position is not.
CODE = re.compile(
    r"(?<![\w-])#?(?=[\w-]*\d)[A-Z0-9][A-Za-z0-9-]{3,}\b(?![.,:]\d)"
    r"(?!\s*(?:€|e\b|eur|euro|kpl|min|h\b|%|pv|päiv|hlö|henk|pcs|hours|days|people))"
)
REFERENCE_WORD = re.compile(
    r"(?i:(?:\b(?:order|booking|reservation|invoice|account|customer|membership|ticket|case"
    r"|reference|confirmation|tracking|policy|loyalty|member|patient|client)"
    r"(?:\s+(?:number|no\.?|nr|ref(?:erence)?|id|code|card))?"
    r"|\b(?:tilau|varau|lasku|asiakas|sopimu|lähety|seuranta|palvelupyyn|tiketti|tapau"
    r"|vahvistu|kuitti|jäsen|potilas|vakuutu)\w*)"
    r"\s*\(?[:#]?\s*(?:nro\.?\s*|no\.?\s*|n:o\s*|numero\s*)?)$"
)
REFERENCE_WINDOW = 45
BARE_REFERENCE = re.compile(r"(?<![\w&])#\d{4,}\b")
NATIONAL_ID = re.compile(r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b")
CARD = re.compile(r"\b(?:\d{4}[\s-]?){3}\d{4}\b")
# Finnish (ABC-123) and British (AB12 CDE) registration plates.
PLATE = re.compile(r"\b[A-ZÅÄÖ]{2,3}-\d{1,3}\b|\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b")
ROOM = re.compile(
    r"(?i:\broom\s+(?:number\s+|no\.?\s*|#)?|\bhuonee\w*\s+(?:nro\.?\s*|numero\s+)?"
    r"|\bhuone\s+(?:nro\.?\s*|numero\s+)?|\bhuonenumero\w*\s+)\d{1,4}\b"
)
_GREETING = (
    r"(?:Hei|Hyvä|Moi|Moikka|Terve|Tervehdys|Hello|Hi|Hey|Dear|Kiitos|Thanks|Thank you"
    r"|Good morning|Good afternoon|Good evening|Huomenta|Päivää)"
)
# Two capitalised words after a greeting with nothing between: "Hei Matti Virtanen".
GREETED_FULL_NAME = re.compile(rf"\b{_GREETING},?\s+({_CAP}(?:-{_CAP})?\s+{_CAP}(?:-{_CAP})?)\b")
_NOT_SURNAMES = frozenset(
    [
        "kiitos",
        "thank",
        "thanks",
        "and",
        "ja",
        "we",
        "me",
        "olemme",
        "pahoittelemme",
        "pahoillamme",
        "sorry",
        "team",
        "tiimi",
        "the",
        "our",
        "meidän",
        "i",
        "minä",
        "hope",
        "toivomme",
        "great",
        "hyvä",
        "ihana",
        "mukava",
    ]
)
# Words that mark the number or address as the business's own contact, and words that mark it
# as the customer's; the nearer one before the match decides.
_OWN = re.compile(
    r"(?i:\b(?:us|our|me|my|ours|meille|meihin|meidät|meitä|meidän|meiltä|meillä|minulle"
    r"|minuun|minut|minua|minulta|minun|suoraan|directly|reception|vastaanottoon"
    r"|asiakaspalvelu\w*|customer service|toimipiste\w*|myymälä\w*|liike\w*|store|shop|office"
    r"|numero(?:omme|mme|ssamme|stamme)|osoit\w*mme|sähköpost\w*mme|puhelin\w*mme"
    r"|found at|located at|sijaitsemme|osoitteessa|find us|visit us)\b)"
)
_CUSTOMER = re.compile(
    r"(?i:\b(?:your|you|yours|teidän|teille|teitä|teiltä|teillä|sinun|sinulle|sinua"
    r"|\w+nne|\w+si)\b)"
)
_ROLE_MAILBOX = re.compile(
    r"(?i)^(?:info|asiakaspalvelu|myynti|support|hello|hei|palaute|contact|sales|booking"
    r"|bookings|varaukset|varaus|toimisto|reception|help|feedback|service|office|tilaukset"
    r"|orders|asiakas|customer|care|team|tiimi|kahvila|cafe|hotel|hotelli|vastaanotto)[@.+]"
)
CUE_WINDOW = 60
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Detail:
    start: int
    end: int
    reason: str  # a reason key of tone.REASONS


def _own_contact(text: str, start: int) -> bool:
    """Whether the words just before ``start`` (same sentence) make this the business's own."""
    window = text[max(0, start - CUE_WINDOW) : start]
    window = re.split(r"[.!?\n]", window)[-1]
    own = [m.end() for m in _OWN.finditer(window)]
    customer = [m.end() for m in _CUSTOMER.finditer(window)]
    if not own:
        return False
    return not customer or max(own) > max(customer)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def find(text: str, author_name: str = "") -> Iterator[Detail]:
    if "@" in text:
        for match in EMAIL.finditer(text):
            if _ROLE_MAILBOX.match(match.group()) or _own_contact(text, match.start()):
                continue
            yield Detail(match.start(), match.end(), "email")
    if _DIGIT.search(text):
        yield from _numbered(text)
    yield from _full_names(text, author_name)


def _numbered(text: str) -> Iterator[Detail]:
    """Details that contain digits (most replies have none, so these are skipped there)."""
    for match in PHONE.finditer(text):
        if not 7 <= _digits(match.group()) <= 15 or _own_contact(text, match.start()):
            continue
        yield Detail(match.start(), match.end(), "phone")
    for match in ADDRESS.finditer(text):
        if not _own_contact(text, match.start()):
            yield Detail(match.start(), match.end(), "address")
    for match in CODE.finditer(text):
        begin = max(0, match.start() - REFERENCE_WINDOW)
        word = REFERENCE_WORD.search(text, begin, match.start())
        if word is not None:
            yield Detail(word.start(), match.end(), "reference")
    for match in BARE_REFERENCE.finditer(text):
        yield Detail(match.start(), match.end(), "reference")
    for pattern in (NATIONAL_ID, IBAN, CARD):
        for match in pattern.finditer(text):
            yield Detail(match.start(), match.end(), "id_number")
    for match in PLATE.finditer(text):
        yield Detail(match.start(), match.end(), "plate")
    for match in ROOM.finditer(text):
        yield Detail(match.start(), match.end(), "room")


def _full_names(text: str, author_name: str) -> Iterator[Detail]:
    for match in GREETED_FULL_NAME.finditer(text):
        words = match.group(1).split()
        if words[-1].lower() in _NOT_SURNAMES:
            continue
        if author_name and _known_to_reader(words, author_name):
            continue
        yield Detail(match.start(1), match.end(1), "full_name")
    yield from _surname_added(text, author_name)


def _known_to_reader(words: list[str], author_name: str) -> bool:
    shown = {w.strip(".").lower() for w in author_name.split()}
    return all(w.lower() in shown for w in words)


def _surname_added(text: str, author_name: str) -> Iterator[Detail]:
    """The reviewer signed with a first name (and maybe an initial) and the reply adds the
    surname: "Matti V." answered with "Matti Virtanen", or "Mr Virtanen"."""
    parts = [p for p in author_name.split() if p.strip(".")]
    if not parts or any(len(p.strip(".")) > 1 for p in parts[1:]):
        return
    first = re.escape(parts[0])
    pattern = re.compile(
        rf"\b(?:{first}\s+({_CAP})|(?:Mr|Mrs|Ms|Miss|Dr|herra|rouva|neiti)\.?\s+({_CAP}))\b"
    )
    for match in pattern.finditer(text):
        surname = match.group(1) or match.group(2)
        if surname.lower() in _NOT_SURNAMES:
            continue
        if len(parts) > 1 and surname[0].lower() != parts[1][0].lower():
            continue
        yield Detail(match.start(), match.end(), "full_name")
