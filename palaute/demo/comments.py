"""Fragments for demo free-text comments, in Finnish and English.

A comment is put together from an opener, one or two topic sentences and a closer, so a few
hundred fragments give thousands of distinct, natural-sounding comments. Topics are concrete
(``queue``, ``invoice_error`` …); each touches one or more CX themes of BRIEF §3 through the
words it uses (jono/queue → schedule, lasku/invoice → price_value, pöly/dust → environment…).
"""

from __future__ import annotations

import random

POS = "pos"
NEG = "neg"

# topic -> sentiment -> language -> sentences (without the final full stop)
FRAGMENTS: dict[str, dict[str, dict[str, list[str]]]] = {
    # ---------------------------------------------------------------- café
    "queue": {
        NEG: {
            "fi": [
                "Jono kassalle oli todella pitkä",
                "Odotin kahvia yli 20 minuuttia",
                "Kassalla oli vain yksi myyjä ja jono ulottui ovelle asti",
                "Jonotimme jäätelöä puoli tuntia helteessä",
                "Tilauksen saaminen kesti ikuisuuden",
                "Jono liikkui tosi hitaasti eikä kukaan kertonut miksi",
                "Ruuhka-aikaan tiskillä pitäisi olla enemmän väkeä",
                "Jonotusaika söi koko lounastauon",
            ],
            "en": [
                "The queue at the counter was really long",
                "We waited over 20 minutes for coffee",
                "Only one person at the till and the line went out the door",
                "Took ages to get served",
                "The line barely moved and nobody told us why",
                "You need more staff at the counter when it is busy",
            ],
        },
        POS: {
            "fi": [
                "Palvelu oli nopeaa, vaikka oli ruuhkaa",
                "Jonoa ei juuri ollut",
                "Sain kahvini heti",
                "Tiskillä homma toimi sujuvasti",
            ],
            "en": [
                "Quick service even though it was busy",
                "Hardly any queue",
                "Got my coffee right away",
            ],
        },
    },
    "coffee": {
        POS: {
            "fi": [
                "Kahvi oli erinomaista",
                "Paras kahvi koko järven rannalla",
                "Kahvi on aina tuoretta ja kuumaa",
                "Tumma paahto oli juuri sopivaa",
                "Cappuccino oli täydellinen",
                "Kahvin takia tänne tullaan aina uudestaan",
                "Kauralatte oli tosi hyvää",
            ],
            "en": [
                "The coffee was excellent",
                "Best coffee by the lake",
                "Lovely fresh coffee, as always",
                "Perfect cappuccino",
                "We keep coming back for the coffee",
            ],
        },
        NEG: {
            "fi": ["Kahvi oli ehtinyt jäähtyä", "Kahvi oli tällä kertaa laihaa"],
            "en": ["The coffee was lukewarm", "The coffee was a bit weak this time"],
        },
    },
    "pastries": {
        POS: {
            "fi": [
                "Korvapuustit olivat uunituoreita",
                "Mustikkapiirakka oli taivaallista",
                "Leivonnaiset ovat itse leivottuja ja sen maistaa",
                "Karjalanpiirakat munavoilla olivat parhaita",
            ],
            "en": [
                "The cinnamon buns were fresh from the oven",
                "The blueberry pie was heavenly",
                "You can taste that the pastries are home-made",
            ],
        },
        NEG: {
            "fi": ["Leivonnaiset olivat loppu jo iltapäivällä", "Pulla oli kuivaa"],
            "en": ["Pastries had run out by the afternoon", "The bun was dry"],
        },
    },
    "lunch": {
        POS: {
            "fi": [
                "Lohikeitto oli parasta pitkään aikaan",
                "Lounas oli maukas ja annos riittävä",
                "Kasvisvaihtoehto oli hyvä",
            ],
            "en": [
                "The salmon soup was the best in ages",
                "Tasty lunch and a generous portion",
                "Good vegetarian option",
            ],
        },
        NEG: {
            "fi": [
                "Lounas oli haaleaa",
                "Lounaalla oli liian vähän vaihtoehtoja",
                "Keitto oli liian suolaista",
            ],
            "en": ["Lunch was lukewarm", "Too few lunch options", "The soup was too salty"],
        },
    },
    "staff": {
        POS: {
            "fi": [
                "Henkilökunta oli ystävällistä ja iloista",
                "Myyjä muisti tilaukseni edelliseltä kerralta",
                "Aino oli todella palvelualtis",
                "Asiakaspalvelu oli lämmintä ja kiireetöntä",
                "Nuori myyjä osasi suositella hyvän leivonnaisen",
            ],
            "en": [
                "Friendly and cheerful staff",
                "The staff remembered my order from last time",
                "Warm, unhurried service",
            ],
        },
        NEG: {
            "fi": [
                "Myyjä oli töykeä",
                "Henkilökunta vaikutti kiireiseltä ja välinpitämättömältä",
                "Kukaan ei tervehtinyt",
            ],
            "en": [
                "The server was rude",
                "Staff seemed stressed and uninterested",
                "Nobody greeted us",
            ],
        },
    },
    "cleanliness": {
        POS: {
            "fi": ["Paikka oli siisti ja viihtyisä", "Terassi ja pöydät olivat siistejä"],
            "en": ["The place was clean and cosy", "Tidy terrace and clean tables"],
        },
        NEG: {
            "fi": [
                "Pöydät olivat likaisia",
                "Terassilla oli roskia ja ampiaisia",
                "Vessa oli epäsiisti",
            ],
            "en": ["The tables were dirty", "Rubbish on the terrace", "The toilet was not clean"],
        },
    },
    "price": {
        POS: {
            "fi": ["Hinta-laatusuhde on kohdallaan", "Edullinen lounas laatuun nähden"],
            "en": ["Good value for money", "Reasonable prices for the quality"],
        },
        NEG: {
            "fi": [
                "Hinnat ovat nousseet liikaa",
                "Seitsemän euroa kahvista ja pullasta on paljon",
                "Liian kallista tähän laatuun",
            ],
            "en": ["Prices have gone up too much", "Quite expensive for what you get"],
        },
    },
    "scenery": {
        POS: {
            "fi": [
                "Järvimaisema on upea",
                "Ihana istua terassilla auringossa",
                "Tunnelma oli rauhallinen ja kotoisa",
            ],
            "en": [
                "The lake view is wonderful",
                "Lovely sitting on the terrace in the sun",
                "Calm and homely atmosphere",
            ],
        },
        NEG: {
            "fi": ["Terassilla oli liian ahdasta"],
            "en": ["The terrace was too crowded"],
        },
    },
    "booking": {
        NEG: {
            "fi": [
                "Varauslomake ei toiminut puhelimella",
                "Jouduin soittamaan, koska netissä ei näkynyt vapaita aikoja",
                "Varausvahvistusta ei tullut sähköpostiin",
                "Varaaminen oli hankalaa ja lomake kaatui kahdesti",
                "En tiennyt, menikö varaus perille",
                "Varausjärjestelmä oli sekava ja sain kysyä samaa asiaa monta kertaa",
            ],
            "en": [
                "The booking form did not work on my phone",
                "I had to call because no free times showed online",
                "No confirmation email ever arrived",
                "Booking was fiddly and the form crashed twice",
                "I could not tell whether my booking went through",
            ],
        },
        POS: {
            "fi": [
                "Varaus onnistui ilman ongelmia",
                "Pöydän varaaminen oli helppoa",
                "Vahvistus tuli nopeasti",
            ],
            "en": [
                "Booking went without a hitch",
                "Easy to book a table",
                "The confirmation came quickly",
            ],
        },
    },
    # Only after the booking calendar fix.
    "booking_calendar": {
        POS: {
            "fi": [
                "Varaus onnistui uudesta kalenterista parissa minuutissa",
                "Uusi varauskalenteri on tosi kätevä",
                "Vapaat ajat näkyivät kalenterissa heti ja vahvistus tuli saman tien",
                "Nyt varaaminen onnistuu vihdoin puhelimellakin",
            ],
            "en": [
                "Booked in two minutes with the new calendar",
                "The new booking calendar is really handy",
                "Free slots showed in the calendar right away and the confirmation came instantly",
            ],
        },
    },
    "website": {
        POS: {
            "fi": ["Aukioloajat löytyivät helposti", "Menu oli selkeästi verkkosivuilla"],
            "en": ["Opening hours were easy to find", "The menu was clearly on the website"],
        },
        NEG: {
            "fi": ["Verkkosivuilla oli vanhat aukioloajat", "Sivuilta ei löytynyt menua"],
            "en": ["The website showed old opening hours", "Could not find the menu online"],
        },
    },
    "event_planning": {
        POS: {
            "fi": [
                "Tilaisuuden järjestelyt sujuivat täydellisesti",
                "Sanna hoiti kaiken ja piti meidät ajan tasalla",
                "Kaikki oli sovitusti valmiina, kun saavuimme",
                "Yhteyshenkilö vastasi kysymyksiin nopeasti",
            ],
            "en": [
                "The arrangements for our event went perfectly",
                "Sanna took care of everything and kept us posted",
                "Everything was ready as agreed when we arrived",
            ],
        },
        NEG: {
            "fi": [
                "Sovittu kakku puuttui",
                "Tila ei ollut valmis sovittuun aikaan",
                "Emme saaneet vahvistusta tarjoiluista ennen juhlaa",
                "Laskussa oli eri summa kuin tarjouksessa",
            ],
            "en": [
                "The cake we had agreed on was missing",
                "The room was not ready at the agreed time",
                "We never got a confirmation of the catering before the party",
            ],
        },
    },
    "event_food": {
        POS: {
            "fi": [
                "Juhlan tarjoilut saivat kehuja kaikilta vierailta",
                "Ruokaa oli riittävästi ja se oli herkullista",
                "Voileipäkakku oli upea",
            ],
            "en": [
                "Every guest praised the food",
                "Plenty of food and all of it delicious",
            ],
        },
        NEG: {
            "fi": ["Ruoka loppui kesken", "Tarjoilut olivat vaatimattomat hintaan nähden"],
            "en": ["The food ran out", "The catering was modest for the price"],
        },
    },
    "complaint": {
        POS: {
            "fi": [
                "Reklamaatioon vastattiin samana päivänä",
                "Sain hyvityksen ilman kyselyjä",
                "Asia hoidettiin ystävällisesti ja nopeasti",
            ],
            "en": [
                "My complaint was answered the same day",
                "I got a refund without any fuss",
                "The matter was handled kindly and quickly",
            ],
        },
        NEG: {
            "fi": [
                "Odotin vastausta viikon",
                "Jouduin kysymään asiaa kolme kertaa",
                "Vastaus oli ympäripyöreä",
            ],
            "en": [
                "I waited a week for an answer",
                "I had to ask three times",
                "The reply was vague",
            ],
        },
    },
    "loyalty": {
        POS: {
            "fi": [
                "Kanta-asiakkaana tunnen itseni tervetulleeksi",
                "Leimakortti on mukava etu",
                "Käymme täällä joka viikko",
            ],
            "en": [
                "As a regular I always feel welcome",
                "The stamp card is a nice perk",
                "We come here every week",
            ],
        },
        NEG: {
            "fi": ["Kanta-asiakasedut ovat vähäiset", "Leimakortti unohtui taas kassalla"],
            "en": ["The loyalty benefits are small", "They forgot my stamp card again"],
        },
    },
    "word_of_mouth": {
        POS: {
            "fi": [
                "Ystävä suositteli ja hyvä että suositteli",
                "Kuulin paikasta työkaverilta",
                "Luin hyvät arviot Googlesta ja ne pitivät paikkansa",
            ],
            "en": [
                "A friend recommended you and was right",
                "Heard about the place from a colleague",
                "The good Google reviews were spot on",
            ],
        },
        NEG: {
            "fi": [
                "Odotin enemmän kehujen perusteella",
                "Arvioiden perusteella odotin parempaa",
            ],
            "en": ["Expected more after all the praise", "Expected better from the reviews"],
        },
    },
    # ------------------------------------------------------------ installer
    "sales_response": {
        POS: {
            "fi": [
                "Myyjä vastasi yhteydenottoon jo samana päivänä",
                "Tarjous tuli nopeasti ja oli selkeä",
                "Jari kävi kohteen läpi huolellisesti",
            ],
            "en": [
                "The salesperson got back to us the same day",
                "The quote came quickly and was clear",
                "Jari went through our house carefully",
            ],
        },
        NEG: {
            "fi": [
                "Tarjousta piti odottaa kaksi viikkoa",
                "Jouduin soittamaan useamman kerran ennen kuin kukaan vastasi",
                "Soittopyyntöön ei reagoitu",
            ],
            "en": [
                "We waited two weeks for the quote",
                "I had to call several times before anyone answered",
                "Nobody returned my call request",
            ],
        },
    },
    "quote_price": {
        POS: {
            "fi": [
                "Tarjouksessa oli kaikki kulut eriteltynä",
                "Hinta oli kilpailukykyinen",
                "Hyvä hinta-laatusuhde",
            ],
            "en": [
                "Every cost was itemised in the quote",
                "Competitive price",
                "Good value for money",
            ],
        },
        NEG: {
            "fi": [
                "Hinta oli korkeampi kuin kilpailijoilla",
                "Tarjouksesta puuttui asennustarvikkeiden hinta",
            ],
            "en": [
                "More expensive than the competitors",
                "The quote left out the price of installation materials",
            ],
        },
    },
    "contract": {
        POS: {
            "fi": [
                "Sopimus oli selkeä ja helppo allekirjoittaa sähköisesti",
                "Sopimusehdot käytiin läpi ymmärrettävästi",
            ],
            "en": [
                "The contract was clear and easy to sign electronically",
                "The terms were explained in plain language",
            ],
        },
        NEG: {
            "fi": [
                "Sopimuksen ehdot jäivät osin epäselviksi",
                "Sähköinen allekirjoitus ei toiminut",
            ],
            "en": ["Some of the terms stayed unclear", "The e-signature did not work"],
        },
    },
    "kickoff": {
        POS: {
            "fi": [
                "Aloituspalaverissa käytiin kaikki läpi selkeästi",
                "Palaverin jälkeen tiesimme tarkalleen mitä tapahtuu ja milloin",
                "Sai kysyä tyhmiäkin kysymyksiä",
                "Petra kävi suunnitelmat läpi ja korjasi yhden virheen heti",
            ],
            "en": [
                "The kickoff meeting covered everything clearly",
                "After the meeting we knew exactly what would happen and when",
                "No question was too silly to ask",
                "Petra went through the plans and fixed a mistake on the spot",
            ],
        },
        NEG: {
            "fi": ["Palaveri oli liian lyhyt", "Aloituspalaverin aikaa siirrettiin kahdesti"],
            "en": ["The meeting was too short", "The kickoff was rescheduled twice"],
        },
    },
    "install_quality": {
        POS: {
            "fi": [
                "Asennus tehtiin siististi ja ammattitaidolla",
                "Lämpöpumppu toimii erinomaisesti",
                "Asentajat olivat osaavia ja mukavia",
                "Asentajat neuvoivat laitteen käytön kärsivällisesti",
            ],
            "en": [
                "A neat and professional installation",
                "The heat pump works brilliantly",
                "Skilled and pleasant installers",
                "The installers patiently showed us how to use the unit",
            ],
        },
        NEG: {
            "fi": [
                "Ulkoyksikkö asennettiin eri paikkaan kuin sovittiin",
                "Laite piti säätää uudelleen viikon päästä",
                "Asennus jäi kesken ja piti tulla uudestaan",
            ],
            "en": [
                "The outdoor unit was put in a different place than agreed",
                "The unit had to be readjusted a week later",
                "The job was left unfinished and they had to come back",
            ],
        },
    },
    "install_delay": {
        POS: {
            "fi": [
                "Asentajat tulivat täsmälleen sovittuun aikaan",
                "Asennus valmistui aikataulussa",
            ],
            "en": ["The installers arrived exactly on time", "Installation finished on schedule"],
        },
        NEG: {
            "fi": [
                "Asentajat myöhästyivät kolme tuntia",
                "Asennus viivästyi viikolla",
                "Asennuspäivä siirtyi kahdesti",
                "Odotimme asentajia koko aamupäivän",
            ],
            "en": [
                "The installers were three hours late",
                "The installation was a week late",
                "The installation day was moved twice",
            ],
        },
    },
    "advance_notice": {
        POS: {
            "fi": [
                "Saimme edellisenä päivänä viestin, milloin asentajat tulevat",
                "Viivästyksestä kerrottiin hyvissä ajoin",
            ],
            "en": [
                "We got a message the day before saying when the installers would come",
                "We were told about the delay well in advance",
            ],
        },
        NEG: {
            "fi": [
                "Kukaan ei ilmoittanut etukäteen viivästyksestä",
                "Jouduin itse soittamaan ja kysymään, missä asentajat ovat",
                "Asentajat ilmestyivät ovelle ilman ennakkoilmoitusta",
            ],
            "en": [
                "Nobody told us about the delay in advance",
                "I had to call myself to ask where the installers were",
                "The installers turned up without any advance notice",
            ],
        },
    },
    "dust": {
        POS: {
            "fi": [
                "Asentajat siivosivat jälkensä ja suojasivat lattiat",
                "Jälki oli siisti, mitään ei jäänyt lojumaan",
            ],
            "en": [
                "The installers cleaned up and protected the floors",
                "They left the place spotless",
            ],
        },
        NEG: {
            "fi": [
                "Porauspölyä jäi joka puolelle",
                "Lattioita ei suojattu ja eteinen oli täynnä pölyä",
                "Pakkausjätteet jätettiin pihalle",
            ],
            "en": [
                "Drilling dust was left everywhere",
                "The floors were not covered and the hall was full of dust",
                "Packaging waste was left in our yard",
            ],
        },
    },
    "invoice_error": {
        NEG: {
            "fi": [
                "Laskussa oli väärä summa",
                "Kotitalousvähennykseen tarvittava työn osuus puuttui laskusta",
                "Sama lasku tuli kahteen kertaan",
                "Laskussa oli veloitus asiasta, joka kuului tarjoukseen",
                "Laskun korjaaminen vaati kolme puhelua",
                "Viitenumero oli väärin ja maksu palautui",
                "Laskulla oli eri hinta kuin sopimuksessa",
            ],
            "en": [
                "The invoice had the wrong amount",
                "The labour share needed for the tax credit was missing from the invoice",
                "We got the same invoice twice",
                "We were billed for something that was included in the quote",
                "It took three calls to get the invoice corrected",
            ],
        },
        POS: {
            "fi": [
                "Lasku oli selkeä ja vastasi tarjousta",
                "Lasku tuli sovitusti ja työn osuus oli eritelty",
            ],
            "en": [
                "The invoice was clear and matched the quote",
                "The invoice came as agreed with the labour share itemised",
            ],
        },
    },
    "support": {
        POS: {
            "fi": [
                "Huoltoon pääsi nopeasti",
                "Puhelimessa neuvottiin ystävällisesti ja vika korjaantui",
                "Oskari soitti takaisin saman tien",
            ],
            "en": [
                "Got a service visit quickly",
                "Friendly advice on the phone and the fault was fixed",
                "Oskari called back straight away",
            ],
        },
        NEG: {
            "fi": [
                "Huoltoa sai odottaa kaksi viikkoa pakkasilla",
                "Puhelinjonossa meni puoli tuntia",
                "Vikailmoitukseen ei vastattu",
            ],
            "en": [
                "Waited two weeks for service in freezing weather",
                "Half an hour in the phone queue",
                "Nobody answered my fault report",
            ],
        },
    },
    "named_contact": {
        POS: {
            "fi": [
                "Oli mukavaa, että koko projektin ajan oli yksi nimetty yhteyshenkilö",
                "Yhteyshenkilö tunsi projektimme ja vastasi aina",
            ],
            "en": [
                "It was great to have one named contact person throughout",
                "Our contact person knew our project and always answered",
            ],
        },
        NEG: {
            "fi": ["Yhteyshenkilö vaihtui kesken projektin", "En tiennyt, kenelle soittaa"],
            "en": ["Our contact person changed mid-project", "I did not know whom to call"],
        },
    },
    "referral": {
        POS: {
            "fi": [
                "Naapuri suositteli teitä",
                "Löysin teidät referenssien kautta",
                "Tuttavilla oli hyviä kokemuksia",
            ],
            "en": [
                "Our neighbour recommended you",
                "Found you through your references",
                "Friends had good experiences with you",
            ],
        },
        NEG: {
            "fi": ["Kuulin myös huonoja kokemuksia viivästyksistä"],
            "en": ["I had also heard about delays"],
        },
    },
}

