"""The pure pipeline: clauses, negation, compounds, mixed sentiment, language fallback."""

from palaute.text import language, lemmas, lexicon
from palaute.text.clauses import split_clauses
from palaute.text.pipeline import analyse, analyse_many
from palaute.text.tokens import tokenise


def clause_texts(text: str, lang: str = "fi") -> list[str]:
    tokens = tokenise(text)
    spans = split_clauses(tokens, lexicon.load(lang).contrast)
    return [" ".join(tokens[s.start : s.end]) for s in spans]


def themes_of(text: str, lang: str = "fi") -> dict[str, str]:
    return {hit.key: hit.sentiment for hit in analyse(text, lang).themes}


def test_clauses_split_on_punctuation_and_contrast():
    assert clause_texts("hyvä ruoka mutta pitkä jono") == ["hyvä ruoka", "mutta pitkä jono"]
    assert clause_texts("Kahvi oli hyvää. Pulla oli kuivaa!") == [
        "kahvi oli hyvää",
        "pulla oli kuivaa",
    ]
    assert clause_texts("Great coffee, although the queue was long", "en") == [
        "great coffee",
        "although the queue was long",
    ]


def test_contrast_weights_what_follows_but_more():
    tokens = tokenise("hyvä ruoka mutta pitkä jono")
    first, second = split_clauses(tokens, lexicon.load("fi").contrast)
    assert first.weight < 1 < second.weight


def test_negation_makes_a_positive_word_negative():
    assert analyse("Ruoka ei ollut hyvä.").sentiment == "negative"
    assert analyse("Asentaja ei vastannut puhelimeen.").sentiment == "negative"
    assert analyse("The staff was not friendly at all.", "en").sentiment == "negative"
    assert analyse("Ruoka oli hyvää.").sentiment == "positive"


def test_compounds_match_their_parts():
    assert lemmas.compound_parts("laskutusvirhe", "fi", lexicon.load("fi").known) == (
        "laskutus",
        "virhe",
    )
    assert themes_of("Laskussa oli taas laskutusvirhe.")["price_value"] == "negative"
    assert "schedule" in themes_of("Toimitusaika oli kolme viikkoa.")
    assert "staff" in themes_of("Asiakaspalvelija oli ystävällinen.")


def test_mixed_comment_has_one_theme_each_way():
    result = analyse("hyvä ruoka mutta pitkä jono")
    assert result.sentiment == "mixed"
    themes = {hit.key: hit for hit in result.themes}
    assert themes["product_quality"].sentiment == "positive"
    assert themes["schedule"].sentiment == "negative"
    assert "jono" in themes["schedule"].evidence
    assert "hyvä" in themes["product_quality"].opinion_words


def test_scores_stay_in_range_and_neutral_text_is_neutral():
    result = analyse("Tilasin kaksi kahvia ja pullan.")
    assert result.sentiment == "neutral"
    for text in ("Erittäin erittäin hyvä, loistava, upea, mahtava!!!", "Kamala, surkea, huono"):
        assert -1 <= analyse(text).score <= 1


def test_short_text_falls_back_to_the_survey_language():
    words = [t for t in tokenise("Hyvä!") if t[0].isalpha()]
    assert language.detect("Hyvä!", words, fallback="en") == "en"
    assert analyse("Super", "en").language == "en"


def test_longer_text_is_detected_whatever_the_fallback():
    assert analyse("The installer was late and the invoice was wrong.", "fi").language == "en"
    assert analyse("Asentaja oli myöhässä ja laskussa oli virhe.", "en").language == "fi"
    assert analyse("Personalen var mycket trevlig och maten var god.", "fi").language == "sv"


def test_english_themes_and_evidence():
    result = analyse("The waiter was rude and the food was cold.", "en")
    keys = {hit.key: hit.sentiment for hit in result.themes}
    assert keys["staff"] == "negative"
    assert "product_quality" in keys


def test_analyse_many_matches_analyse():
    texts = ["Hyvä palvelu, kiitos!", "Lasku oli liian suuri ja virheellinen."]
    assert analyse_many(texts) == [analyse(t) for t in texts]


def test_finnish_negated_existence_reaches_back_to_what_was_absent():
    from palaute.text.pipeline import analyse

    assert analyse("Jonoa ei juuri ollut", "fi").sentiment == "positive"
    assert analyse("Virheitä ei ollut", "fi").sentiment == "positive"
    assert analyse("Jono ei liikkunut", "fi").sentiment == "negative"  # not about existence
    # "ei ollut hyvää" negates what follows, not the complaint before it.
    assert analyse("Palvelu oli hidas ja kahvi ei ollut hyvää", "fi").sentiment == "negative"
