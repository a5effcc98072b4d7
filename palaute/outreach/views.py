"""Back-office pages: contacts, accounts, segments, email templates, sending settings and each
survey's invitations. Every member may look; managers and owners change things. Every query is
scoped to ``request.organisation``."""

from __future__ import annotations

import uuid
import zoneinfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, ProtectedError, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from palaute.accounts.models import Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.outreach import contacts as contact_rules
from palaute.outreach.csv_import import import_contacts
from palaute.outreach.emails import DEFAULTS, PLACEHOLDERS, render_email
from palaute.outreach.forms import (
    LANGUAGE_NAMES,
    AccountForm,
    ContactForm,
    ImportForm,
    SegmentForm,
    SenderProfileForm,
    SendForm,
    SettingsForm,
    TemplateForm,
)
from palaute.outreach.models import (
    Account,
    ChannelKind,
    Contact,
    EmailTemplate,
    Invitation,
    Segment,
    SenderProfile,
)
from palaute.outreach.segments import members
from palaute.outreach.send_batches import start_send
from palaute.outreach.senders import outreach_settings, sender_for
from palaute.outreach.sms_templates import template_for as sms_template_for
from palaute.outreach.sms_views import sms_preview
from palaute.surveys.models import Survey

PAGE_SIZE = 50
RECENT_BATCHES = 5


def _can_edit(request) -> bool:
    return request.membership.has_role(Role.MANAGER)


def _context(request, section: str, **extra):
    return {"nav": "contacts", "section": section, "can_edit": _can_edit(request), **extra}


# ---------------------------------------------------------------------------- contacts


