"""The attachments panel's actions (upload, delete) and the download, for any registered
record type. The panel itself is placed by the owning app (the customer 360 page)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from guanxi.accounts.decorators import staff_required
from guanxi.attachments import registry, selectors, services
from guanxi.attachments.forms import AttachmentForm
from guanxi.attachments.panels import PANEL, panel_context
from guanxi.attachments.responses import file_response
from guanxi.core.errors import ValidationFailed
from guanxi.core.forms import add_domain_errors


def _panel(request: HttpRequest, kind: str, record_id: int, form: AttachmentForm | None = None,
           *, saved: bool = False, error: str = "") -> HttpResponse:  # fmt: skip
    attachable = registry.attachable(kind)
    record = attachable.get_for_read(request.user, record_id)
    context = panel_context(
        actor=request.user, kind=kind, record=record, can_change=True, form=form
    )
    context["saved"] = saved
    context["attachment_error"] = error
    response = render(request, f"{PANEL}#attachment-list", context)
    if saved:
        # The owner's record page may show the change elsewhere (the customer timeline).
        trigger_client_event(response, "gx:timeline")
        trigger_client_event(response, "gx:history")
    return response


@require_POST
@staff_required
def attachment_upload(request: HttpRequest, kind: str, record_id: int) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.attachment_add(
                actor=request.user,
                kind=kind,
                record_id=record_id,
                stream=upload,
                name=upload.name or "",
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            return _panel(request, kind, record_id, saved=True)
    response = _panel(request, kind, record_id, form)
    response.status_code = 422
    return response


@require_POST
@staff_required
def attachment_delete(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = selectors.attachment_get(actor=request.user, attachment_id=attachment_id)
    attachable = registry.attachable_for_label(attachment.target_model)
    assert attachable is not None  # attachment_get answers 404 for an unregistered type
    services.attachment_delete(actor=request.user, attachment_id=attachment_id)
    return _panel(request, attachable.kind, int(attachment.target_id), saved=True)


@require_GET
@staff_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = selectors.attachment_get(actor=request.user, attachment_id=attachment_id)
    services.attachment_download_log(
        actor=request.user, attachment=attachment, ip=request.META.get("REMOTE_ADDR")
    )
    return file_response(attachment)


@require_POST
@staff_required
def attachment_share(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """The share toggle: ``shared_with_customer=1`` shows the file to the record's customer
    in the portal, ``0`` stops it."""
    attachment = selectors.attachment_get(actor=request.user, attachment_id=attachment_id)
    attachable = registry.attachable_for_label(attachment.target_model)
    assert attachable is not None  # attachment_get answers 404 for an unregistered type
    value = request.POST.get("shared_with_customer", "")
    try:
        if value not in ("0", "1"):
            raise ValidationFailed({"shared_with_customer": _("请选择是否与客户共享。")})
        services.attachment_share(
            actor=request.user, attachment_id=attachment_id, shared=value == "1"
        )
    except ValidationFailed as exc:
        response = _panel(request, attachable.kind, int(attachment.target_id), error=exc.message)
        response.status_code = 422
        return response
    return _panel(request, attachable.kind, int(attachment.target_id), saved=True)
