"""Sign-in, switching the active organisation, and organisation settings (BRIEF §7)."""

from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from palaute.accounts.middleware import SESSION_KEY
from palaute.accounts.models import Membership, Organisation, Role, record_audit
from palaute.accounts.permissions import member_required


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "default_language", "time_zone"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(gettext_lazy("Enter a name."))
        return name

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"].strip()
        if zone not in available_timezones():
            raise forms.ValidationError(
                gettext_lazy("Unknown time zone; use a name such as Europe/Helsinki.")
            )
        return zone


class RoleForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(label=gettext_lazy("role"), choices=Role.choices)


@require_POST
@login_required
def switch_organisation(request):
    try:
        wanted = int(request.POST.get("organisation", ""))
    except ValueError:
        raise Http404 from None
    if not Membership.objects.filter(user=request.user, organisation_id=wanted).exists():
        raise Http404
    request.session[SESSION_KEY] = wanted
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "home"
    return redirect(target)


@member_required(Role.VIEWER)
def organisation_settings(request):
    organisation = request.organisation
    is_owner = request.membership.has_role(Role.OWNER)
    org_form = OrganisationForm(instance=organisation)
    role_error = None
    if request.method == "POST":
        if not is_owner:
            raise PermissionDenied
        if request.POST.get("action") == "role":
            role_error = _change_role(request)
            if role_error is None:
                return redirect("organisation_settings")
        else:
            before = {f: getattr(organisation, f) for f in OrganisationForm.Meta.fields}
            org_form = OrganisationForm(request.POST, instance=organisation)
            if org_form.is_valid():
                org_form.save()
                changed = {
                    f: [before[f], getattr(organisation, f)]
                    for f in before
                    if before[f] != getattr(organisation, f)
                }
                if changed:
                    record_audit(
                        organisation, request.user, "organisation.update", organisation, changed
                    )
                messages.success(request, _("Settings saved."))
                return redirect("organisation_settings")
            organisation.refresh_from_db()
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    return render(
        request,
        "accounts/settings.html",
        {
            "form": org_form,
            "members": members,
            "roles": Role.choices,
            "is_owner": is_owner,
            "role_error": role_error,
            "nav": "settings",
        },
    )


def _change_role(request) -> str | None:
    """Apply a role change from the POST; return an error message or None."""
    form = RoleForm(request.POST)
    if not form.is_valid():
        return "; ".join(
            f"{name}: {' '.join(map(str, errs))}" for name, errs in form.errors.items()
        )
    organisation = request.organisation
    with transaction.atomic():
        membership = get_object_or_404(
            Membership.objects.select_for_update(),
            pk=form.cleaned_data["membership"],
            organisation=organisation,
        )
        old, new = membership.role, form.cleaned_data["role"]
        if old == new:
            return None
        owners = Membership.objects.filter(organisation=organisation, role=Role.OWNER)
        if old == Role.OWNER and owners.count() <= 1:
            return _("role: the organisation must keep at least one owner.")
        membership.role = new
        membership.save(update_fields=["role"])
        record_audit(
            organisation,
            request.user,
            "membership.role",
            membership.user.get_username(),
            {"from": old, "to": new},
        )
    messages.success(request, _("Role changed."))
    return None
