"""My day, the inbox, the bell and the preferences page: content, scope, query counts,
translations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.tests.factories import CommunicationFactory, CustomerFactory
from guanxi.notifications import services
from guanxi.notifications.models import Notification, Preference
from guanxi.notifications.tests.conftest import TEST_KIND

pytestmark = pytest.mark.django_db

# session + user = 2 on every page
MY_DAY_QUERIES = 7  # + shared customers (scope), my follow-ups, their count, unread count,
#   latest unread
INBOX_QUERIES = 5  # + page, capped count, unread count
BELL_QUERIES = 3  # + unread count


def _follow_ups(owner, n, day):
    for i in range(n):
        customer = CustomerFactory(owner=owner, name=f"跟进客户{i:03d}")
        CommunicationFactory(customer=customer, next_follow_up=day, summary=f"回访{i}")


def test_root_is_my_day_and_the_customer_list_stays_at_customers(client, am_a):
    client.force_login(am_a)
    response = client.get("/")
    assert response.status_code == 200
    assert response.templates[0].name == "notifications/my_day.html"
    assert client.get("/customers/").status_code == 200


def test_anonymous_goes_to_login_and_portal_users_get_403(client, portal_user):
    assert client.get("/").status_code == 302
    client.force_login(portal_user)
    # The site root sends a portal user to the portal; the staff pages stay 403.
    root = client.get("/")
    assert root.status_code == 302 and root["Location"] == "/portal/"
    assert client.get(reverse("notifications:inbox")).status_code == 403


def test_my_day_shows_my_due_and_overdue_follow_ups_with_counts(client, am_a, am_b):
    today = timezone.localdate()
    _follow_ups(am_a, 2, today)
    _follow_ups(am_a, 1, today - dt.timedelta(days=3))
    _follow_ups(am_a, 1, today + dt.timedelta(days=1))  # not yet
    _follow_ups(am_b, 1, today)  # someone else's
    client.force_login(am_a)
    page = client.get("/").content.decode()
    assert 'id="count-follow_ups">3<' in page
    assert page.count("跟进客户") == 3
    assert "逾期" in page
    assert "team_overdue" not in page  # an account manager has no team card


def test_a_manager_also_sees_the_teams_overdue_follow_ups(client, manager_a, am_a):
    today = timezone.localdate()
    _follow_ups(am_a, 2, today - dt.timedelta(days=2))
    client.force_login(manager_a)
    page = client.get("/").content.decode()
    assert 'id="count-team_overdue">2<' in page
    assert 'id="count-follow_ups">0<' in page


@pytest.fixture
def only_follow_up_sections(monkeypatch):
    """My day with the customers app's cards only (other apps pin their own sections)."""
    from guanxi.notifications import registry

    kept = {k: v for k, v in registry._SECTIONS.items() if k in ("follow_ups", "team_overdue")}
    monkeypatch.setattr(registry, "_SECTIONS", kept)


@pytest.mark.parametrize("n", [3, 30])
def test_my_day_query_count_is_pinned(
    client, am_a, test_kind, n, only_follow_up_sections, django_assert_num_queries
):
    _follow_ups(am_a, n, timezone.localdate())
    for i in range(n):
        services.notify(recipients=[am_a], kind=TEST_KIND, title=f"通知{i}")
    client.force_login(am_a)
    with django_assert_num_queries(MY_DAY_QUERIES):
        assert client.get("/").status_code == 200


def test_my_day_with_every_apps_sections_does_not_grow(client, am_a, test_kind):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(am_a)
    counts = []
    for n in (3, 30):
        _follow_ups(am_a, n, timezone.localdate())
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("n", [30, 120])
def test_inbox_query_count_does_not_grow(client, am_a, test_kind, n, django_assert_num_queries):
    for i in range(n):
        services.notify(recipients=[am_a], kind=TEST_KIND, title=f"通知{i}")
    client.force_login(am_a)
    with django_assert_num_queries(INBOX_QUERIES):
        response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    assert response.content.decode().count('id="notification-') == 25


