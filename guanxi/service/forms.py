"""Forms of the service pages: a new ticket, a reply or note, a transition, edit/assign."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapFormMixin, version_field
from guanxi.core.limits import limit
from guanxi.service.models import (
    CompensationKind,
    FollowUpOutcome,
    Mailbox,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketPriority,
    TicketStatus,
)


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


class TicketForm(BootstrapFormMixin, forms.Form):
    subject = forms.CharField(label=_("主题"), max_length=limit(Ticket, "subject"))
    customer = forms.IntegerField(
        label=_("客户编号"), min_value=1, max_value=2**63 - 1, required=False
    )
    channel = forms.ChoiceField(label=_("渠道"), choices=TicketChannel.choices)
    category = forms.ChoiceField(label=_("类别"), choices=TicketCategory.choices)
    priority = forms.ChoiceField(
        label=_("优先级"), choices=TicketPriority.choices, initial=TicketPriority.NORMAL
    )
    assignee = forms.TypedChoiceField(
        label=_("处理人"), coerce=int, required=False, empty_value=None
    )
    body = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 5}),
                           max_length=100_000, required=False)  # fmt: skip

    def __init__(self, *args: Any, agents: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = _blank([(u.pk, str(u)) for u in agents])  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("subject", "channel", "category", "priority")}


class ReplyForm(BootstrapFormMixin, forms.Form):
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 4}),
                           max_length=100_000)  # fmt: skip
    internal = forms.BooleanField(label=_("内部备注（客户看不到）"), required=False)
    status = forms.ChoiceField(
        label=_("同时将状态改为"), required=False,
        choices=_blank([(s, label) for s, label in TicketStatus.choices
                        if s in ("waiting", "resolved")]),
    )  # fmt: skip


class TransitionForm(forms.Form):
    version = version_field()
    status = forms.ChoiceField(choices=TicketStatus.choices)


class TicketEditForm(BootstrapFormMixin, forms.Form):
    version = version_field()
    priority = forms.ChoiceField(label=_("优先级"), choices=TicketPriority.choices)
    category = forms.ChoiceField(label=_("类别"), choices=TicketCategory.choices)
    assignee = forms.TypedChoiceField(
        label=_("处理人"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, agents: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = _blank([(u.pk, str(u)) for u in agents])  # type: ignore[attr-defined]


# --- satisfaction (C3) and follow-up visits (C4) --------------------------------------------


class SurveyAnswerForm(BootstrapFormMixin, forms.Form):
    """The customer's answer on the survey page; the range is the survey's (1–5 or 0–10)."""

    score = forms.TypedChoiceField(label=_("评分"), coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("意见或建议（选填）"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip

    def __init__(self, *args: Any, low: int, high: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].choices = [(str(n), str(n)) for n in range(low, high + 1)]  # type: ignore[attr-defined]


class FollowUpRecordForm(BootstrapFormMixin, forms.Form):
    version = version_field()
    outcome = forms.ChoiceField(label=_("回访结果"), choices=_blank(FollowUpOutcome.choices))
    note = forms.CharField(
        label=_("回访记录"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class NpsCampaignForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    value_class = forms.ChoiceField(label=_("客户价值类别"), required=False)
    owner = forms.TypedChoiceField(label=_("客户经理"), coerce=int, required=False,
                                   empty_value=None)  # fmt: skip
    tag = forms.TypedChoiceField(label=_("标签"), coerce=int, required=False, empty_value=None)

    def __init__(
        self, *args: Any, value_classes: Any, owners: Any, tags: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value_class"].choices = _blank(value_classes)  # type: ignore[attr-defined]
        self.fields["owner"].choices = _blank([(u.pk, str(u)) for u in owners])  # type: ignore[attr-defined]
        self.fields["tag"].choices = _blank([(t.pk, t.name) for t in tags])  # type: ignore[attr-defined]


# --- complaints and the desk ---------------------------------------------------------------


class ComplaintForm(BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False,
                                 widget=forms.HiddenInput)  # fmt: skip
    root_cause = forms.TypedChoiceField(label=_("根因"), coerce=int, required=False,
                                        empty_value=None)  # fmt: skip
    resolution = forms.CharField(label=_("处理结果"), widget=forms.Textarea(attrs={"rows": 3}),
                                 max_length=5000, required=False)  # fmt: skip
    compensation_amount = forms.DecimalField(
        label=_("补偿金额"), min_value=0, max_digits=12, decimal_places=2, required=False
    )
    compensation_kind = forms.ChoiceField(label=_("补偿方式"), required=False,
                                          choices=_blank(CompensationKind.choices))  # fmt: skip
    department = forms.TypedChoiceField(label=_("责任部门"), coerce=int, required=False,
                                        empty_value=None)  # fmt: skip
    product = forms.TypedChoiceField(label=_("涉及产品"), coerce=int, required=False,
                                     empty_value=None)  # fmt: skip

    def __init__(
        self, *args: Any, causes: Any = (), teams: Any = (), products: Any = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].choices = _blank(  # type: ignore[attr-defined]
            [(c.node.pk, c.path) for c in causes]
        )
        self.fields["department"].choices = _blank([(t.pk, str(t)) for t in teams])  # type: ignore[attr-defined]
        self.fields["product"].choices = _blank([(p.pk, str(p)) for p in products])  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"root_cause_id": d["root_cause"], "resolution": d["resolution"],
                "compensation_amount": d["compensation_amount"] or 0,
                "compensation_kind": d["compensation_kind"], "department_id": d["department"],
                "product_id": d["product"]}  # fmt: skip


class MergeForm(BootstrapFormMixin, forms.Form):
    target = forms.IntegerField(label=_("合并到工单编号"), min_value=1, max_value=2**63 - 1)
    confirm_other_customer = forms.BooleanField(label=_("确认合并不同客户的工单"), required=False)


class TriageForm(BootstrapFormMixin, forms.Form):
    """Link an unknown sender's ticket to a customer (``services.triage``)."""

    version = version_field()
    customer = forms.IntegerField(label=_("客户编号"), min_value=1, max_value=2**63 - 1)
    contact = forms.IntegerField(
        label=_("联系人编号"), min_value=1, max_value=2**63 - 1, required=False
    )
    create_contact = forms.BooleanField(label=_("用发件人新建联系人"), required=False)


