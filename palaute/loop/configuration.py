"""An organisation's closed-loop settings, created with the default rules on first use, so the
rules apply even if nobody ever opens the settings page."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from palaute.loop import rules
from palaute.loop.models import LoopSettings, Rule


def settings_for(organisation) -> LoopSettings:
    """The organisation's LoopSettings; the first call stores them and the default rules
    (one transaction, and safe when two processes get here at the same moment)."""
    found = LoopSettings.objects.filter(organisation=organisation).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            created = LoopSettings.objects.create(organisation=organisation)
            Rule.objects.bulk_create(
                Rule(
                    organisation=organisation,
                    kind=kind,
                    threshold=threshold,
                    severity=severity,
                    position=index,
                )
                for index, (kind, threshold, severity) in enumerate(rules.DEFAULT_RULES)
            )
    except IntegrityError:
        # Another process stored them first; theirs stand.
        return LoopSettings.objects.get(organisation=organisation)
    rules.forget(organisation.pk)
    return created
