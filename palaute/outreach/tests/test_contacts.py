import pytest

from palaute.outreach.csv_import import import_contacts
from palaute.outreach.models import Account, Contact, Segment
from palaute.outreach.segments import members, parse_conditions
from palaute.outreach.tests.helpers import make_account, make_contact
from palaute.surveys.tests.helpers import make_org

pytestmark = pytest.mark.django_db


def csv(text: str) -> bytes:
    return text.strip().encode()


def test_import_creates_contacts_accounts_and_attributes():
    org = make_org()
    data = csv(
        """
name,email,phone,language,account,Customer type,region
Maija Meikäläinen,MAIJA@example.com,040 123 4567,en,Rakennus Oy,private,Uusimaa
Pekka,,+358 50 765 4321,,,business,
"""
    )
    result = import_contacts(org, data)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.created, result.updated, result.accounts_created) == (2, 0, 1)
    maija = Contact.objects.get(email="maija@example.com")
    assert maija.phone == "+358401234567" and maija.language == "en"
    assert maija.account.name == "Rakennus Oy"
    assert maija.attributes == {"customer_type": "private", "region": "Uusimaa"}
    pekka = Contact.objects.get(phone="+358507654321")
    assert pekka.language == "fi" and pekka.attributes == {"customer_type": "business"}


def test_import_is_all_or_nothing_and_names_row_and_column():
    org = make_org()
    data = csv(
        """
email;phone;language
ok@example.com;;fi
not-an-email;;fi
;12;en
two@example.com;;sv
;;fi
ok@example.com;;fi
"""
    )
    result = import_contacts(org, data)
    messages = [str(e) for e in result.errors]
    assert messages == [
        "row 3, column email: not a valid email address",
        "row 4, column phone: not a valid phone number",
        "row 5, column language: use fi or en",
        "row 6: give an email or a phone number",
        "row 7: the same person as row 2 (ok@example.com)",
    ]
    assert not Contact.objects.exists()


def test_import_updates_existing_contacts_by_email_then_phone():
    org = make_org()
    existing = make_contact(org, "maija@example.com", attributes={"vip": "yes"}, language="en")
    by_phone = make_contact(org, "", phone="+358401234567", name="Old")
    data = csv(
        """
name,email,phone,tier
Maija M,maija@example.com,,gold
New Name,,0401234567,silver
"""
    )
    result = import_contacts(org, data)
    assert result.ok and (result.created, result.updated) == (0, 2)
    existing.refresh_from_db()
    by_phone.refresh_from_db()
    assert existing.name == "Maija M" and existing.language == "en"  # no language column
    assert existing.attributes == {"vip": "yes", "tier": "gold"}
    assert by_phone.name == "New Name" and by_phone.attributes == {"tier": "silver"}


def test_import_rejects_a_conflicting_match_and_bad_headers():
    org = make_org()
    make_contact(org, "a@example.com")
    make_contact(org, "b@example.com", phone="+358401234567")
    conflict = import_contacts(org, csv("email,phone\na@example.com,0401234567"))
    assert [str(e) for e in conflict.errors] == [
        "row 2, column phone: the email and the phone belong to different contacts"
    ]
    headers = import_contacts(org, csv("name,1st,email,email\nx,y,z@example.com,z@example.com"))
    messages = [str(e) for e in headers.errors]
    assert any(m.startswith("row 1, column 1st: not a usable column name") for m in messages)
    assert "row 1, column email: the column appears twice" in messages
    assert [str(e) for e in import_contacts(org, csv("name\nx")).errors] == [
        "row 1: the file needs an email or a phone column"
    ]
    assert import_contacts(org, b"\xff\xfe").errors[0].message == "the file is not UTF-8 text"


def test_contacts_deduplicate_per_organisation_only():
    a, b = make_org("a"), make_org("b")
    make_contact(a, "same@example.com")
    assert import_contacts(b, csv("email\nsame@example.com")).created == 1
    assert Contact.objects.filter(email="same@example.com").count() == 2


def test_segment_conditions_parse_with_clear_errors():
    assert parse_conditions(
        "tier = gold\nregion != Lapland\nproduct contains sauna\nvip exists"
    ) == [
        {"key": "tier", "op": "=", "value": "gold"},
        {"key": "region", "op": "!=", "value": "Lapland"},
        {"key": "product", "op": "contains", "value": "sauna"},
        {"key": "vip", "op": "exists", "value": ""},
    ]
    for text, problem in (
        ("tier gold", "line 1: write"),
        ("tier =", "line 1: give a value"),
        ("ok = 1\nvip exists yes", "line 2: “exists” takes no value"),
        ("Bad Key! = 1", "line 1"),
    ):
        with pytest.raises(ValueError, match=problem):
            parse_conditions(text)


def test_segment_members_are_filtered_in_the_database():
    org = make_org()
    other = make_org("other")
    company = make_account(org, "Rakennus Oy")
    Account.objects.filter(pk=company.pk).update(sector="Construction")
    gold_fi = make_contact(org, "1@example.com", attributes={"tier": "gold", "product": "Sauna XL"})
    make_contact(org, "2@example.com", attributes={"tier": "silver"})
    gold_en = make_contact(org, "3@example.com", language="en", attributes={"tier": "gold"})
    in_company = make_contact(org, "4@example.com", account=company, attributes={"tier": "gold"})
    make_contact(other, "5@example.com", attributes={"tier": "gold"})

    def emails(**fields):
        segment = Segment.objects.create(organisation=org, name=str(fields), **fields)
        return sorted(members(segment).values_list("email", flat=True))

    assert emails(conditions=parse_conditions("tier = gold")) == sorted(
        [gold_fi.email, gold_en.email, in_company.email]
    )
    assert emails(conditions=parse_conditions("tier != gold")) == ["2@example.com"]
    assert emails(conditions=parse_conditions("product contains sauna")) == [gold_fi.email]
    assert emails(conditions=parse_conditions("product missing\ntier = gold")) == sorted(
        [gold_en.email, in_company.email]
    )
    assert emails(language="en", conditions=parse_conditions("tier = gold")) == [gold_en.email]
    assert emails(sector="construction") == [in_company.email]
    assert emails(account=company) == [in_company.email]
