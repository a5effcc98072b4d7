"""Review sources: connecting Google and Facebook, syncing, location mappings, and imports.

Managing sources needs manager. Tokens go in through the form or Google's consent page and
are stored encrypted; they are never shown again. Every change is in the audit log (without
the secrets).
"""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palaute.accounts.models import Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.outreach.jobs import enqueue
from palaute.reviews import importer, sync
from palaute.reviews.connectors import ConnectorError, oauth
from palaute.reviews.forms import ImportForm, MappingForm, SourceForm
from palaute.reviews.models import LocationMapping, ReviewSource, SourceKind

OAUTH_SALT = "palaute.reviews.google-oauth"
OAUTH_MAX_AGE = 15 * 60


def _source(request, pk: int) -> ReviewSource:
    return get_object_or_404(ReviewSource, organisation=request.organisation, pk=pk)


@member_required(Role.MANAGER)
def source_list(request):
    sources = ReviewSource.objects.filter(organisation=request.organisation).select_related(
        "touchpoint"
    )
    return render(
        request,
        "reviews/sources.html",
        {"nav": "reviews", "sources": sources.prefetch_related("mappings__touchpoint")},
    )


@member_required(Role.MANAGER)
def source_create(request, kind: str):
    if kind not in (SourceKind.GOOGLE, SourceKind.FACEBOOK):
        raise Http404
    return _source_form(request, ReviewSource(), kind)


@member_required(Role.MANAGER)
def source_edit(request, pk: int):
    source = _source(request, pk)
    if not source.is_connector:
        raise Http404
    return _source_form(request, source, source.kind)


def _source_form(request, source: ReviewSource, kind: str):
    form = SourceForm(
        request.POST or None, instance=source, organisation=request.organisation, kind=kind
    )
    if request.method == "POST" and form.is_valid():
        created = source.pk is None
        source = form.save()
        changed = sorted(name for name in form.changed_data if "token" not in name)
        record_audit(
            request.organisation,
            request.user,
            "review_source.created" if created else "review_source.changed",
            source,
            {"fields": changed, "secrets_replaced": _secrets_given(form)},
        )
        messages.success(request, _("Saved."))
        return redirect("review_sources")
    return render(
        request,
        "reviews/source_form.html",
        {"nav": "reviews", "form": form, "source": source, "kind": kind},
    )


def _secrets_given(form: SourceForm) -> list[str]:
    names = ("client_secret", "access_token", "refresh_token")
    return [name for name in names if form.cleaned_data.get(name)]


@require_POST
@member_required(Role.MANAGER)
def source_sync(request, pk: int):
    source = _source(request, pk)
    if not source.is_connected:
        messages.error(request, _("Connect the source first."))
    else:
        enqueue(sync.sync_source_job, source.pk)
        messages.success(request, _("A sync was started; refresh the page in a moment."))
    return redirect("review_sources")


@require_POST
@member_required(Role.MANAGER)
def source_disconnect(request, pk: int):
    """Forget the tokens (the reviews stay); the platform's own access can then be revoked."""
    source = _source(request, pk)
    ReviewSource.objects.filter(pk=source.pk).update(
        access_token_encrypted="",
        refresh_token_encrypted="",
        access_token_expires_at=None,
        is_active=False,
    )
    record_audit(request.organisation, request.user, "review_source.disconnected", source)
    messages.success(request, _("Disconnected. The reviews already read are kept."))
    return redirect("review_sources")


# --- Google's consent page ------------------------------------------------------------------


def _redirect_uri(request) -> str:
    return request.build_absolute_uri(reverse("review_google_callback"))


@require_POST
@member_required(Role.MANAGER)
def google_connect(request, pk: int):
    source = _source(request, pk)
    if source.kind != SourceKind.GOOGLE or not (source.client_id and source.client_secret):
        messages.error(request, _("Save the OAuth client ID and secret first."))
        return redirect("review_source_edit", pk=source.pk)
    state = signing.dumps(
        {"source": source.pk, "org": request.organisation.pk, "user": request.user.pk},
        salt=OAUTH_SALT,
    )
    return redirect(oauth.authorization_url(source, _redirect_uri(request), state))


@member_required(Role.MANAGER)
def google_callback(request):
    """Google sends the browser back here with ``code`` and our signed ``state``."""
    try:
        state = signing.loads(request.GET.get("state", ""), salt=OAUTH_SALT, max_age=OAUTH_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, _("The connection link expired or was changed; try again."))
        return redirect("review_sources")
    if state.get("org") != request.organisation.pk or state.get("user") != request.user.pk:
        raise Http404
    source = _source(request, state["source"])
    if request.GET.get("error"):
        messages.error(
            request,
            _("Google did not grant access: %(error)s") % {"error": request.GET["error"][:100]},
        )
        return redirect("review_sources")
    try:
        oauth.exchange_code(source, request.GET.get("code", ""), _redirect_uri(request))
    except ConnectorError as error:
        messages.error(request, str(error))
        return redirect("review_sources")
    source.is_active = True
    source.save(update_fields=["is_active"])
    record_audit(request.organisation, request.user, "review_source.connected", source)
    messages.success(request, _("Connected to Google. The first sync starts now."))
    enqueue(sync.sync_source_job, source.pk)
    return redirect("review_sources")


# --- location mappings ----------------------------------------------------------------------


@member_required(Role.MANAGER)
def mapping_add(request, pk: int):
    source = _source(request, pk)
    form = MappingForm(request.POST or None, source=source)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Mapped. New and re-imported reviews use it."))
        return redirect("review_sources")
    return render(
        request, "reviews/mapping_form.html", {"nav": "reviews", "form": form, "source": source}
    )


@require_POST
@member_required(Role.MANAGER)
def mapping_delete(request, pk: int, mapping_pk: int):
    source = _source(request, pk)
    get_object_or_404(LocationMapping, source=source, pk=mapping_pk).delete()
    return redirect("review_sources")


# --- import ---------------------------------------------------------------------------------


@member_required(Role.MANAGER)
def review_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > importer.MAX_BYTES:
            form.add_error("file", _("The file is over 10 MB."))
        else:
            result = importer.import_reviews(request.organisation, upload.read(), upload.name)
            if result.ok:
                record_audit(
                    request.organisation,
                    request.user,
                    "reviews.imported",
                    upload.name,
                    {"created": result.created, "changed": result.changed},
                )
    return render(
        request,
        "reviews/import.html",
        {"nav": "reviews", "form": form, "result": result, "columns": importer.COLUMNS},
    )
