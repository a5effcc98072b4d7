"""Naming in each mode: a testimonial never shows more of the person than they allowed."""

from __future__ import annotations

import pytest
from django.utils import translation

from palaute.testimonials.naming import author, first_name_initial


@pytest.mark.parametrize(
    ("naming", "name", "company", "label", "kind"),
    [
        ("full_name", "Maija  Meikäläinen", "", "Maija Meikäläinen", "Person"),
        (
            "full_name",
            "Maija Meikäläinen",
            "Rakennus Oy",
            "Maija Meikäläinen, Rakennus Oy",
            "Person",
        ),
        ("first_name_initial", "Maija Meikäläinen", "", "Maija M.", "Person"),
        ("first_name_initial", "anna-liisa von wright", "Oy", "anna-liisa W., Oy", "Person"),
        ("first_name_initial", "Maija", "", "Maija", "Person"),
        ("company", "Maija Meikäläinen", "Rakennus Oy", "Rakennus Oy", "Organization"),
        ("anonymous", "Maija Meikäläinen", "Rakennus Oy", "A customer", ""),
        # A naming whose text is missing falls back to anonymous, never to other details.
        ("full_name", "  ", "Rakennus Oy", "A customer", ""),
        ("company", "Maija", "", "A customer", ""),
    ],
)
def test_author_shows_only_what_the_naming_allows(naming, name, company, label, kind):
    with translation.override("en"):
        shown = author(naming, name, company)
        assert shown.label == label
    assert shown.kind == kind
    if naming == "company":
        assert "Maija" not in shown.name
    if kind == "":
        assert shown.anonymous and shown.name == shown.company == ""


def test_first_name_initial():
    assert first_name_initial("Maija Meikäläinen") == "Maija M."
    assert first_name_initial(" Matti  Juhani  Virtanen ") == "Matti V."
    assert first_name_initial("") == ""
