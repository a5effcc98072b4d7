"""Back-office pages for SMS wording: the templates, and the segment count shown while typing
(an htmx partial, so the count comes from the same code as the one that sends)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palaute.accounts.models import Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.outreach import conf
from palaute.outreach.automation_forms import SmsTemplateForm
from palaute.outreach.emails import PLACEHOLDERS
from palaute.outreach.forms import LANGUAGE_NAMES
from palaute.outreach.models import EmailTemplate, SmsTemplate
from palaute.outreach.sms_channel import sms_sender
from palaute.outreach.sms_templates import DEFAULTS, MAX_TEMPLATE_CHARS, preview, template_for


def _context(request, **extra):
    can_edit = request.membership.has_role(Role.MANAGER)
    return {"nav": "contacts", "section": "sms", "can_edit": can_edit, **extra}


def sms_preview(organisation, body: str, language: str):
    """(example text, SmsCount) as the customer would get it."""
    return preview(
        organisation, body, language, sender=sms_sender(organisation), site_url=conf.site_url()
    )


@member_required(Role.VIEWER)
def sms_template_list(request):
    org = request.organisation
    rows = []
    for kind, label in EmailTemplate.Kind.choices:
        for language, language_name in LANGUAGE_NAMES.items():
            body = template_for(org, kind, language)
            text, count = sms_preview(org, body, language)
            rows.append(
                {
                    "kind": kind,
                    "kind_label": label,
                    "language": language,
                    "language_name": language_name,
                    "body": body,
                    "count": count,
                    "custom": SmsTemplate.objects.filter(
                        organisation=org, kind=kind, language=language
                    ).exists(),
                }
            )
    return render(request, "outreach/sms/list.html", _context(request, rows=rows))


@member_required(Role.MANAGER)
def sms_template_edit(request, kind: str, language: str):
    if kind not in EmailTemplate.Kind.values or language not in LANGUAGE_NAMES:
        raise Http404
    org = request.organisation
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "reset":
        SmsTemplate.objects.filter(organisation=org, kind=kind, language=language).delete()
        record_audit(org, request.user, "sms_template.reset", f"{kind}/{language}")
        messages.success(request, _("Back to the default wording."))
        return redirect("sms_template_edit", kind=kind, language=language)
    form = SmsTemplateForm(
        request.POST or None, initial={"body": template_for(org, kind, language)}
    )
    if request.method == "POST" and form.is_valid() and action == "save":
        SmsTemplate.objects.update_or_create(
            organisation=org,
            kind=kind,
            language=language,
            defaults={"body": form.cleaned_data["body"], "updated_by": request.user},
        )
        record_audit(org, request.user, "sms_template.save", f"{kind}/{language}")
        messages.success(request, _("Template saved."))
        return redirect("sms_template_edit", kind=kind, language=language)
    body = form.data.get("body", "") if form.is_bound else form.initial["body"]
    text, count = sms_preview(org, body, language)
    return render(
        request,
        "outreach/sms/form.html",
        _context(
            request,
            form=form,
            kind=kind,
            language=language,
            kind_label=EmailTemplate.Kind(kind).label,
            language_name=LANGUAGE_NAMES[language],
            placeholders=PLACEHOLDERS,
            example=text,
            count=count,
            default=DEFAULTS[(kind, language)],
        ),
    )


@require_POST
@member_required(Role.VIEWER)
def sms_count(request):
    """The example and its segment count for the text being typed (htmx)."""
    language = request.POST.get("language", "fi")
    if language not in LANGUAGE_NAMES:
        language = "fi"
    body = request.POST.get("body", "")[: MAX_TEMPLATE_CHARS * 2]
    text, count = sms_preview(request.organisation, body, language)
    return render(request, "outreach/sms/_count.html", {"example": text, "count": count})
