"""Flow definitions are configured here (steps inline, checked against the document type's
condition fields); requests, their history and delegations are shown read-only — the
engine (``approvals.services``) is their only writer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from guanxi.approvals.models import (
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    ApproverKind,
    Delegation,
    Flow,
    FlowStep,
)
from guanxi.approvals.registry import document_type_choices, get_document_type
from guanxi.approvals.resolve import condition_errors
from guanxi.core import audit
from guanxi.core.admin import AuditedAdmin, ReadOnlyAdmin
from guanxi.core.models import AuditSource


class FlowForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Flow
        fields = ("document_type", "name", "description", "active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document_type"] = forms.ChoiceField(
            label=_("单据类型"), choices=document_type_choices()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("active") and data.get("document_type"):
            others = Flow.objects.filter(document_type=data["document_type"], active=True)
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("active", _("该单据类型已有启用的流程，请先停用原流程。"))
        return data


class FlowStepForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = FlowStep
        fields = (
            "position", "name", "approver_kind", "user", "role", "role_in_department", "levels",
            "condition_field", "condition_operator", "condition_value",
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("approver_kind")
        if kind == ApproverKind.USER and not data.get("user"):
            self.add_error("user", _("请选择指定成员。"))
        if kind == ApproverKind.ROLE and not data.get("role"):
            self.add_error("role", _("请选择角色。"))
        levels = data.get("levels") or 1
        if not 1 <= levels <= 10:
            self.add_error("levels", _("层级数须在 1 到 10 之间。"))
        flow = getattr(self, "flow", None)
        document_type = get_document_type(flow.document_type) if flow is not None else None
        for name, message in condition_errors(
            document_type,
            (data.get("condition_field") or "").strip(),
            data.get("condition_operator") or "",
            (data.get("condition_value") or "").strip(),
        ).items():
            self.add_error(name, message)
        return data


class FlowStepFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def _construct_form(self, i: int, **kwargs: Any) -> Any:
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        form.flow = self.instance
        return form

    @property
    def empty_form(self) -> Any:
        form = super().empty_form
        form.flow = self.instance  # type: ignore[attr-defined]
        return form

    def clean(self) -> None:
        super().clean()
        positions = [
            f.cleaned_data.get("position")
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if len(positions) != len(set(positions)):
            raise forms.ValidationError(_("步骤顺序不能重复。"))


class FlowStepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = FlowStep
    form = FlowStepForm
    formset = FlowStepFormSet
    extra = 0
    ordering = ("position",)
    raw_id_fields = ("user",)


@admin.register(Flow)
class FlowAdmin(AuditedAdmin):
    form = FlowForm
    inlines = (FlowStepInline,)
    list_display = ("name", "document_type", "active", "updated_at")
    list_filter = ("document_type", "active")
    readonly_fields = ("version",)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The steps are audited like the flow (old → new per step)."""
        with transaction.atomic(), audit.audit_source(AuditSource.ADMIN):
            instances = formset.save(commit=False)
            for obj in formset.deleted_objects:
                audit.audit_delete(actor=request.user, obj=obj)
                obj.delete()
            for obj in instances:
                if obj.pk is None:
                    obj.save()
                    audit.audit_create(actor=request.user, obj=obj)
                else:
                    before = audit.snapshot(FlowStep.objects.get(pk=obj.pk))
                    obj.save()
                    audit.audit_update(actor=request.user, obj=obj, before=before)
            formset.save_m2m()


class StepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ApprovalStep
    extra = 0
    can_delete = False
    fields = ("round", "position", "name", "state", "acted_by", "on_behalf_of", "comment",
              "acted_at")  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ActionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ApprovalAction
    extra = 0
    can_delete = False
    fields = ("created_at", "round", "kind", "actor", "on_behalf_of", "comment", "state_after")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    list_display = ("title", "document_type", "state", "submitter", "submitted_at", "decided_at")
    list_filter = ("document_type", "state")
    search_fields = ("title",)
    inlines = (StepInline, ActionInline)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ("delegator", "substitute", "document_type", "starts_on", "ends_on",
                    "cancelled_at")  # fmt: skip
    list_filter = ("document_type",)
