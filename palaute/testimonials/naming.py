"""How a consenting person is named wherever their testimonial appears, per their choice:
full name, first name and the initial of the surname, company only, or nobody (anonymous).

Every public surface (widget feed, JSON-LD, reference page) goes through ``author`` so that a
testimonial never shows more than the person allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

PERSON = "Person"
ORGANIZATION = "Organization"


@dataclass(frozen=True)
class Author:
    """``name``: the person's name as allowed ("" unless named); ``company``: the company as
    allowed ("" if not); ``kind``: the schema.org type of the author, "" when anonymous."""

    name: str
    company: str
    kind: str

    @property
    def anonymous(self) -> bool:
        return not self.kind

    @property
    def label(self) -> str:
        """One line for people: "Maija M., Rakennus Oy", "Rakennus Oy" or "A customer"."""
        if self.anonymous:
            return _("A customer")
        return ", ".join(part for part in (self.name, self.company) if part)


def author(naming: str, name: str, company: str) -> Author:
    """The author as ``naming`` allows: what was given for another naming is never shown."""
    if naming == "full_name" and name.strip():
        return Author(name=" ".join(name.split()), company=company.strip(), kind=PERSON)
    if naming == "first_name_initial" and name.strip():
        return Author(name=first_name_initial(name), company=company.strip(), kind=PERSON)
    if naming == "company" and company.strip():
        return Author(name="", company=company.strip(), kind=ORGANIZATION)
    return Author(name="", company="", kind="")


def first_name_initial(name: str) -> str:
    """ "Maija Meikäläinen" → "Maija M."; "Anna-Liisa von Wright" → "Anna-Liisa W."; a lone
    first name stays as it is."""
    words = name.split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0].upper()}."
