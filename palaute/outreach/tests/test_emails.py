from django.test import override_settings

from palaute.outreach.emails import Sender, check_template, fill, render_email
from palaute.outreach.tokens import ANSWER, UNSUBSCRIBE, make_token, split_token

KEY = "abcdefghijklmnopqrstuv"  # 22 characters, like Invitation.key


def test_token_round_trip_and_purposes():
    token = make_token(KEY, ANSWER)
    assert len(token) == 44
    assert split_token(token, ANSWER) == KEY
    # The unsubscribe token is another value and does not open the survey, and vice versa.
    assert make_token(KEY, UNSUBSCRIBE) != token
    assert split_token(token, UNSUBSCRIBE) is None
    assert split_token(make_token(KEY, UNSUBSCRIBE), ANSWER) is None


def test_forged_or_malformed_tokens_are_refused():
    token = make_token(KEY, ANSWER)
    assert split_token(token[:-1] + ("A" if token[-1] != "A" else "B"), ANSWER) is None
    assert split_token("x" * 44, ANSWER) is None
    assert split_token(token + "x", ANSWER) is None
    assert split_token("", ANSWER) is None


def test_tokens_survive_a_key_rotation_through_fallbacks():
    with override_settings(SECRET_KEY="old-secret"):
        token = make_token(KEY, ANSWER)
    with override_settings(SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS=["old-secret"]):
        assert split_token(token, ANSWER) == KEY
    with override_settings(SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS=[]):
        assert split_token(token, ANSWER) is None


def test_check_template_names_the_problem():
    assert check_template("Hi {{ first_name }}", "Answer: {{ link }}") == {}
    errors = check_template("Hi {{ nme }}", "no link here")
    assert "{{ nme }}" in errors["subject"]
    assert "{{ link }}" in errors["body"]
    assert "subject" in check_template("{{ link }}", "{{ link }}")


def test_fill_drops_the_space_before_an_empty_placeholder():
    assert fill("Hei {{ first_name }},", {"first_name": ""}) == "Hei,"
    assert fill("Hei {{first_name}},", {"first_name": "Maija"}) == "Hei Maija,"


def test_render_email_escapes_and_adds_signature_and_footer():
    sender = Sender(
        name="Aino Virtanen",
        title="Customer manager",
        phone="+358401112223",
        email="aino@kahvila.example",
        photo_url="https://cdn.example/aino.jpg",
        organisation="Kahvila",
    )
    values = {"first_name": "<b>Maija</b>", "link": "https://x.example/i/T/", "survey": "S"}
    rendered = render_email(
        subject="Hello {{ first_name }}\r\nBcc: evil@example.com",
        body="Hi {{ first_name }},\n\n{{ link }}\n\nThanks",
        language="en",
        values=values,
        sender=sender,
        unsubscribe_url="https://x.example/u/U/",
    )
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert "&lt;b&gt;Maija&lt;/b&gt;" in rendered.html and "<b>Maija</b>" not in rendered.html
    assert 'href="https://x.example/i/T/"' in rendered.html
    assert "Answer the survey" in rendered.html
    assert 'src="https://cdn.example/aino.jpg"' in rendered.html
    assert 'href="tel:+358401112223"' in rendered.html
    assert 'href="https://x.example/u/U/"' in rendered.html
    text = rendered.text
    assert "https://x.example/i/T/" in text
    assert "Aino Virtanen, Customer manager" in text and "+358401112223" in text
    assert "Unsubscribe: https://x.example/u/U/" in text