OPENERS = {
    POS: {
        "fi": ["", "", "", "Kiitos!", "Kiitos paljon!", "Hienoa työtä.", "Erittäin tyytyväinen."],
        "en": ["", "", "", "Thank you!", "Great job.", "Very happy."],
    },
    NEG: {
        "fi": ["", "", "", "Harmillista.", "Pettymys.", "Tällä kertaa ei onnistunut."],
        "en": ["", "", "", "Disappointing.", "Not great this time."],
    },
    "mixed": {
        "fi": ["", "", "Ihan ok.", "Pääosin hyvä kokemus."],
        "en": ["", "", "It was OK.", "Mostly good."],
    },
}

CLOSERS = {
    POS: {
        "fi": ["", "", "", "Suosittelen!", "Tulemme uudestaan.", "Jatkakaa samaan malliin!"],
        "en": ["", "", "", "Highly recommended!", "We will be back.", "Keep it up!"],
    },
    NEG: {
        "fi": ["", "", "", "Toivottavasti tähän puututaan.", "Korjatkaa tämä.", "Odotin parempaa."],
        "en": ["", "", "", "Please sort this out.", "I expected better."],
    },
    "mixed": {
        "fi": ["", "", "Muuten kaikki hyvin."],
        "en": ["", "", "Otherwise all good."],
    },
}