class SpamForm(forms.Form):
    version = version_field()


class CannedReplyForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("标题"), max_length=100)
    body = forms.CharField(
        label=_("内容"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "可用字段：{{customer}} 客户，{{contact}} 联系人，{{ticket}} 工单，{{agent}} 客服。"
        ),
    )  # fmt: skip
    shared = forms.BooleanField(label=_("共享给全部客服"), required=False)


class SavedViewForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("视图名称"), max_length=60)
    is_default = forms.BooleanField(label=_("设为默认"), required=False)


class RootCauseForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    parent = forms.TypedChoiceField(label=_("上级根因"), coerce=int, required=False,
                                    empty_value=None)  # fmt: skip
    order = forms.IntegerField(label=_("顺序"), min_value=0, max_value=32767, initial=0)

    def __init__(self, *args: Any, causes: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = _blank([(c.node.pk, c.path) for c in causes])  # type: ignore[attr-defined]


class MailboxForm(BootstrapFormMixin, forms.Form):
    """A company mailbox polled by IMAP (``services.mailboxes``; admins)."""

    name = forms.CharField(label=_("名称"), max_length=limit(Mailbox, "name"))
    host = forms.CharField(label=_("IMAP 服务器"), max_length=limit(Mailbox, "host"))
    port = forms.IntegerField(label=_("端口"), min_value=1, max_value=65535, initial=993)
    use_ssl = forms.BooleanField(label=_("使用 SSL"), required=False, initial=True)
    username = forms.CharField(label=_("用户名"), max_length=limit(Mailbox, "username"))
    password_env = forms.CharField(
        label=_("密码所在的环境变量"), max_length=limit(Mailbox, "password_env"),
        help_text=_("密码不存入数据库：填写保存密码的环境变量名，例如 GUANXI_MAILBOX_PASSWORD。"),
    )  # fmt: skip
    folder = forms.CharField(label=_("文件夹"), max_length=limit(Mailbox, "folder"),
                             initial="INBOX")  # fmt: skip
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    default_team_id = forms.TypedChoiceField(
        label=_("默认部门（队列）"), coerce=int, required=False, empty_value=None,
        help_text=_("从这个邮箱新建的工单进入这个部门的队列。"),
    )  # fmt: skip
    default_priority = forms.ChoiceField(label=_("默认优先级"), required=False,
                                         choices=_blank(TicketPriority.choices))  # fmt: skip
    default_category = forms.ChoiceField(label=_("默认类别"), required=False,
                                         choices=_blank(TicketCategory.choices))  # fmt: skip

    def __init__(self, *args: Any, teams: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_team_id"].choices = _blank([(t.pk, str(t)) for t in teams])  # type: ignore[attr-defined]
