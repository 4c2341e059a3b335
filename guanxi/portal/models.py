"""Portal accounts, invitations and portal API tokens (issue 16, SPEC G4).

A :class:`PortalAccount` ties one login (``accounts.User`` of role ``portal``) to one
customer company: everything the portal shows is that customer's. An account manager
invites a person by e-mail (:class:`PortalInvitation`); the link carries a random token
of which only the SHA-256 is stored, so a copy of the database opens no invitation. The
account is deactivated with its contact: a contact removed from the customer leaves
``contact`` empty while ``contact_bound`` remembers there was one, and the periodic sweep
(``services.accounts_sweep``) switches such accounts off.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel, VersionedModel


class PortalRole(models.TextChoices):
    VIEWER = "viewer", _("查看者")
    REQUESTER = "requester", _("提单人")
    APPROVER = "approver", _("审批人")


# Who may raise, answer and close tickets: requesters and approvers; viewers only read.
TICKET_ROLES = frozenset({PortalRole.REQUESTER, PortalRole.APPROVER})


class PortalAccount(VersionedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="portal_account",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="portal_accounts",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Set when the account was made for a contact: the sweep ends it once the contact is gone.
    contact_bound = models.BooleanField(default=False)
    role = models.CharField(
        _("门户角色"), max_length=10, choices=PortalRole.choices, default=PortalRole.VIEWER
    )
    active = models.BooleanField(_("启用"), default=True)
    deactivated_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("邀请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("门户账号")
        verbose_name_plural = _("门户账号")
        ordering = ["customer_id", "id"]
        indexes = [models.Index(fields=["customer", "active"], name="portal_account_customer_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(active=True) | Q(deactivated_at__isnull=False),
                name="portal_account_deactivated_at",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def may_raise_tickets(self) -> bool:
        return self.active and self.role in TICKET_ROLES

    @property
    def may_approve(self) -> bool:
        """Approves change requests and accepts deliverables for the company."""
        return self.active and self.role == PortalRole.APPROVER


class PortalInvitation(TimeStampedModel):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="portal_invitations",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.EmailField(_("邮箱"), max_length=254)
    role = models.CharField(
        _("门户角色"), max_length=10, choices=PortalRole.choices, default=PortalRole.VIEWER
    )
    # hex SHA-256 of the link's token; the token itself is only in the mail
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("有效期至"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    account = models.ForeignKey(
        PortalAccount,
        verbose_name=_("门户账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("邀请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("门户邀请")
        verbose_name_plural = _("门户邀请")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="portal_invitation_customer_idx")
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(token_hash=""), name="portal_invitation_token"),
        ]

    def __str__(self) -> str:
        return self.email


class PortalToken(models.Model):
    """A portal API token (``gxp_…``): only its SHA-256 is stored, the token is shown once.
    Separate from the staff ``ApiToken`` so a portal token can never open the staff API."""

    account = models.ForeignKey(
        PortalAccount, verbose_name=_("门户账号"), on_delete=models.CASCADE, related_name="tokens"
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("门户 API 令牌")
        verbose_name_plural = _("门户 API 令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
