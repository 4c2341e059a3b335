"""Forms of the pool pages: the pool's settings, a rule, a member, return and assign."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapFormMixin, optional_text, version_field
from guanxi.sales.models_pool import Pool, PoolRule
from guanxi.sales.pool.services import REASON_LENGTH

POOL_FORM_FIELDS = ("name", "description", "mask_contacts", "daily_claim_limit",
                    "reclaim_after_days", "hold_cap", "cap_counts_won", "active")  # fmt: skip


class PoolForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    version = version_field()

    class Meta:
        model = Pool
        fields = [*POOL_FORM_FIELDS, "teams"]
        widgets = {"teams": forms.SelectMultiple(attrs={"size": 6})}

    def __init__(self, *args: Any, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if new:
            del self.fields["version"]

    def service_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in POOL_FORM_FIELDS}

    def team_ids(self) -> list[int]:
        return [t.pk for t in self.cleaned_data.get("teams") or []]

    def _post_clean(self) -> None:
        # The service validates and saves; the model form only parses.
        pass


class RuleForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = PoolRule
        fields = ["kind", "days", "value_class", "exempt_open_opportunity", "exempt_deal",
                  "remind_days", "active"]  # fmt: skip

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def _post_clean(self) -> None:
        pass


class RuleEditForm(RuleForm):
    """A rule changed in place: the version the editor saw (a stale one is refused)."""

    version = version_field()

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class MemberForm(BootstrapFormMixin, forms.Form):
    user = forms.TypedChoiceField(label=_("用户"), coerce=int)
    is_admin = forms.BooleanField(label=_("管理员"), required=False)

    def __init__(self, *args: Any, users: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(u.pk, str(u)) for u in users]  # type: ignore[attr-defined]


class ReturnForm(BootstrapFormMixin, forms.Form):
    pool = forms.TypedChoiceField(label=_("退回到"), coerce=int)
    reason = optional_text(_("原因"), REASON_LENGTH)

    def __init__(self, *args: Any, pools: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pool"].choices = [(p.pk, p.name) for p in pools]  # type: ignore[attr-defined]


class AssignForm(BootstrapFormMixin, forms.Form):
    user = forms.TypedChoiceField(label=_("分配给"), coerce=int)

    def __init__(self, *args: Any, users: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(u.pk, str(u)) for u in users]  # type: ignore[attr-defined]
