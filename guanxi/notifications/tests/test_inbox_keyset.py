"""The inbox pages by keyset on (created_at, id): through the API's ``before=`` cursor and
the page's next/previous links every notification shows exactly once while new ones
arrive, ties on the time included; deep pages cost the same queries as the first; a bad
cursor is a clear error."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.core.db.keyset import Cursor
from guanxi.notifications import selectors
from guanxi.notifications.models import Notification
from guanxi.notifications.tests.conftest import TEST_KIND
from guanxi.notifications.tests.test_views import INBOX_QUERIES  # the first page's

pytestmark = pytest.mark.django_db
API = "/api/v1"
BASE = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
ROW = re.compile(r'id="notification-(\d+)"')


def _notify(user, *, minutes: float, title: str = "通知", read: bool = False) -> Notification:
    at = BASE + dt.timedelta(minutes=minutes)
    return Notification.objects.create(
        recipient=user, kind=TEST_KIND, title=title, created_at=at, read_at=at if read else None
    )


def _arrive(user, n: int) -> None:
    for _ in range(n):
        Notification.objects.create(recipient=user, kind=TEST_KIND, title="新到的")


def _newest_first(user, **filters) -> list[int]:
    qs = Notification.objects.filter(recipient=user, **filters)
    return list(qs.order_by("-created_at", "-id").values_list("id", flat=True))


def _api_walk(client, user, *, limit: int, arrivals: int, query: str = "") -> list[int]:
    seen: list[int] = []
    before = ""
    for _ in range(1000):
        body = client.get(f"{API}/notifications?limit={limit}&before={before}{query}").json()
        seen += [item["id"] for item in body["items"]]
        _arrive(user, arrivals)
        if body["next_before"] is None:
            return seen
        before = body["next_before"]
    raise AssertionError("the walk does not end")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    # Few distinct minutes for many rows: ties on created_at are the rule, not the exception.
    minutes=st.lists(st.integers(min_value=0, max_value=6), min_size=0, max_size=40),
    limit=st.integers(min_value=1, max_value=9),
    arrivals=st.integers(min_value=0, max_value=3),
)
def test_the_api_pages_through_every_notification_once_while_new_ones_arrive(
    client, am_a, test_kind, minutes, limit, arrivals
):
    Notification.objects.all().delete()
    for m in minutes:
        _notify(am_a, minutes=m)
    there = _newest_first(am_a)
    client.force_login(am_a)

    seen = _api_walk(client, am_a, limit=limit, arrivals=arrivals)

    assert seen == there  # each once, none lost, newest first


def test_the_unread_filter_pages_by_keyset_too(client, am_a, test_kind):
    for i in range(30):
        _notify(am_a, minutes=i // 4, read=i % 3 == 0)
    unread = _newest_first(am_a, read_at__isnull=True)
    client.force_login(am_a)

    assert _api_walk(client, am_a, limit=4, arrivals=1, query="&unread=true") == unread


def test_another_users_notifications_never_show(client, am_a, am_b, test_kind):
    mine = [_notify(am_a, minutes=i).pk for i in range(5)]
    for i in range(5):
        _notify(am_b, minutes=i)
    client.force_login(am_a)

    assert sorted(_api_walk(client, am_a, limit=2, arrivals=0)) == sorted(mine)


def test_a_bad_cursor_is_a_422_naming_before(client, am_a, test_kind):
    client.force_login(am_a)
    for bad in ("abc", "1.0", "1." + "9" * 30):
        response = client.get(f"{API}/notifications?before={bad}")
        assert response.status_code == 422, bad
        assert "before" in response.content.decode(), bad


def _page_ids(html: str) -> list[int]:
    return [int(pk) for pk in ROW.findall(html)]


def _link(html: str, element_id: str) -> str | None:
    found = re.search(rf'href="([^"]*)" id="{element_id}"', html)
    return found.group(1).replace("&amp;", "&") if found and found.group(1) != "#" else None


def test_the_page_links_walk_forward_and_back_while_new_ones_arrive(client, am_a, test_kind):
    for i in range(60):
        _notify(am_a, minutes=i // 3)  # three to a minute
    there = _newest_first(am_a)
    client.force_login(am_a)
    url = reverse("notifications:inbox")

    pages, seen = [], []
    next_url: str | None = url
    while next_url:
        html = client.get(url + next_url if next_url.startswith("?") else next_url).content.decode()
        pages.append(_page_ids(html))
        seen += pages[-1]
        _arrive(am_a, 2)
        next_url = _link(html, "inbox-next")
    assert seen == there
    assert [len(p) for p in pages] == [25, 25, 10]

    # Back from the last page: the page before it, as it was.
    html = client.get(
        url + f"?before={Cursor.of(Notification.objects.get(pk=pages[1][-1]), 'created_at')}"
    ).content.decode()
    assert _page_ids(html) == pages[2]
    previous = _link(html, "inbox-previous")
    assert previous is not None
    assert _page_ids(client.get(url + previous).content.decode()) == pages[1]


def test_a_deep_page_costs_the_queries_of_the_first(
    client, am_a, test_kind, django_assert_num_queries
):
    for i in range(300):
        _notify(am_a, minutes=i)
    deep = Notification.objects.filter(recipient=am_a).order_by("-created_at", "-id")[250]
    client.force_login(am_a)

    with django_assert_num_queries(INBOX_QUERIES):
        response = client.get(
            reverse("notifications:inbox") + f"?before={Cursor.of(deep, 'created_at')}"
        )

    assert response.status_code == 200
    assert len(_page_ids(response.content.decode())) == 25
    assert 'id="inbox-previous"' in response.content.decode()


def test_a_bad_cursor_on_the_page_says_so_and_shows_the_newest(client, am_a, test_kind):
    for i in range(3):
        _notify(am_a, minutes=i)
    client.force_login(am_a)

    response = client.get(reverse("notifications:inbox") + "?before=oops", follow=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert "分页位置（before）无效" in html
    assert _page_ids(html) == _newest_first(am_a)


def test_previous_from_near_the_top_gives_the_full_newest_page(am_a, test_kind):
    rows = [_notify(am_a, minutes=i) for i in range(30)]
    newest = _newest_first(am_a)

    page = selectors.inbox_page(
        actor=am_a, size=10, after=Cursor.of(rows[-3], "created_at")
    )  # two rows are newer

    assert [n.pk for n in page.items] == newest[:10]
    assert page.newer is None and page.older is not None


def test_the_newest_page_alone_needs_no_count_query(am_a, test_kind, django_assert_num_queries):
    for i in range(3):
        _notify(am_a, minutes=i)
    now = timezone.now()
    assert now  # the rows are in the past: nothing newer arrives in between

    with django_assert_num_queries(1):
        page = selectors.inbox_page(actor=am_a, size=10)

    assert (page.count, page.count_capped, page.has_next, page.has_previous) == (
        3,
        False,
        False,
        False,
    )
