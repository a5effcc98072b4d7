"""The trainable models: learning a user theme, storing to bytes, and uncertainty."""

from palaute.text.classifier import TextModel, train
from palaute.text.pipeline import analyse, analyse_many
from palaute.text.themes import UserThemes

PARKING = [
    "Parkkipaikkoja ei ollut yhtään vapaana",
    "Pysäköinti oli hankalaa, kiersin korttelia puoli tuntia",
    "Autolle ei löytynyt paikkaa",
    "Parkkihalli oli täynnä",
    "Parkkimaksu oli kallis",
    "Pysäköintialue on liian pieni",
    "Parkkipaikka löytyi helposti oven edestä",
    "Autopaikkoja saisi olla enemmän",
    "Pysäköinti on ilmaista, hienoa",
    "Parkkeeraus oli vaikeaa ruuhka-aikaan",
    "Parking was impossible on Saturday",
    "No parking spaces left near the café",
    "Easy parking right outside",
    "The car park was full again",
    "Parkkipaikalla ei ollut valoja",
    "Pysäköintilupa piti hakea erikseen",
    "Parkkipaikat olivat lumen peitossa",
    "Autolla on vaikea päästä perille ja parkkeerata",
    "Pysäköinti maksaa liikaa",
    "Parkkitilaa on liian vähän",
]
OTHER = [
    "Kahvi oli hyvää ja pulla tuoretta",
    "Asentaja tuli ajallaan",
    "Lasku oli virheellinen",
    "Henkilökunta oli ystävällistä",
    "Toimitus kesti kolme viikkoa",
    "Sovellus kaatuu jatkuvasti",
    "Hinta oli kohtuullinen",
    "Tunnelma oli kodikas",
    "Asiakaspalvelu vastasi nopeasti",
    "The coffee was excellent",
    "Our installer was very professional",
    "The invoice was wrong",
    "Delivery was late",
    "Great food and friendly staff",
    "Kiitos hyvästä palvelusta",
    "Verkkosivut ovat sekavat",
    "Siivous jäi tekemättä",
    "Ruoka oli kylmää",
    "Sain hyvät ohjeet etukäteen",
    "Jono oli pitkä",
]


def parking_model() -> TextModel:
    texts = PARKING + OTHER
    themes = [["parking"]] * len(PARKING) + [[]] * len(OTHER)
    return train(texts, themes=themes)


def test_learns_a_user_theme_from_twenty_examples():
    model = parking_model()
    for text in ("Parkkipaikkoja oli liian vähän", "Pysäköinti oli vaikeaa taas"):
        found = analyse(text, model=model)
        assert "parking" in found.theme_keys(), text
        hit = next(h for h in found.themes if h.key == "parking")
        assert hit.source == "model" and hit.evidence
    assert "parking" not in analyse("Kahvi oli hyvää", model=model).theme_keys()


def test_model_round_trips_through_bytes():
    model = parking_model()
    again = TextModel.from_bytes(model.to_bytes())
    text = ["Parkkipaikkoja oli liian vähän"]
    assert analyse_many(text, model=again) == analyse_many(text, model=model)


def test_uncertainty_is_highest_for_ambiguous_comments():
    model = parking_model()
    clear, vague = analyse_many(["Parkkipaikkoja ei ollut", "Kävin eilen"])
    doubt = model.uncertainty([clear, vague])
    assert all(0 <= d <= 1 for d in doubt)
    assert doubt[1] > doubt[0]


def test_sentiment_model_learns_labels():
    texts = ["Loistava palvelu", "Surkea palvelu", "Ihan ok"] * 8
    labels = ["positive", "negative", "neutral"] * 8
    model = train(texts, sentiments=labels)
    assert analyse("Surkea palvelu", model=model).sentiment == "negative"
    assert analyse("Surkea palvelu", model=model).source == "model"


def test_user_keywords_match_inflected_forms():
    user = UserThemes.build([("parking", ["parkkipaikka", "car park"])])
    assert "parking" in analyse("Parkkipaikkoja ei ollut", user_themes=user).theme_keys()
    assert "parking" in analyse("The car park was full", "en", user_themes=user).theme_keys()
