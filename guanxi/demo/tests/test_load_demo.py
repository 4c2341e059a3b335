"""The demo company: ``build_demo`` and the ``load_demo`` command (``guanxi.demo``)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction

from guanxi.accounts.models import Role, Team, User
from guanxi.core.models import AuditEntry, AuditSource
from guanxi.core.text.cleaning import normalize_phone
from guanxi.core.text.keys import stored_name_key
from guanxi.core.text.pinyin import pinyin_keys, search_text
from guanxi.customers import selectors
from guanxi.customers.models import Communication, Contact, Customer, Preference, TimelineEntry
from guanxi.demo.build import build_demo
from guanxi.demo.seeders.accounts import ADMIN_PASSWORD, USER_PASSWORD
from guanxi.demo.words import PRODUCTS
from guanxi.orders.models import Order, OrderLine, Product

TODAY = dt.date(2026, 11, 24)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """The demo's files (``seeders/attachments.py``) go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def loaded():
    return build_demo(customers=60, today=TODAY)


def table_counts() -> dict[str, int]:
    models = [
        Team,
        User,
        Customer,
        Contact,
        Preference,
        Product,
        Order,
        OrderLine,
        Communication,
        TimelineEntry,
        AuditEntry,
    ]
    return {m.__name__: m.objects.count() for m in models}


def test_loads_the_company_staff_and_customers(loaded):
    assert loaded.created
    assert set(Team.objects.values_list("name", "parent__name")) == {
        ("销售部", None),
        ("华东销售部", "销售部"),
        ("华南销售部", "销售部"),
        ("大客户部", "销售部"),
    }
    assert User.objects.get(username="lina").manager.username == "zhangwei"
    assert User.objects.count() == 14  # 12 of seeders/accounts.py, 2 portal logins of portal.py
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.role == Role.ADMIN
    assert admin.check_password(ADMIN_PASSWORD)
    assert User.objects.get(username="lina").check_password(USER_PASSWORD)
    assert set(User.objects.values_list("role", flat=True)) >= {
        Role.ADMIN,
        Role.MANAGER,
        Role.ACCOUNT_MANAGER,
        Role.SERVICE_AGENT,
        Role.PROJECT_MANAGER,
        Role.PORTAL,
    }
    assert Customer.objects.count() == 60
    assert Product.objects.count() == len(PRODUCTS)
    assert loaded.counts["customers"] == 60
    assert 60 <= Contact.objects.count() <= 180
    assert Order.objects.exists() and OrderLine.objects.count() >= Order.objects.count()
    assert Communication.objects.exists() and Preference.objects.exists()


def test_every_customer_has_an_owner_team_and_search_keys(loaded):
    for c in Customer.objects.select_related("owner", "pool_state"):
        pooled = hasattr(c, "pool_state") and c.pool_state.pool_id is not None
        if pooled:  # in the public pool (公海): no owner, no department
            assert c.owner_id is None and c.team_id is None
        else:
            assert c.owner is not None and c.owner.role in (Role.ACCOUNT_MANAGER, Role.MANAGER)
            assert c.team_id == c.owner.team_id
        assert (c.name_pinyin, c.name_initials) == pinyin_keys(c.name)
        assert c.name_key == stored_name_key(c.name)
        assert c.search_text == search_text(c.name, c.email)
        assert c.phone_key == (normalize_phone(c.phone) if c.phone else "")
    for ct in Contact.objects.all():
        assert ct.mobile_key == normalize_phone(ct.mobile)


def test_order_totals_are_the_sum_of_their_lines(loaded):
    for order in Order.objects.prefetch_related("lines"):
        assert order.total == sum(li.amount for li in order.lines.all())
        assert all(li.amount == li.quantity * li.unit_price for li in order.lines.all())


def test_writes_leave_timeline_and_system_audit_entries(loaded):
    n_customers = Customer.objects.count()
    assert TimelineEntry.objects.filter(kind="customer").count() == n_customers
    assert TimelineEntry.objects.filter(kind="order").count() == Order.objects.count()
    assert TimelineEntry.objects.filter(kind="communication").count() == (
        Communication.objects.count()
    )
    audited = AuditEntry.objects.filter(action="create", source=AuditSource.SYSTEM, actor=None)
    assert audited.filter(model="customers.customer").count() == n_customers
    assert audited.filter(model="customers.contact").count() == Contact.objects.count()
    assert audited.filter(model="orders.order").count() == Order.objects.count()
    assert audited.filter(model="customers.communication").count() == (
        Communication.objects.count()
    )
    some = Customer.objects.first()
    entry = audited.get(model="customers.customer", object_id=str(some.pk))
    assert entry.customer_id == some.pk and entry.changes["name"] == [None, some.name]


