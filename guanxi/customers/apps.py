from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CustomersConfig(AppConfig):
    name = "guanxi.customers"
    label = "customers"
    verbose_name = _("客户")

    def ready(self) -> None:
        from guanxi.accounts import permissions
        from guanxi.core.navigation import register_nav
        from guanxi.customers import timeline  # noqa: F401 - registers the built-in kinds
        from guanxi.customers import webhooks as customer_webhooks

        customer_webhooks.register()
        from guanxi.customers import attachments as customer_attachments

        customer_attachments.register()
        from guanxi.customers import regions as customer_regions

        customer_regions.register()

        register_nav(
            key="customers",
            label=pgettext_lazy("navigation", "客户"),
            url_name="customers:list",
            visible=permissions.is_staff_actor,
            namespaces=["customers"],
            exclude_url_names=["customers:contact_list", "customers:communication_list"],
            order=10,
            landing=True,  # where staff land after login
        )
        # Every staff role reads the contacts and communications of its customers.
        register_nav(
            key="contacts",
            label=pgettext_lazy("navigation", "联系人"),
            url_name="customers:contact_list",
            visible=permissions.is_staff_actor,
            url_names=["customers:contact_list"],
            order=11,
        )
        register_nav(
            key="communications",
            label=pgettext_lazy("navigation", "沟通记录"),
            url_name="customers:communication_list",
            visible=permissions.is_staff_actor,
            url_names=["customers:communication_list"],
            order=12,
        )
        self._register_scope()
        from guanxi.customers import references

        references.register()  # customer and contact names in history rows, scoped
        from guanxi.customers import reminders

        reminders.register()  # follow-up / birthday reminders and "my day" cards
        from guanxi.core.periodic import PeriodicJob, register_periodic
        from guanxi.customers.bin.services import customers_purge_expired

        # The recycle bin's purge rule: customers deleted more than 30 days ago go for good.
        register_periodic(
            PeriodicJob("customers.purge_recycle_bin", 3600.0, customers_purge_expired)
        )

    def _register_scope(self) -> None:
        """Customers shared with collaborators (团队成员) join the actor's scope, and an
        owner's move to another department moves their customers' department too."""
        from guanxi.accounts import hooks, permissions
        from guanxi.customers import services
        from guanxi.customers.models import CustomerCollaborator

        permissions.register_sharing(
            permissions.CUSTOMER_SHARING,
            permissions.Sharing(model=CustomerCollaborator, record_field="customer_id"),
        )
        hooks.on_user_team_changed("customers", services.customers_follow_owner_team)
