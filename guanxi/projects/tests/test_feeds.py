"""Calendar feeds: RFC 5545 text (CRLF, folding, escaping, UID, DTSTAMP), hashed revocable
tokens, what a feed lists (scoped by its owner, now), the pages and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import SecurityEvent
from guanxi.projects import feeds, ical
from guanxi.projects.models import CalendarFeed
from guanxi.projects.tests.factories import MemberFactory, ProjectFactory, TaskFactory

# --- ical ------------------------------------------------------------------------------------


def test_escape_text():
    assert ical.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_fold_keeps_lines_within_75_octets_and_utf8_whole():
    line = "SUMMARY:" + "项目里程碑验收" * 20
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_calendar_is_valid_rfc5545_text():
    now = dt.datetime(2027, 3, 1, 2, 3, 4, tzinfo=dt.UTC)
    text = ical.calendar(
        name="我的日程",
        events=[
            ical.Event(
                uid="task-1@guanxi",
                summary="设计, 评审; 完成",
                start=dt.date(2027, 3, 5),
                finish=dt.date(2027, 3, 8),
            )
        ],
        now=now,
    )
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "UID:task-1@guanxi\r\n" in text
    assert "DTSTAMP:20270301T020304Z\r\n" in text
    assert "DTSTART;VALUE=DATE:20270305\r\n" in text
    assert "DTEND;VALUE=DATE:20270309\r\n" in text  # exclusive end
    assert "SUMMARY:设计\\, 评审\\; 完成\r\n" in text


# --- services --------------------------------------------------------------------------------


@pytest.fixture
def member(team_a):
    return UserFactory(username="member_a", role=Role.PROJECT_MEMBER, team=team_a)


@pytest.fixture
def project(member):
    project = ProjectFactory(name="ERP 上线")
    MemberFactory(project=project, user=member)
    return project


def _events(text: str) -> list[str]:
    return re.findall(r"SUMMARY:(.*)\r\n", text)


@pytest.mark.django_db
def test_token_is_stored_hashed_and_resolves(member):
    feed, raw = feeds.feed_create(actor=member, kind="user")
    assert raw.startswith("gxcal_") and len(raw) > 40
    assert raw not in feed.token_hash and len(feed.token_hash) == 64
    assert feeds.feed_resolve(raw) == feed
    assert SecurityEvent.objects.filter(event="calendar_feed_create").count() == 1


@pytest.mark.django_db
def test_revoked_feed_no_longer_resolves(member):
    feed, raw = feeds.feed_create(actor=member, kind="user")
    feeds.feed_revoke(actor=member, feed_id=feed.pk)
    with pytest.raises(NotFound):
        feeds.feed_resolve(raw)


@pytest.mark.django_db
def test_someone_else_cannot_revoke(member, am_a):
    feed, _raw = feeds.feed_create(actor=member, kind="user")
    with pytest.raises(NotFound):
        feeds.feed_revoke(actor=am_a, feed_id=feed.pk)
    feed.refresh_from_db()
    assert feed.revoked_at is None


@pytest.mark.django_db
def test_project_feed_needs_a_project_the_owner_reads(member, am_b, project):
    with pytest.raises(ValidationFailed):
        feeds.feed_create(actor=member, kind="project")
    with pytest.raises(NotFound):
        feeds.feed_create(actor=am_b, kind="project", project_id=project.pk)
    assert CalendarFeed.objects.count() == 0


@pytest.mark.django_db
def test_role_without_projects_may_not_create(agent):
    with pytest.raises(PermissionDenied):
        feeds.feed_create(actor=agent, kind="user")


@pytest.mark.django_db
def test_user_feed_lists_my_open_tasks_and_my_projects_milestones(member, project):
    day = timezone.localdate() + dt.timedelta(days=10)
    TaskFactory(project=project, name="我的任务", assignee=member, start_date=day, finish_date=day)
    TaskFactory(project=project, name="别人的任务", start_date=day, finish_date=day)
    TaskFactory(project=project, name="已完成", assignee=member, status="done", finish_date=day,
                start_date=day)  # fmt: skip
    TaskFactory(project=project, name="上线", milestone=True, duration_days=0, start_date=day,
                finish_date=day)  # fmt: skip
    other = ProjectFactory()
    TaskFactory(project=other, name="看不到的里程碑", milestone=True, duration_days=0,
                start_date=day, finish_date=day)  # fmt: skip
    feed, _raw = feeds.feed_create(actor=member, kind="user")
    text = feeds.feed_calendar(feed=feed, base_url="https://gx.example.com")
    assert sorted(_events(text)) == sorted(["任务到期：我的任务", "◆ 里程碑：上线"])
    assert "URL:https://gx.example.com/projects/" in text
    feed.refresh_from_db()
    assert feed.last_used_at is not None


@pytest.mark.django_db
def test_project_feed_stops_when_the_owner_leaves_the_project(member, project):
    day = timezone.localdate() + dt.timedelta(days=3)
    TaskFactory(project=project, name="设计", start_date=day, finish_date=day)
    feed, raw = feeds.feed_create(actor=member, kind="project", project_id=project.pk)
    assert _events(feeds.feed_calendar(feed=feed, base_url="")) == ["任务到期：设计"]
    project.members.all().delete()
    with pytest.raises(NotFound):
        feeds.feed_calendar(feed=feeds.feed_resolve(raw), base_url="")


# --- pages and API --------------------------------------------------------------------------


@pytest.mark.django_db
def test_feed_url_serves_text_calendar_without_login(client, member, project):
    day = timezone.localdate() + dt.timedelta(days=3)
    TaskFactory(project=project, name="设计", assignee=member, start_date=day, finish_date=day)
    _feed, raw = feeds.feed_create(actor=member, kind="user")
    response = client.get(f"/projects/feeds/{raw}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "任务到期：设计" in response.content.decode()
    assert client.get("/projects/feeds/gxcal_nope.ics").status_code == 404


@pytest.mark.django_db
def test_feeds_page_creates_shows_url_once_and_revokes(client, member):
    client.login(username=member.username, password=PASSWORD)
    response = client.post("/projects/feeds/", {"kind": "user"})
    assert response.status_code == 201
    url = re.search(r'value="(http[^"]+\.ics)"', response.content.decode()).group(1)
    assert client.get(url).status_code == 200
    page = client.get("/projects/feeds/").content.decode()
    assert url not in page
    feed = CalendarFeed.objects.get()
    assert client.post(f"/projects/feeds/{feed.pk}/revoke/").status_code == 302
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_feed_api_create_list_revoke(client, member):
    client.login(username=member.username, password=PASSWORD)
    created = client.post("/api/v1/projects/calendar/feeds", {"kind": "user"},
                          content_type="application/json")  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert body["url"].endswith(".ics") and body["kind"] == "user"
    assert [f["id"] for f in client.get("/api/v1/projects/calendar/feeds").json()] == [body["id"]]
    assert client.post(f"/api/v1/projects/calendar/feeds/{body['id']}/revoke").status_code == 200
    assert client.get("/api/v1/projects/calendar/feeds").json() == []


@pytest.mark.django_db
def test_feed_api_bad_kind_names_the_field(client, member):
    client.login(username=member.username, password=PASSWORD)
    response = client.post("/api/v1/projects/calendar/feeds", {"kind": "weekly"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 422
    assert "kind" in response.content.decode()
    assert CalendarFeed.objects.count() == 0
