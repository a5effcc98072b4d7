"""Tone guard: each category in Finnish and English, polite replies left alone, offsets,
HTML escaping, translated reasons and a precision/recall floor on the held-out test split."""

import time
from pathlib import Path

import pytest
from django.utils import translation

from palaute.text import tone_eval, tone_rules
from palaute.text.tone import CATEGORIES, REASONS, ToneFlag, check_reply, highlight

DATA = Path(__file__).parent / "data" / "tone_replies.jsonl"


def found(text: str, lang: str | None = None, **kwargs) -> dict[str, list[str]]:
    """Category → flagged texts."""
    out: dict[str, list[str]] = {}
    for flag in check_reply(text, lang, **kwargs):
        out.setdefault(flag.category, []).append(flag.text)
    return out


@pytest.mark.parametrize(
    ("text", "lang", "category", "span"),
    [
        # blame
        ("Oma vikanne, olisitte voineet lukea ruokalistan.", "fi", "blame", "Oma vikanne"),
        ("Teidän olisi pitänyt varata pöytä etukäteen.", "fi", "blame", "Teidän olisi pitänyt"),
        ("Ette lukeneet tilausvahvistusta.", "fi", "blame", "Ette lukeneet"),
        ("You should have read the menu before ordering.", "en", "blame", "You should have read"),
        ("It was your own fault that the parcel was late.", "en", "blame", "your own fault"),
        # belittle
        ("Rauhoittukaa nyt, kyse on vain kahvista.", "fi", "belittle", "Rauhoittukaa"),
        ("Kukaan muu ei ole valittanut asiasta.", "fi", "belittle", "Kukaan muu ei ole"),
        ("Ordering online is not rocket science.", "en", "belittle", "not rocket science"),
        ("No one else complained about the soup.", "en", "belittle", "No one else complained"),
        # argue
        ("Väitteenne ei pidä paikkaansa.", "fi", "argue", "ei pidä paikkaansa"),
        ("Valvontakameran tallenteet näyttävät muuta.", "fi", "argue", "Valvontakameran"),
        ("That is simply not true.", "en", "argue", "simply not true"),
        ("Our CCTV clearly shows what happened.", "en", "argue", "Our CCTV clearly shows"),
        ("Pyydämme poistamaan arvostelunne.", "fi", "argue", "Pyydämme poistamaan arvostelunne"),
        # personal data
        ("Soitimme numeroonne 040 123 4567 eilen.", "fi", "personal_data", "040 123 4567"),
        ("Tilauksenne #48213 lähti maanantaina.", "fi", "personal_data", "Tilauksenne #48213"),
        ("Allergianne vuoksi kokki teki oman annoksen.", "fi", "personal_data", "Allergianne"),
        ("We emailed you at anna.k@example.com.", "en", "personal_data", "anna.k@example.com"),
        ("Hi John Smith, thanks for staying.", "en", "personal_data", "John Smith"),
        ("Your stay in room 214 was noted.", "en", "personal_data", "room 214"),
        # overpromise
        ("Lupaamme, että tämä ei toistu enää koskaan.", "fi", "overpromise", "enää koskaan"),
        ("Saatte ilmaista kahvia loppuelämänne ajan!", "fi", "overpromise", "loppuelämänne"),
        ("We guarantee it will never happen again.", "en", "overpromise", "never happen again"),
        ("Your coffee is free for life.", "en", "overpromise", "free for life"),
    ],
)
def test_each_category_is_flagged_in_both_languages(text, lang, category, span):
    flags = found(text, lang)
    assert category in flags, flags
    assert any(span in flagged or flagged in span for flagged in flags[category]), flags


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Emme syytä teitä lainkaan, virhe oli meidän.", "fi"),
        ("Tämä ei ollut teidän vikanne, pahoittelemme.", "fi"),
        ("Meidän olisi pitänyt kertoa viivästyksestä ajoissa.", "fi"),
        ("Teemme kaikkemme, ettei vastaava toistu. Selvitämme asian.", "fi"),
        ("Soittakaa meille numeroon 09 123 4567 tai kirjoittakaa info@kahvila.fi.", "fi"),
        ("Olette aina tervetulleita uudestaan!", "fi"),
        ("It was not your fault at all, and we will look into it.", "en"),
        ("You should have received a confirmation email; we are checking why it failed.", "en"),
        ("We cannot guarantee it, but we will do our best so that it never happens again.", "en"),
        ("Please let us know about your allergies when ordering.", "en"),
        ("You are always welcome back!", "en"),
    ],
)
def test_polite_replies_are_not_flagged(text, lang):
    assert check_reply(text, lang) == []


