"""The contact each row of a CSV of events would resolve to, worked out in memory, so the
upload request can name every row whose contact details contradict each other or the
database before anything is stored (events_csv.py).

``events.resolve_contact`` matches a contact by external id, email and phone and then gives
it the row's new details, so an earlier row can change what a later one matches. The ledger
replays that, row by row, over the organisation's contacts that the file names: the same
matching rule (``events.pick_match``), new contacts taking their keys, known ones taking the
row's new keys. The job that applies the rows later still checks each one for real, in case
the contacts changed between upload and job.
"""

from __future__ import annotations

from collections.abc import Iterable

from palaute.outreach.events import ContactRef, check_new_contact, pick_match
from palaute.outreach.models import Contact

KEYS = ("external_id", "email", "phone")
CHUNK = 900  # SQLite allows 999 query parameters


class ContactLedger:
    def __init__(self, organisation, refs: Iterable[ContactRef]):
        """``refs``: the rows' cleaned contact details (events.clean_ref)."""
        wanted: dict[str, set[str]] = {key: set() for key in KEYS}
        for ref in refs:
            for key in KEYS:
                if getattr(ref, key):
                    wanted[key].add(getattr(ref, key))
        self.owner: dict[str, dict[str, int]] = {key: {} for key in KEYS}  # value → contact
        self.keys: dict[int, dict[str, str]] = {}  # contact → its values
        self._new_id = 0
        contacts = Contact.objects.filter(organisation=organisation)
        for key, values in wanted.items():
            ordered = sorted(values)
            for start in range(0, len(ordered), CHUNK):
                rows = contacts.filter(**{f"{key}__in": ordered[start : start + CHUNK]}).exclude(
                    **{key: ""}  # the unique index's condition: SQLite then uses that index
                )
                for pk, *values_of in rows.values_list("pk", *KEYS):
                    self._remember(pk, dict(zip(KEYS, values_of, strict=True)))

    def apply(self, ref: ContactRef) -> None:
        """Resolve ``ref`` as ``events.resolve_contact`` would and keep the outcome for the
        rows after it; raises EventInvalid naming the fields."""
        given = {key: getattr(ref, key) for key in KEYS if getattr(ref, key)}
        contact = pick_match({key: self.owner[key].get(value) for key, value in given.items()})
        if contact is None:
            check_new_contact(ref)
            self._new_id -= 1  # ids of contacts the file creates: negative, never a real one
            self._remember(self._new_id, {key: given.get(key, "") for key in KEYS})
            return
        current = self.keys[contact]
        for key, value in given.items():
            if current[key] != value:
                if self.owner[key].get(current[key]) == contact:
                    del self.owner[key][current[key]]
                current[key] = value
                self.owner[key][value] = contact

    def _remember(self, pk: int, values: dict[str, str]) -> None:
        if pk in self.keys:
            return
        self.keys[pk] = values
        for key, value in values.items():
            if value:
                self.owner[key][value] = pk
