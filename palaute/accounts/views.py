"""Sign-in, switching the active organisation, organisation settings and API tokens
(BRIEF §7)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from palaute.accounts import tokens
from palaute.accounts.forms import OrganisationForm, RoleForm, TokenForm
from palaute.accounts.middleware import SESSION_KEY
from palaute.accounts.models import ApiToken, Membership, Role, record_audit
from palaute.accounts.permissions import member_required


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
            "can_manage_tokens": request.membership.has_role(Role.MANAGER),
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


@never_cache  # the page that shows a new token must not be kept by a browser or proxy
@member_required(Role.MANAGER)
def api_tokens(request):
    """List the organisation's API tokens and create one; a new token is shown once, in the
    answer to the POST that created it, and never again."""
    organisation = request.organisation
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        token, plain = tokens.create_token(
            organisation,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            created_by=request.user,
        )
        created = {"token": token, "plain": plain}
        form = TokenForm()
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "nav": "settings",
            "form": form,
            "created": created,
            "tokens": ApiToken.objects.filter(organisation=organisation).select_related(
                "created_by"
            ),
        },
    )


@require_POST
@member_required(Role.MANAGER)
def api_token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, organisation=request.organisation)
    if tokens.revoke_token(token, request.user):
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens")