def test_offsets_point_into_the_original_inflected_finnish():
    text = "Hei! Kyllä se oli ihan omaa vikaanne, kun ette lukeneet ehtoja."
    flags = check_reply(text, "fi")
    assert [f.category for f in flags] == ["blame", "blame"]
    for flag in flags:
        assert text[flag.start : flag.end] == flag.text
    assert flags[0].text == "omaa vikaanne"
    assert flags[1].text == "ette lukeneet"


def test_language_is_detected_when_not_given():
    assert found("Teidän olisi pitänyt lukea ruokalista ennen tilaamista.") == {
        "blame": ["Teidän olisi pitänyt lukea"]
    }
    assert "blame" in found("You should have checked the opening hours on our website.")


def test_full_name_is_flagged_when_the_reviewer_gave_only_a_first_name():
    text = "Kiitos palautteesta, Matti Virtanen! Tervetuloa uudelleen."
    assert found(text, "fi", author_name="Matti V.") == {"personal_data": ["Matti Virtanen"]}
    assert found(text, "fi", author_name="Matti Virtanen") == {}


def test_highlight_marks_flags_and_escapes_everything_else():
    text = '<b>"Oops"</b> you should have read the menu & the sign.'
    html = highlight(text, check_reply(text, "en"))
    assert "<b>" not in html and "&lt;b&gt;" in html and "&amp; the sign" in html
    assert '<mark class="tone-flag tone-blame" title="' in html
    assert ">you should have read</mark>" in html


def test_highlight_escapes_the_reason_and_merges_overlaps():
    flags = [
        ToneFlag(0, 9, "Our CCTV ", "argue", 'says "no" <here>'),
        ToneFlag(4, 14, "CCTV shows", "personal_data", "second"),
    ]
    html = highlight("Our CCTV shows it.", flags)
    assert 'title="says &quot;no&quot; &lt;here&gt;"' in html
    assert 'class="tone-flag tone-argue tone-personal_data"' in html
    assert html.endswith(" it.")


def test_the_business_own_contact_details_are_not_personal_data():
    text = (
        "Soittakaa meille numeroon 09 123 4567 tai kirjoittakaa asiakaspalvelu@kahvila.fi. "
        "Meidät löytää osoitteesta Kauppakatu 5. Soitimme teille numeroon 040 555 1234."
    )
    assert found(text, "fi") == {"personal_data": ["040 555 1234"]}
    text = "Email me directly at anna.korhonen@hotel.fi, or we will call you on 07700 900123."
    assert found(text, "en") == {"personal_data": ["07700 900123"]}


def test_reference_numbers_need_a_reference_word_and_are_not_amounts():
    assert found("Tilausnumero 2024-118734 on hyvitetty.", "fi") == {
        "personal_data": ["Tilausnumero 2024-118734"]
    }
    assert found("Hyvitimme 45,90 € ja tilauksen 3 kpl tuotteita.", "fi") == {}
    assert found("Your booking for 4 people at 19:30 is confirmed.", "en") == {}


def test_negation_and_hedges_change_the_verdict():
    assert "blame" in found("Vika oli teissä.", "fi")
    assert found("Vika ei ollut teissä.", "fi") == {}
    assert "overpromise" in found("Tämä ei toistu enää koskaan.", "fi")
    assert found("Pyrimme siihen, ettei tämä toistu enää koskaan.", "fi") == {}
    assert "overpromise" in found("We guarantee a table every time.", "en")
    assert found("We cannot guarantee a table every time.", "en") == {}


def test_language_variants_and_other_languages():
    assert "blame" in found("You should have read the menu.", "en-GB")
    # Swedish gets the checks that need no word lists.
    assert found("Tack! Vi ringde dig på 040 555 1234.", "sv") == {
        "personal_data": ["040 555 1234"]
    }
    assert check_reply("   ", "fi") == []


def test_scare_quotes_and_a_bare_pet_name_belittle():
    assert found("Your 'cold' soup was 75 degrees.", "en") == {"belittle": ["Your 'cold' soup"]}
    assert found("Dear, it is called medium rare.", "en") == {"belittle": ["Dear"]}
    assert found("Dear Anna, thank you for visiting.", "en") == {}