@member_required(Role.VIEWER)
def contact_list(request):
    org = request.organisation
    contacts = Contact.objects.filter(organisation=org).select_related("account")
    segment = None
    if request.GET.get("segment"):
        segment = Segment.objects.filter(organisation=org, pk=_int(request.GET["segment"])).first()
        if segment is None:
            raise Http404
        contacts = members(segment).select_related("account")
    query = request.GET.get("q", "").strip()
    if query:
        contacts = contacts.filter(
            Q(name__icontains=query) | Q(email__icontains=query) | Q(phone__icontains=query)
        )
    page = Paginator(contacts.order_by("name", "email", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "outreach/contacts/list.html",
        _context(
            request,
            "contacts",
            page=page,
            query=query,
            segment=segment,
            segments=Segment.objects.filter(organisation=org),
        ),
    )


@member_required(Role.MANAGER)
def contact_create(request):
    form = ContactForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        contact = form.save()
        record_audit(request.organisation, request.user, "contact.create", f"contact {contact.pk}")
        messages.success(request, _("Contact added."))
        return redirect("contact_detail", pk=contact.pk)
    return render(request, "outreach/contacts/form.html", _context(request, "contacts", form=form))


@member_required(Role.VIEWER)
def contact_detail(request, pk: int):
    contact = get_object_or_404(
        Contact.objects.select_related("account"), organisation=request.organisation, pk=pk
    )
    form = None
    if _can_edit(request):
        form = ContactForm(
            request.POST or None, instance=contact, organisation=request.organisation
        )
        if request.method == "POST" and form.is_valid():
            form.save()
            record_audit(
                request.organisation,
                request.user,
                "contact.update",
                f"contact {contact.pk}",
                {"fields": form.changed_data},
            )
            messages.success(request, _("Saved."))
            return redirect("contact_detail", pk=contact.pk)
    elif request.method == "POST":
        raise PermissionDenied
    invitations = contact.invitations.select_related("survey").order_by("-created_at")[:50]
    return render(
        request,
        "outreach/contacts/detail.html",
        _context(
            request,
            "contacts",
            contact=contact,
            form=form,
            invitations=invitations,
            events=contact.events.order_by("-occurred_at")[:20],
            journey_messages=contact.messages.order_by("-created_at")[:20],
        ),
    )


@require_POST
@member_required(Role.MANAGER)
def contact_consent(request, pk: int):
    contact = get_object_or_404(Contact, organisation=request.organisation, pk=pk)
    channel = request.POST.get("channel")
    if channel not in ChannelKind.values:
        raise Http404
    if request.POST.get("action") == "opt_in":
        contact_rules.opt_in(contact, channel, actor=request.user, via="staff")
    else:
        contact_rules.opt_out(contact, channel, actor=request.user, via="staff")
    return redirect("contact_detail", pk=contact.pk)


@require_POST
@member_required(Role.MANAGER)
def contact_clear_bounce(request, pk: int):
    contact = get_object_or_404(Contact, organisation=request.organisation, pk=pk)
    Contact.objects.filter(pk=contact.pk).update(email_bounced_at=None, email_bounce_reason="")
    record_audit(request.organisation, request.user, "contact.clear_bounce", f"contact {pk}")
    return redirect("contact_detail", pk=contact.pk)


@require_POST
@member_required(Role.MANAGER)
def contact_delete(request, pk: int):
    contact = get_object_or_404(Contact, organisation=request.organisation, pk=pk)
    contact.delete()
    record_audit(request.organisation, request.user, "contact.delete", f"contact {pk}")
    messages.success(request, _("Contact deleted."))
    return redirect("contact_list")


@member_required(Role.MANAGER)
def contact_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = import_contacts(request.organisation, form.cleaned_data["file"].read())
        if result.ok:
            record_audit(
                request.organisation,
                request.user,
                "contact.import",
                form.cleaned_data["file"].name,
                {"created": result.created, "updated": result.updated},
            )
            messages.success(
                request,
                _("Imported: %(created)d new, %(updated)d updated contacts.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("contact_list")
    return render(
        request,
        "outreach/contacts/import.html",
        _context(request, "contacts", form=form, result=result),
    )


# ---------------------------------------------------------------------------- accounts


@member_required(Role.VIEWER)
def account_list(request):
    accounts = (
        Account.objects.filter(organisation=request.organisation)
        .select_related("owner")
        .annotate(contact_count=Count("contacts"))
    )
    return render(
        request, "outreach/accounts/list.html", _context(request, "accounts", accounts=accounts)
    )


@member_required(Role.MANAGER)
def account_create(request):
    form = AccountForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        account = form.save()
        record_audit(request.organisation, request.user, "account.create", account.name)
        return redirect("account_detail", pk=account.pk)
    return render(request, "outreach/accounts/form.html", _context(request, "accounts", form=form))


@member_required(Role.VIEWER)
def account_detail(request, pk: int):
    account = get_object_or_404(
        Account.objects.select_related("owner"), organisation=request.organisation, pk=pk
    )
    form = None
    if _can_edit(request):
        form = AccountForm(
            request.POST or None, instance=account, organisation=request.organisation
        )
        if request.method == "POST" and form.is_valid():
            form.save()
            record_audit(request.organisation, request.user, "account.update", account.name)
            messages.success(request, _("Saved."))
            return redirect("account_detail", pk=account.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "outreach/accounts/detail.html",
        _context(
            request,
            "accounts",
            account=account,
            form=form,
            contacts=account.contacts.order_by("name")[:200],
        ),
    )


# ---------------------------------------------------------------------------- segments


@member_required(Role.VIEWER)
def segment_list(request):
    segments = Segment.objects.filter(organisation=request.organisation)
    rows = [(segment, members(segment).count()) for segment in segments]
    return render(request, "outreach/segments/list.html", _context(request, "segments", rows=rows))


@member_required(Role.MANAGER)
def segment_edit(request, pk: int | None = None):
    segment = get_object_or_404(Segment, organisation=request.organisation, pk=pk) if pk else None
    form = SegmentForm(request.POST or None, instance=segment, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        record_audit(request.organisation, request.user, "segment.save", saved.name)
        messages.success(request, _("Segment saved."))
        return redirect("segment_edit", pk=saved.pk)
    preview = members(segment).select_related("account")[:20] if segment else None
    count = members(segment).count() if segment else None
    return render(
        request,
        "outreach/segments/form.html",
        _context(request, "segments", form=form, segment=segment, preview=preview, count=count),
    )


@require_POST
@member_required(Role.MANAGER)
def segment_delete(request, pk: int):
    segment = get_object_or_404(Segment, organisation=request.organisation, pk=pk)
    try:
        segment.delete()
    except ProtectedError as error:
        names = ", ".join(sorted({str(obj) for obj in error.protected_objects}))
        messages.error(
            request, _("The segment is used by schedules: %(names)s.") % {"names": names}
        )
        return redirect("segment_edit", pk=segment.pk)
    record_audit(request.organisation, request.user, "segment.delete", segment.name)
    return redirect("segment_list")


# ---------------------------------------------------------------------- email templates


@member_required(Role.VIEWER)
def template_list(request):
    own = {
        (t.kind, t.language): t
        for t in EmailTemplate.objects.filter(organisation=request.organisation)
    }
    rows = [
        {
            "kind": kind,
            "kind_label": label,
            "language": language,
            "language_name": LANGUAGE_NAMES[language],
            "subject": own[(kind, language)].subject
            if (kind, language) in own
            else DEFAULTS[(kind, language)][0],
            "custom": (kind, language) in own,
        }
        for kind, label in EmailTemplate.Kind.choices
        for language in LANGUAGE_NAMES
    ]
    return render(
        request, "outreach/templates/list.html", _context(request, "templates", rows=rows)
    )


@member_required(Role.MANAGER)
def template_edit(request, kind: str, language: str):
    if kind not in EmailTemplate.Kind.values or language not in LANGUAGE_NAMES:
        raise Http404
    org = request.organisation
    row = EmailTemplate.objects.filter(organisation=org, kind=kind, language=language).first()
    subject, body = (row.subject, row.body) if row else DEFAULTS[(kind, language)]
    form = TemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "reset":
        EmailTemplate.objects.filter(organisation=org, kind=kind, language=language).delete()
        record_audit(org, request.user, "email_template.reset", f"{kind}/{language}")
        messages.success(request, _("Back to the default wording."))
        return redirect("template_edit", kind=kind, language=language)
    preview = None
    if request.method == "POST" and form.is_valid():
        if action == "save":
            EmailTemplate.objects.update_or_create(
                organisation=org,
                kind=kind,
                language=language,
                defaults={
                    "subject": form.cleaned_data["subject"],
                    "body": form.cleaned_data["body"],
                    "updated_by": request.user,
                },
            )
            record_audit(org, request.user, "email_template.save", f"{kind}/{language}")
            messages.success(request, _("Template saved."))
            return redirect("template_edit", kind=kind, language=language)
        subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
    if not form.is_bound or form.is_valid():
        preview = _preview(request, subject, body, language)
    return render(
        request,
        "outreach/templates/form.html",
        _context(
            request,
            "templates",
            form=form,
            kind=kind,
            kind_label=EmailTemplate.Kind(kind).label,
            language_name=LANGUAGE_NAMES[language],
            placeholders=PLACEHOLDERS,
            preview=preview,
        ),
    )


def _preview(request, subject: str, body: str, language: str):
    org = request.organisation
    sender = sender_for(org, outreach_settings(org).default_sender or request.user)
    example = "https://palaute.example/i/EXAMPLE/"
    values = {
        "first_name": "Maija",
        "name": "Maija Meikäläinen",
        "survey": "Miten onnistuimme?" if language == "fi" else "How did we do?",
        "link": example,
        "organisation": org.name,
        "sender_name": sender.name,
        "sender_title": sender.title,
        "sender_phone": sender.phone,
        "sender_email": sender.email,
    }
    return render_email(
        subject=subject,
        body=body,
        language=language,
        values=values,
        sender=sender,
        unsubscribe_url="https://palaute.example/u/EXAMPLE/",
    )


# ----------------------------------------------------------------------------- settings


@member_required(Role.VIEWER)
def sending_settings(request):
    org = request.organisation
    current = outreach_settings(org)
    profile = SenderProfile.objects.filter(organisation=org, user=request.user).first()
    profile = profile or SenderProfile(organisation=org, user=request.user)
    action = request.POST.get("action")
    settings_form = SettingsForm(
        request.POST if action == "settings" else None, instance=current, organisation=org
    )
    profile_form = SenderProfileForm(
        request.POST if action == "profile" else None,
        instance=profile,
        membership=request.membership,
    )
    if request.method == "POST":
        if action == "settings":
            if not _can_edit(request):
                raise PermissionDenied
            if settings_form.is_valid():
                settings_form.save()
                record_audit(
                    org,
                    request.user,
                    "outreach.settings",
                    org.slug,
                    {"fields": settings_form.changed_data},
                )
                messages.success(request, _("Saved."))
                return redirect("sending_settings")
        elif action == "profile" and profile_form.is_valid():
            profile_form.save()
            messages.success(request, _("Saved."))
            return redirect("sending_settings")
    return render(
        request,
        "outreach/settings.html",
        _context(
            request,
            "settings",
            settings_form=settings_form,
            profile_form=profile_form,
            me=sender_for(org, request.user),
        ),
    )


# -------------------------------------------------------------------------- invitations


@member_required(Role.VIEWER)
def survey_invitations(request, key: str):
    org = request.organisation
    survey = get_object_or_404(Survey, organisation=org, key=key)
    invitations = Invitation.objects.filter(survey=survey).select_related(
        "contact", "earlier_invitation__survey"
    )
    status = request.GET.get("status", "")
    counts = dict(invitations.order_by().values_list("status").annotate(n=Count("pk")))
    if status in Invitation.Status.values:
        invitations = invitations.filter(status=status)
    page = Paginator(invitations.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    form = (
        SendForm(organisation=org, initial={"batch": uuid.uuid4().hex})
        if _can_edit(request)
        else None
    )
    return render(
        request,
        "outreach/invitations/list.html",
        {
            "nav": "surveys",
            "survey": survey,
            "page": page,
            "status": status,
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in Invitation.Status.choices
            ],
            "form": form,
            "can_edit": _can_edit(request),
            "total": sum(counts.values()),
            "sms_counts": _sms_counts(org) if form else None,
            "batches": survey.send_batches.select_related("created_by")[:RECENT_BATCHES],
        },
    )


@require_POST
@member_required(Role.MANAGER)
def survey_send(request, key: str):
    org = request.organisation
    survey = get_object_or_404(
        Survey.objects.select_related("organisation"), organisation=org, key=key
    )
    with timezone.override(zoneinfo.ZoneInfo(org.time_zone)):
        form = SendForm(request.POST, organisation=org)
        valid = form.is_valid()
    if not valid:
        errors = "; ".join(
            f"{field}: {', '.join(str(e) for e in errs)}" for field, errs in form.errors.items()
        )
        messages.error(request, _("Nothing was sent: %(errors)s") % {"errors": errors})
        return redirect("survey_invitations", key=survey.key)
    data = form.cleaned_data
    batch, created = start_send(
        survey,
        key=data["batch"],
        segment=data["segment"],
        channel=data["channel"],
        send_at=data["send_at"] or timezone.now(),
        user=request.user,
    )
    if created:
        messages.success(
            request,
            ngettext(
                "Sending to %(planned)d contact: the invitation is being created.",
                "Sending to %(planned)d contacts: the invitations are being created.",
                batch.planned,
            )
            % {"planned": batch.planned},
        )
    return redirect("send_batch", key=batch.survey.key, pk=batch.pk)


def _sms_counts(org):
    """The segment count of the SMS invitation per language, shown before sending."""
    return [
        (name, sms_preview(org, sms_template_for(org, "invitation", code), code)[1])
        for code, name in LANGUAGE_NAMES.items()
    ]


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None