def test_bell_counts_unread_up_to_99_plus(client, am_a, test_kind, django_assert_num_queries):
    client.force_login(am_a)
    assert 'id="gx-unread"' not in client.get(reverse("notifications:bell")).content.decode()
    services.notify(recipients=[am_a], kind=TEST_KIND, title="一")
    body = client.get(reverse("notifications:bell")).content.decode()
    assert 'id="gx-unread">1<' in body
    Notification.objects.bulk_create(
        [Notification(recipient=am_a, kind=TEST_KIND, title=f"n{i}") for i in range(120)]
    )
    with django_assert_num_queries(BELL_QUERIES):
        body = client.get(reverse("notifications:bell")).content.decode()
    assert 'id="gx-unread">99+<' in body


def test_base_page_loads_the_bell_for_staff_only(client, am_a, portal_user):
    client.force_login(am_a)
    assert 'id="gx-bell"' in client.get("/customers/").content.decode()


def test_inbox_lists_only_mine_newest_first_and_filters_unread(client, am_a, am_b, test_kind):
    services.notify(recipients=[am_a], kind=TEST_KIND, title="旧的")
    services.notify(recipients=[am_a], kind=TEST_KIND, title="新的")
    services.notify(recipients=[am_b], kind=TEST_KIND, title="别人的")
    old = Notification.objects.get(title="旧的")
    services.notification_mark_read(actor=am_a, notification_id=old.pk)
    client.force_login(am_a)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert page.index("新的") < page.index("旧的")
    assert "别人的" not in page
    unread = client.get(reverse("notifications:inbox"), {"unread": "1"}).content.decode()
    assert "新的" in unread and "旧的" not in unread


def test_mark_read_by_htmx_returns_the_row_and_tells_the_bell(client, am_a, am_b, test_kind):
    services.notify(recipients=[am_a], kind=TEST_KIND, title="读我")
    row = Notification.objects.get()
    client.force_login(am_b)
    assert client.post(reverse("notifications:mark_read", args=[row.pk])).status_code == 404
    client.force_login(am_a)
    response = client.post(
        reverse("notifications:mark_read", args=[row.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "gx:unread" or "gx:unread" in response["HX-Trigger"]
    assert f'id="notification-{row.pk}"' in response.content.decode()
    row.refresh_from_db()
    assert row.read_at is not None


def test_open_marks_read_and_follows_the_link_but_never_off_site(client, am_a, test_kind):
    services.notify(recipients=[am_a], kind=TEST_KIND, title="a", url="/customers/")
    services.notify(recipients=[am_a], kind=TEST_KIND, title="b", url="https://evil.example/")
    a, b = Notification.objects.order_by("id")
    client.force_login(am_a)
    assert client.get(reverse("notifications:open", args=[a.pk])).url == "/customers/"
    assert client.get(reverse("notifications:open", args=[b.pk])).url == reverse(
        "notifications:inbox"
    )
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_mark_all_read(client, am_a, test_kind):
    for i in range(3):
        services.notify(recipients=[am_a], kind=TEST_KIND, title=f"{i}")
    client.force_login(am_a)
    response = client.post(reverse("notifications:mark_all_read"), follow=True)
    assert "已将 3 条通知标为已读。" in response.content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_preferences_page_saves_the_choices(client, am_a, test_kind):
    client.force_login(am_a)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert f'name="{TEST_KIND}:email"' in page and 'name="followup_due:inapp"' in page
    # every box as it is shown, but e-mail of the test kind off
    from guanxi.notifications import selectors

    data = {
        f"{row.kind}:{channel}": "on"
        for row in selectors.preferences(actor=am_a)
        for channel, enabled in row.channels.items()
        if enabled and channel not in row.locked
    }
    del data[f"{TEST_KIND}:email"]
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert list(Preference.objects.values_list("kind", "channel", "enabled")) == [
        (TEST_KIND, "email", False)
    ]


def test_pages_in_english(client, am_a, test_kind):
    am_a.language = "en"
    am_a.save()
    client.force_login(am_a)
    client.cookies["django_language"] = "en"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My day" in page and "My follow-ups: due today and overdue" in page
    inbox = client.get(reverse("notifications:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mark all read" in inbox
