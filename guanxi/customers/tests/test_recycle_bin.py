"""Soft delete with a recycle bin (回收站, issue 10 item 23): a deleted customer vanishes from
lists, search, the API, exports and the 360 page, can be restored for 30 days (audited, on
the timeline) by whoever may change it, and is then removed by the scheduled purge rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanxi.core.calendar import add_working_days
from guanxi.core.errors import NotFound, PermissionDenied
from guanxi.core.models import AuditEntry
from guanxi.core.periodic import periodic_jobs
from guanxi.customers import selectors, services
from guanxi.customers.bin import services as bin_services
from guanxi.customers.models import (
    RECYCLE_BIN_DAYS,
    Communication,
    Contact,
    Customer,
    TimelineEntry,
)
from guanxi.customers.selectors import CustomerFilters
from guanxi.customers.tests.test_api_support import Api
from guanxi.notifications.reminders import reminders_run

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def customer(am_a):
    customer = services.customer_create(
        actor=am_a, data={"name": "华为技术有限公司", "phone": "13800138000"}
    )
    services.contact_create(
        actor=am_a, customer_id=customer.pk, data={"name": "张伟", "email": "zw@huawei.com"}
    )
    return customer


def _delete(actor, customer) -> Customer:
    customer.refresh_from_db()
    services.customer_delete(actor=actor, customer_id=customer.pk, version=customer.version)
    return Customer.all_objects.get(pk=customer.pk)


def _age(customer: Customer, days: float) -> None:
    Customer.all_objects.filter(pk=customer.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=days)
    )


# --- vanishing ------------------------------------------------------------------------------


def test_a_deleted_customer_vanishes_from_lists_search_api_and_360(am_a, customer):
    _delete(am_a, customer)
    client = _client(am_a)

    listing = client.get(reverse("customers:list")).content.decode()
    assert "华为技术有限公司" not in listing
    search = selectors.customer_list(actor=am_a, filters=CustomerFilters(q="华为"))
    assert (
        search.items == []
        and selectors.customer_list(actor=am_a, filters=CustomerFilters(q="13800138000")).items
        == []
    )
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    assert Api(am_a).get(f"/customers/{customer.pk}").status_code == 404
    assert Api(am_a).get("/customers").json()["items"] == []
    contact = Contact.objects.get(customer_id=customer.pk)
    assert Api(am_a).get(f"/contacts/{contact.pk}").status_code == 404
    assert list(selectors.scoped_contacts(actor=am_a)) == []


def test_a_deleted_customer_is_left_out_of_exports(am_a, customer):
    """The customer and contact exports read these two selectors."""
    _delete(am_a, customer)
    assert list(selectors.customer_queryset(actor=am_a, filters=CustomerFilters())) == []
    assert list(selectors.scoped_contacts(actor=am_a)) == []


def test_delete_keeps_the_records_audits_and_puts_it_on_the_timeline(am_a, customer):
    deleted = _delete(am_a, customer)

    assert deleted.deleted_at is not None and deleted.deleted_by == am_a
    assert Contact.objects.filter(customer_id=customer.pk).count() == 1
    entry = AuditEntry.objects.filter(object_id=str(customer.pk), action="update").get()
    assert entry.changes["deleted_at"][0] is None and entry.changes["deleted_by_id"] == [
        None,
        am_a.pk,
    ]
    assert TimelineEntry.objects.filter(customer_id=customer.pk, kind="bin").count() == 1


def test_delete_confirmation_no_longer_says_it_cannot_be_undone(am_a, customer):
    html = _client(am_a).get(customer.get_absolute_url()).content.decode()
    assert "无法恢复" not in html
    assert f"会移入回收站，{RECYCLE_BIN_DAYS} 天内可以恢复" in html


def test_follow_ups_of_a_deleted_customer_are_not_reminded(am_a, customer):
    services.communication_create(
        actor=am_a,
        customer_id=customer.pk,
        data={"channel": "phone", "summary": "回访", "next_follow_up": timezone.localdate()},
    )
    _delete(am_a, customer)
    assert selectors.due_follow_ups(actor=am_a, until=timezone.localdate()) == []
    assert list(selectors.scoped_communications(actor=am_a)) == []
    assert Communication.objects.filter(customer_id=customer.pk).count() == 1


# --- the bin page and restore -----------------------------------------------------------------


def test_bin_lists_deleted_customers_in_scope_only(am_a, am_b, customer):
    theirs = services.customer_create(actor=am_b, data={"name": "中兴通讯"})
    _delete(am_a, customer)
    _delete(am_b, theirs)

    html = _client(am_a).get(reverse("customers:bin")).content.decode()

    assert "华为技术有限公司" in html and "中兴通讯" not in html
    assert reverse("customers:restore", args=[customer.pk]) in html
    assert reverse("customers:purge", args=[customer.pk]) not in html  # admins only
    assert [c.pk for c in selectors.recycle_bin(actor=am_b)] == [theirs.pk]


def test_bin_page_in_english(am_a, customer):
    _delete(am_a, customer)
    html = _client(am_a).get(reverse("customers:bin"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Recycle bin" in html and "Restore" in html and "回收站" not in html


def test_restore_brings_it_back_audited_and_on_the_timeline(am_a, customer):
    deleted = _delete(am_a, customer)
    client = _client(am_a)

    response = client.post(
        reverse("customers:restore", args=[customer.pk]), {"version": deleted.version}
    )

    assert response.status_code == 302 and response["Location"] == customer.get_absolute_url()
    restored = Customer.objects.get(pk=customer.pk)
    assert restored.deleted_at is None and restored.deleted_by is None
    assert restored.contacts.count() == 1
    entry = AuditEntry.objects.filter(object_id=str(customer.pk), action="update").latest("id")
    assert entry.changes["deleted_at"][1] is None
    titles = [e.display_title for e in TimelineEntry.objects.filter(customer=restored, kind="bin")]
    assert "从回收站恢复" in titles
    page = client.get(customer.get_absolute_url(), follow=True).content.decode()
    assert "已恢复" in page


def test_restore_with_a_stale_version_is_refused(am_a, customer):
    deleted = _delete(am_a, customer)
    response = _client(am_a).post(
        reverse("customers:restore", args=[customer.pk]), {"version": deleted.version - 1}
    )
    assert response.status_code == 302 and response["Location"] == reverse("customers:bin")
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_who_may_not_change_it_may_not_restore_it(am_a, am_b, agent, customer):
    deleted = _delete(am_a, customer)
    with pytest.raises(NotFound):  # out of scope: as if it were not there
        bin_services.customer_restore(actor=am_b, customer_id=customer.pk, version=deleted.version)
    with pytest.raises((NotFound, PermissionDenied)):
        bin_services.customer_restore(actor=agent, customer_id=customer.pk, version=deleted.version)
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_restore_of_a_customer_not_in_the_bin_is_not_found(am_a, customer):
    with pytest.raises(NotFound):
        bin_services.customer_restore(actor=am_a, customer_id=customer.pk, version=1)


# --- purge ------------------------------------------------------------------------------------


def test_purge_rule_removes_customers_deleted_more_than_30_days_ago(am_a, customer):
    kept = services.customer_create(actor=am_a, data={"name": "中兴通讯"})
    _delete(am_a, customer)
    _delete(am_a, kept)
    _age(customer, RECYCLE_BIN_DAYS + 0.01)
    _age(kept, RECYCLE_BIN_DAYS - 0.01)

    assert bin_services.customers_purge_expired() == 1

    assert not Customer.all_objects.filter(pk=customer.pk).exists()
    assert not Contact.objects.filter(customer_id=customer.pk).exists()
    assert Customer.all_objects.filter(pk=kept.pk).exists()
    purge = AuditEntry.objects.filter(
        object_id=str(customer.pk), model="customers.customer", action="delete"
    ).latest("id")
    assert purge.actor is None and purge.actor_label == "system"
    assert AuditEntry.objects.filter(model="customers.contact", action="delete").count() == 1


def test_purge_rule_is_registered_with_the_worker_loop():
    jobs = {job.key: job for job in periodic_jobs()}
    assert jobs["customers.purge_recycle_bin"].run is bin_services.customers_purge_expired


def test_live_customers_are_never_purged(am_a, customer):
    Customer.objects.filter(pk=customer.pk).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    assert bin_services.customers_purge_expired() == 0
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_only_an_admin_purges_before_the_time(am_a, admin_user, customer):
    _delete(am_a, customer)
    response = _client(am_a).post(reverse("customers:purge", args=[customer.pk]))
    assert response.status_code == 403
    assert Customer.all_objects.filter(pk=customer.pk).exists()

    response = _client(admin_user).post(reverse("customers:purge", args=[customer.pk]))
    assert response.status_code == 302
    assert not Customer.all_objects.filter(pk=customer.pk).exists()


def test_follow_up_reminders_skip_customers_in_the_bin(am_a, customer):
    day = add_working_days(timezone.localdate(), 1)
    live = services.customer_create(actor=am_a, data={"name": "中兴通讯"})
    for target in (customer, live):
        services.communication_create(
            actor=am_a,
            customer_id=target.pk,
            data={"channel": "phone", "summary": "回访", "next_follow_up": day},
        )
    _delete(am_a, customer)

    (result,) = reminders_run(today=day, only=["followups"], force=True)

    assert (result.due, result.created) == (1, 1)  # the live customer's only