def test_huawei_is_found_by_name_initials_and_phone(loaded):
    admin = User.objects.get(username="admin")
    for q in ["华为", "hwjs", "huawei", "138-0013-8000", "+86 138 0013 8000"]:
        page = selectors.customer_list(actor=admin, filters=selectors.CustomerFilters(q=q))
        assert "华为技术有限公司" in [c.name for c in page.items], q


def test_has_open_follow_ups_and_preferences(loaded):
    huawei = Customer.objects.get(name="华为技术有限公司")
    assert selectors.open_follow_ups(customer=huawei)
    assert {p.value for p in huawei.preferences.all()} >= {
        "只喝普洱茶",
        "喜欢打高尔夫",
        "上午不接电话",
    }


def test_is_deterministic():
    def build() -> tuple[dict[str, int], list[tuple[str, str, str]]]:
        with transaction.atomic():
            result = build_demo(customers=30, today=TODAY)
            rows = list(
                Customer.objects.order_by("pk").values_list("name", "phone", "owner__username")
            )
            transaction.set_rollback(True)
        return result.counts, rows

    assert build() == build()


def test_rerunning_adds_nothing(loaded):
    before = table_counts()
    again = build_demo(customers=60, today=TODAY)
    assert not again.created
    call_command("load_demo", customers=60, verbosity=0)
    assert table_counts() == before


def test_command_loads_into_an_empty_database(capsys):
    from guanxi.analytics.models import AnalyticsRun, CustomerValue

    call_command("load_demo", customers=20)
    out = capsys.readouterr().out
    assert ADMIN_PASSWORD in out
    assert Customer.objects.count() == 20
    # the values are computed too, so the value columns and the dashboard have content
    run = AnalyticsRun.objects.get()
    assert run.customers == CustomerValue.objects.count() > 0
    assert f"{run.customers:,} 位客户" in out


def test_the_demo_has_files_on_its_records_and_shares_some_with_the_portal_company(capsys):
    from guanxi.attachments.models import Attachment
    from guanxi.attachments.storage import attachment_storage
    from guanxi.portal.models import PortalAccount
    from guanxi.service.models import Ticket

    call_command("load_demo", customers=60)
    files = list(Attachment.objects.order_by("pk"))
    kinds = {a.target_model for a in files}
    assert {"customers.customer", "service.ticket", "contracts.contract"} <= kinds
    storage = attachment_storage()
    for attachment in files:  # stored, a real PDF, and audited as an upload
        with storage.open(attachment.stored_name) as handle:
            assert handle.read(5) == b"%PDF-"
        assert AuditEntry.objects.filter(
            model="attachments.attachment", object_id=str(attachment.pk), action="create"
        ).exists()
    portal_customer = PortalAccount.objects.values_list("customer_id", flat=True).first()
    shared = [a for a in files if a.shared_with_customer]
    assert shared, "the portal's documents page needs a shared file"
    tickets = dict(Ticket.objects.values_list("pk", "customer_id"))
    for attachment in shared:
        if attachment.target_model == "service.ticket":
            assert tickets[int(attachment.target_id)] == portal_customer
    # the portal company has a project, with a deliverable waiting for its acceptance and a
    # project file shared with it: the portal's project and acceptance pages have content
    from guanxi.projects.models import Deliverable, Project

    project = Project.objects.filter(customer_id=portal_customer).first()
    assert project is not None
    assert Deliverable.objects.filter(project=project, status="submitted").exists()
    assert any(a.target_model == "projects.project" and a.target_id == str(project.pk)
               for a in shared)  # fmt: skip
    # a customer's file is on its timeline
    customer_file = next(a for a in files if a.target_model == "customers.customer")
    assert TimelineEntry.objects.filter(
        customer_id=int(customer_file.target_id), kind="attachment"
    ).exists()
    assert f"附件 {len(files)} 个" in capsys.readouterr().out


def test_has_a_department_tree_managers_and_collaborators(loaded):
    from guanxi.accounts import permissions
    from guanxi.customers.models import CustomerCollaborator

    zhangwei = User.objects.get(username="zhangwei")
    assert set(zhangwei.reports.values_list("username", flat=True)) == {
        "lina", "wangfang", "zhoutao"
    }  # fmt: skip
    shares = list(CustomerCollaborator.objects.select_related("user", "customer__owner"))
    assert {(s.customer.owner.username, s.user.username, s.access) for s in shares} == {
        ("zhaolei", "lina", "read"),
        ("huangmin", "wangfang", "write"),
    }
    lina = User.objects.get(username="lina")
    shared = next(s.customer for s in shares if s.user == lina)
    assert permissions.scope_customers(lina, Customer.objects.filter(pk=shared.pk)).exists()
    assert TimelineEntry.objects.filter(kind="collaborator").count() == len(shares)
    assert AuditEntry.objects.filter(model="customers.customercollaborator").count() == len(shares)