BUT = {"fi": "mutta", "en": "but"}
ALSO = {"fi": ["Lisäksi", "Myös"], "en": ["Also,", "And"]}
_NAMES = {"Aino", "Sanna", "Jari", "Petra", "Oskari", "Google", "Googlen", "Facebook", "Kauralatte"}


def _lower_first(sentence: str) -> str:
    first = sentence.split(" ", 1)[0]
    if first in _NAMES:
        return sentence
    return sentence[0].lower() + sentence[1:]


def _pick(rng: random.Random, topics: dict[str, float], sentiment: str, lang: str) -> str | None:
    usable = {t: w for t, w in topics.items() if w > 0 and FRAGMENTS[t].get(sentiment)}
    if not usable:
        return None
    topic = rng.choices(list(usable), weights=list(usable.values()))[0]
    return rng.choice(FRAGMENTS[topic][sentiment][lang])


def compose(
    rng: random.Random,
    lang: str,
    sentiment: str,
    pos_topics: dict[str, float],
    neg_topics: dict[str, float],
) -> str:
    """One short comment. ``sentiment`` is "pos", "neg" or "mixed"."""
    parts: list[str] = []
    if sentiment == "mixed":
        good = _pick(rng, pos_topics, POS, lang)
        bad = _pick(rng, neg_topics, NEG, lang)
        if good and bad:
            body = f"{good}, {BUT[lang]} {_lower_first(bad)}."
        else:
            body = f"{good or bad or ''}."
        kind = "mixed"
        parts.append(body)
    else:
        topics = pos_topics if sentiment == POS else neg_topics
        first = _pick(rng, topics, sentiment, lang)
        if first is None:
            return ""
        parts.append(first + ".")
        if rng.random() < 0.35:
            second = _pick(rng, topics, sentiment, lang)
            if second and second != first:
                if rng.random() < 0.5:
                    parts.append(f"{rng.choice(ALSO[lang])} {_lower_first(second)}.")
                else:
                    parts.append(second + ".")
        kind = sentiment
    opener = rng.choice(OPENERS[kind][lang])
    closer = rng.choice(CLOSERS[kind][lang])
    return " ".join(p for p in (opener, *parts, closer) if p)
