"""Back-office screens for importing historical responses into a survey (managers and owners).

    /surveys/<key>/responses/import/                 upload a file; earlier imports, with undo
    /surveys/<key>/responses/import/<token>/         map the columns, check (dry run)
    /surveys/<key>/responses/import/<token>/run/     import the checked file (POST)
    /surveys/<key>/responses/import/<token>/problems.csv   every problem of the last check
    /surveys/<key>/responses/import/batches/<id>/    what an import stored; undo

The domain work is in ``imports`` (check, import, undo) and ``import_staging`` (the uploaded
file between steps). The import runs inside the request: about ten seconds for a million
rows on SQLite; bigger files belong to the ``import_responses`` command.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from palaute.accounts.models import Role
from palaute.accounts.permissions import member_required
from palaute.channels import import_staging, imports
from palaute.channels.import_files import TableError, open_table, sample_values
from palaute.channels.import_forms import MappingForm, SheetForm, UploadForm, too_big_message
from palaute.channels.import_mapping import suggest
from palaute.surveys.models import ImportBatch, Survey
from palaute.surveys.publishing import current_definition


def _survey(request, key) -> Survey:
    return get_object_or_404(
        Survey.objects.select_related("organisation", "touchpoint", "current_version"),
        organisation=request.organisation,
        key=key,
    )


def _staged(request, survey, token) -> import_staging.Staged:
    staged = import_staging.find(token, organisation=request.organisation, survey=survey)
    if staged is None:
        raise Http404("no such upload")
    return staged


def _batches(survey):
    return survey.import_batches.select_related("created_by").order_by("-created_at")


@csrf_exempt  # the CSRF check runs in _upload, after the upload handler is in place
@member_required(Role.MANAGER)
def response_import(request, key):
    survey = _survey(request, key)
    if request.method == "POST":
        handler = import_staging.StagingUploadHandler(request)
        request.upload_handlers = [handler]
        request.POST  # noqa: B018 - reads the body through the handler
        if handler.too_big:  # nothing was stored: an error page needs no CSRF check
            error = too_big_message(handler.limit)
            return _upload_page(request, survey, UploadForm(), status=413, error=error)
        return _upload(request, survey)
    return _upload_page(request, survey, UploadForm())


@csrf_protect
def _upload(request, survey):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, survey, form, status=400)
    upload = form.cleaned_data["file"]
    staged = import_staging.adopt(
        upload.token,
        organisation=request.organisation,
        survey=survey,
        user=request.user,
        filename=upload.name,
        size=upload.size,
    )
    try:
        open_table(staged.path).close()
    except TableError as exc:
        staged.discard()
        form.add_error("file", str(exc))
        return _upload_page(request, survey, form, status=400)
    return redirect("response_import_map", key=survey.key, token=staged.token)


def _upload_page(request, survey, form, status=200, error=""):
    return render(
        request,
        "channels/import_upload.html",
        {
            "nav": "surveys",
            "survey": survey,
            "form": form,
            "upload_error": error,
            "batches": _batches(survey),
            "max_size": import_staging.max_bytes(),
            "published": survey.current_version_id is not None,
        },
        status=status,
    )


@member_required(Role.MANAGER)
def response_import_map(request, key, token):
    survey = _survey(request, key)
    staged = _staged(request, survey, token)
    current = current_definition(survey)
    if current is None:
        messages.error(request, _("This survey has no published version."))
        return redirect("response_import", key=survey.key)
    definition = current[1]
    sheet = request.GET.get("sheet", staged.meta.get("sheet", ""))
    try:
        table, samples = sample_values(staged.path, sheet)
    except TableError as exc:
        messages.error(request, str(exc))
        if sheet:  # back to the first sheet
            staged.meta["sheet"] = ""
            staged.save()
            return redirect(request.path)
        staged.discard()
        return redirect("response_import", key=survey.key)
    if table.sheet != staged.meta.get("sheet") or table.headers != staged.meta.get("headers"):
        staged.meta.update(sheet=table.sheet, headers=table.headers, mapping=None)
        staged.save()
    mapping = staged.meta.get("mapping") or suggest(table.headers, definition)
    form = MappingForm(
        request.POST if request.method == "POST" else None,
        headers=table.headers,
        definition=definition,
        language=translation.get_language() or "fi",
        initial_mapping=mapping,
    )
    report = None
    if request.method == "POST" and form.is_valid():
        staged.meta["mapping"] = form.mapping
        staged.save()
        with staged.problems_path.open("w", newline="", encoding="utf-8") as problems:
            report = imports.dry_run(
                survey, staged.path, form.mapping, sheet=table.sheet, problems_to=problems
            )
    return render(
        request,
        "channels/import_map.html",
        {
            "nav": "surveys",
            "survey": survey,
            "staged": staged,
            "table": table,
            "form": form,
            "rows": list(form.rows(samples)),
            "sheet_form": SheetForm(initial={"sheet": table.sheet}, sheets=table.sheets)
            if len(table.sheets) > 1
            else None,
            "report": report,
        },
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )


@require_POST
@member_required(Role.MANAGER)
def response_import_run(request, key, token):
    survey = _survey(request, key)
    staged = _staged(request, survey, token)
    mapping = staged.meta.get("mapping")
    if not mapping:
        messages.error(request, _("Check the file before importing it."))
        return redirect("response_import_map", key=survey.key, token=staged.token)
    with staged.problems_path.open("w", newline="", encoding="utf-8") as problems:
        report = imports.run_import(
            survey,
            staged.path,
            mapping,
            filename=staged.filename,
            user=request.user,
            sheet=staged.meta.get("sheet", ""),
            problems_to=problems,
        )
    if report.batch is not None:
        staged.discard()
        messages.success(
            request,
            _("Imported %(count)s responses.") % {"count": f"{report.imported:,}"},
        )
        return redirect("import_batch", key=survey.key, batch_id=report.batch.pk)
    if report.ok and not report.good:
        staged.discard()
        messages.info(
            request,
            _("Nothing to import: all %(count)s rows were imported before.")
            % {"count": f"{report.duplicates:,}"},
        )
        return redirect("response_import", key=survey.key)
    messages.error(request, _("Nothing was imported. Fix the problems below and try again."))
    return redirect("response_import_map", key=survey.key, token=staged.token)


@member_required(Role.MANAGER)
def response_import_problems(request, key, token):
    survey = _survey(request, key)
    staged = _staged(request, survey, token)
    if not staged.problems_path.exists():
        raise Http404("no check has been run")
    stem = staged.filename.rsplit(".", 1)[0] or "import"
    return FileResponse(
        staged.problems_path.open("rb"),
        as_attachment=True,
        filename=f"{stem}-problems.csv",
        content_type="text/csv; charset=utf-8",
    )


@member_required(Role.MANAGER)
def import_batch(request, key, batch_id):
    survey = _survey(request, key)
    batch = get_object_or_404(
        ImportBatch.objects.select_related("created_by"),
        pk=batch_id,
        survey=survey,
        organisation=request.organisation,
    )
    return render(
        request,
        "channels/import_batch.html",
        {"nav": "surveys", "survey": survey, "batch": batch},
    )


@member_required(Role.MANAGER)
def import_batch_undo(request, key, batch_id):
    survey = _survey(request, key)
    batch = get_object_or_404(
        ImportBatch, pk=batch_id, survey=survey, organisation=request.organisation
    )
    if request.method == "POST":
        deleted = imports.undo_import(batch, user=request.user)
        messages.success(
            request,
            _("Removed the import %(file)s: %(count)s responses.")
            % {"file": batch.filename, "count": f"{deleted:,}"},
        )
        return redirect("response_import", key=survey.key)
    return render(
        request,
        "channels/import_undo.html",
        {"nav": "surveys", "survey": survey, "batch": batch},
    )
