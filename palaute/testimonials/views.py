"""Back-office pages: the testimonial list with its status filter, one testimonial with its
consent record and actions, and the publication settings with the embed code. Every member
may look; managers and owners act. Every query is scoped to ``request.organisation``; the
actions themselves (and their audit entries) are in workflow.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.permissions import member_required
from palaute.outreach import conf
from palaute.testimonials import workflow
from palaute.testimonials.forms import (
    FilterForm,
    ProposalForm,
    PublicationForm,
    ReferenceForm,
    WithdrawForm,
)
from palaute.testimonials.models import QuoteProposal, Testimonial
from palaute.testimonials.publication import publication_for
from palaute.testimonials.respondent import email_of

PAGE_SIZE = 50
# What a manager may do next from each status, as (status, button label).
ACTIONS = {
    Testimonial.Status.PENDING: [
        ("approved", gettext_lazy("Approve")),
        ("rejected", gettext_lazy("Reject")),
    ],
    Testimonial.Status.APPROVED: [
        ("published", gettext_lazy("Publish")),
        ("rejected", gettext_lazy("Reject")),
        ("pending", gettext_lazy("Back to review")),
    ],
    Testimonial.Status.PUBLISHED: [("approved", gettext_lazy("Unpublish"))],
    Testimonial.Status.REJECTED: [("pending", gettext_lazy("Reconsider"))],
    Testimonial.Status.WITHDRAWN: [],
}


def _can_act(request) -> bool:
    return request.membership.has_role(Role.MANAGER)


def _testimonial(request, pk: int) -> Testimonial:
    return get_object_or_404(
        Testimonial.objects.select_related(
            "consent__response", "consent__survey", "account__reference_profile"
        ),
        organisation=request.organisation,
        pk=pk,
    )


@member_required(Role.VIEWER)
def testimonial_list(request):
    org = request.organisation
    filters = FilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    rows = Testimonial.objects.filter(organisation=org).select_related("consent__survey", "account")
    if status:
        rows = rows.filter(status=status)
    counts = dict(
        Testimonial.objects.filter(organisation=org)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    page = Paginator(rows.order_by("-submitted_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    entries = [(testimonial, testimonial.consent.shown_as) for testimonial in page]
    tabs = [
        {"value": "", "label": _("All"), "count": sum(counts.values())},
        *[
            {"value": value, "label": label, "count": counts.get(value, 0)}
            for value, label in Testimonial.Status.choices
        ],
    ]
    context = {
        "nav": "testimonials",
        "page": page,
        "entries": entries,
        "status": status,
        "tabs": tabs,
    }
    return render(request, "testimonials/backoffice/list.html", context)


@member_required(Role.VIEWER)
def testimonial_detail(request, pk: int):
    testimonial = _testimonial(request, pk)
    return render(
        request,
        "testimonials/backoffice/detail.html",
        _detail_context(request, testimonial),
    )


def _detail_context(request, testimonial: Testimonial, **forms) -> dict:
    consent = testimonial.consent
    account = testimonial.account
    profile = getattr(account, "reference_profile", None) if account else None
    reference_form = forms.get("reference_form") or ReferenceForm(
        organisation=request.organisation,
        initial={
            "account": account,
            "sector": (profile.sector if profile else "") or (account.sector if account else ""),
            "website": profile.website if profile else "",
        },
    )
    return {
        "nav": "testimonials",
        "testimonial": testimonial,
        "consent": consent,
        "shown_as": consent.shown_as,
        "can_act": _can_act(request),
        "actions": [
            {"status": value, "label": str(label)}
            for value, label in ACTIONS[Testimonial.Status(testimonial.status)]
        ],
        "proposals": testimonial.proposals.select_related("proposed_by")[:20],
        "has_email": bool(email_of(consent.response)),
        "proposal_form": forms.get("proposal_form") or ProposalForm(),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "reference_form": reference_form,
        "status_error": forms.get("status_error", ""),
        "history": AuditEntry.objects.filter(
            organisation=request.organisation, target=workflow.audit_target(testimonial.pk)
        ).select_related("actor")[:50],
    }


def _invalid(request, testimonial: Testimonial, **forms):
    """The testimonial page again, with the form that did not go through and its errors."""
    context = _detail_context(request, testimonial, **forms)
    return render(request, "testimonials/backoffice/detail.html", context, status=422)


@require_POST
@member_required(Role.MANAGER)
def change_status(request, pk: int):
    testimonial = _testimonial(request, pk)
    status = request.POST.get("status", "")
    if status not in Testimonial.Status.values or status == Testimonial.Status.WITHDRAWN:
        return _invalid(request, testimonial, status_error=_("Choose a status."))
    try:
        workflow.set_status(
            testimonial, status, actor=request.user, reason=request.POST.get("reason", "")
        )
    except workflow.Refused as exc:
        return _invalid(request, testimonial, status_error=exc.message)
    messages.success(request, _("Saved."))
    return redirect("testimonial_detail", pk=testimonial.pk)


@require_POST
@member_required(Role.MANAGER)
def propose_edit(request, pk: int):
    testimonial = _testimonial(request, pk)
    form = ProposalForm(request.POST)
    if form.is_valid():
        try:
            workflow.propose_edit(
                testimonial,
                form.cleaned_data["text"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except workflow.Refused as exc:
            form.add_error(exc.field or None, exc.message)
        else:
            messages.success(request, _("The proposal is on its way to the person."))
            return redirect("testimonial_detail", pk=testimonial.pk)
    return _invalid(request, testimonial, proposal_form=form)


@require_POST
@member_required(Role.MANAGER)
def cancel_proposal(request, pk: int, proposal: int):
    testimonial = _testimonial(request, pk)
    row = get_object_or_404(QuoteProposal, testimonial=testimonial, pk=proposal)
    workflow.cancel_proposal(row, actor=request.user)
    messages.success(request, _("The proposal is cancelled."))
    return redirect("testimonial_detail", pk=testimonial.pk)


@require_POST
@member_required(Role.MANAGER)
def withdraw(request, pk: int):
    """Withdraw the consent on the person's request (by phone, by email…)."""
    testimonial = _testimonial(request, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            workflow.withdraw(
                testimonial.consent,
                via="staff",
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except workflow.Refused as exc:
            form.add_error(exc.field or None, exc.message)
        else:
            messages.success(request, _("The consent is withdrawn and the testimonial taken down."))
            return redirect("testimonial_detail", pk=testimonial.pk)
    return _invalid(request, testimonial, withdraw_form=form)


@require_POST
@member_required(Role.MANAGER)
def reference(request, pk: int):
    testimonial = _testimonial(request, pk)
    form = ReferenceForm(request.POST, organisation=request.organisation)
    if form.is_valid():
        try:
            workflow.set_reference(
                testimonial,
                form.cleaned_data["account"],
                sector=form.cleaned_data["sector"],
                website=form.cleaned_data["website"],
                actor=request.user,
            )
        except workflow.Refused as exc:
            form.add_error(exc.field or None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("testimonial_detail", pk=testimonial.pk)
    return _invalid(request, testimonial, reference_form=form)


@member_required(Role.VIEWER)
def publication_settings(request):
    publication = publication_for(request.organisation)
    form = None
    if _can_act(request):
        form = PublicationForm(request.POST or None, instance=publication)
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                form.save()
                workflow.changed_settings(publication, actor=request.user, fields=form.changed_data)
            messages.success(request, _("Saved."))
            return redirect("testimonial_settings")
    elif request.method == "POST":
        raise PermissionDenied
    base = f"{conf.site_url()}/t/{publication.key}/"
    context = {
        "nav": "testimonials",
        "publication": publication,
        "form": form,
        "base": base,
        "urls": {
            "widget": base + "widget.js",
            "feed": base + "testimonials.json",
            "jsonld": base + "reviews.jsonld",
            "snippet": base + "reviews-snippet.html",
            "references": base + "references/",
        },
        "list_url": reverse("testimonial_list"),
    }
    return render(request, "testimonials/backoffice/settings.html", context)