def test_pattern_language():
    rules = tone_rules.parse(
        """
        [class you]
        you your
        [class neg]
        not no never
        [blame fault negatable]
        @you ~1 fault
        [argue deny start]
        actually
        [blame hindsight]
        @you should have !received|been
        """,
        "en",
    )

    def categories_of(text: str) -> list[str]:
        tokens = tone_rules.tokenise(text, "en")
        return [hit.pattern.category for hit in tone_rules.find(tokens, rules)]

    assert categories_of("It was your own fault.") == ["blame"]
    assert categories_of("It was not your fault.") == []
    assert categories_of("Actually, it was cold.") == ["argue"]
    assert categories_of("It was actually cold.") == []
    assert categories_of("You should've asked.") == ["blame"]
    assert categories_of("You should have received an email.") == []
    with pytest.raises(ValueError, match="unknown tone class"):
        tone_rules.parse("[blame fault]\n@nobody fault", "en")
    with pytest.raises(ValueError, match="outside a section"):
        tone_rules.parse("your fault", "en")


def test_reason_follows_the_active_language():
    text = "You should have read the menu."
    with translation.override("en"):
        (english,) = [f.reason for f in check_reply(text, "en")]
        assert english == str(REASONS["hindsight"])
    with translation.override("fi"):
        (finnish,) = [f.reason for f in check_reply(text, "en")]
    assert finnish != english and "asiakka" in finnish.lower()


def test_every_reason_key_used_by_the_rules_has_a_sentence():
    from palaute.text import tone_rules

    for lang in ("fi", "en"):
        for pattern in tone_rules.load(lang).patterns:
            assert pattern.category in CATEGORIES, pattern.source
            assert pattern.reason in REASONS, pattern.source


def test_a_long_reply_is_checked_in_a_few_milliseconds():
    rows = tone_eval.load(DATA)
    for lang in ("fi", "en"):
        text = " ".join(r["text"] for r in rows if r["lang"] == lang)[:1000]
        check_reply(text, lang)  # warm the lemma and word caches
        # The best of a few rounds: other processes on a shared machine only ever add time.
        best = min(_seconds_per_call(text, lang) for _ in range(5))
        assert best < 0.005, (lang, best)


def _seconds_per_call(text: str, lang: str, calls: int = 10) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        check_reply(text, lang)
    return (time.perf_counter() - started) / calls


# Measured on the test split (drawn before any tuning; bench/tone_guard.py): category-level
# micro P 0.94 / R 0.72, reply-level P 0.96 / R 0.81, fi and en alike within a few points.
# The floors sit a little below so that a rule change that costs accuracy fails here.
FLOORS = {
    ("all", "reply"): (0.90, 0.75),
    ("all", "categories"): (0.88, 0.66),
    ("fi", "categories"): (0.85, 0.62),
    ("en", "categories"): (0.85, 0.62),
}


def test_test_split_keeps_its_precision_and_recall_floor():
    rows = [r for r in tone_eval.load(DATA) if r["split"] == "test"]
    table = tone_eval.run(rows)
    for (lang, view), (min_precision, min_recall) in FLOORS.items():
        scores = table[(lang, "test")]
        counts = scores.reply if view == "reply" else scores.all_categories
        assert counts.precision >= min_precision, (lang, view, counts)
        assert counts.recall >= min_recall, (lang, view, counts)


def test_labelled_set_is_well_formed_and_large_enough():
    rows = tone_eval.load(DATA)
    by_lang = {lang: [r for r in rows if r["lang"] == lang] for lang in ("fi", "en")}
    assert len(by_lang["fi"]) >= 80 and len(by_lang["en"]) >= 80
    test_share = sum(r["split"] == "test" for r in rows) / len(rows)
    assert 0.35 <= test_share <= 0.45
    for row in rows:
        assert row["split"] in ("dev", "test")
        assert set(row["categories"]) == {s["category"] for s in row["spans"]}
        for span in row["spans"]:
            assert row["text"][span["start"] : span["end"]] == span["text"], row["id"]
    for lang, lang_rows in by_lang.items():
        for category in CATEGORIES:
            assert sum(category in r["categories"] for r in lang_rows) >= 8, (lang, category)
        assert sum(not r["categories"] for r in lang_rows) >= 30, lang
