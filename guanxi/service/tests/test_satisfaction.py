"""Satisfaction (C3) and follow-up visits (C4): the CSAT link mailed when a ticket is
resolved (entropy, expiry, one answer, a guess is a 404), the answer audited and on the
timeline, a low score opening a follow-up, NPS campaigns to a segment, results by group,
visits planned when a ticket closes and recorded once, and the permission matrix of every
new page and API operation."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.models import AuditEntry
from guanxi.core.tokens import token_digest
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.notifications.models import Notification
from guanxi.service.models import FollowUp, FollowUpPolicy, Survey
from guanxi.service.services import satisfaction, visits
from guanxi.service.services import tickets as ticket_services
from guanxi.service.tests.factories import SlaPolicyFactory, TicketFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/service/s/([A-Za-z0-9_\-]+)/")
API = "/api/v1/service"


@pytest.fixture
def ticket(am_a, agent):
    SlaPolicyFactory()
    customer = CustomerFactory(owner=am_a, name="杭州云栖科技")
    contact = ContactFactory(customer=customer, email="li@yunqi.example.cn")
    return TicketFactory(customer=customer, contact=contact, assignee=agent,
                         requester_email="li@yunqi.example.cn", subject="打印机卡纸",
                         category="repair")  # fmt: skip


def _resolve(ticket, actor, *, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return ticket_services.ticket_transition(
            actor=actor, ticket_id=ticket.pk, status="resolved", version=ticket.version
        )


def _token_from_outbox() -> str:
    found = LINK.search(mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


@pytest.fixture
def answered_link(ticket, agent, django_capture_on_commit_callbacks):
    _resolve(ticket, agent, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    return _token_from_outbox()


# --- the link -------------------------------------------------------------------------------


def test_resolving_a_ticket_mails_one_csat_link_to_the_requester(
    ticket, agent, django_capture_on_commit_callbacks
):
    _resolve(ticket, agent, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    survey = Survey.objects.get(ticket=ticket)
    message = mail.outbox[-1]
    assert message.to == ["li@yunqi.example.cn"]
    assert ticket_services.ticket_token(ticket.pk) in message.subject
    token = _token_from_outbox()
    # only the hash is stored, never the token itself
    assert survey.token_hash == token_digest(token) and token not in survey.token_hash
    assert survey.owner_id == ticket.customer.owner_id and survey.category == "repair"
    assert survey.expires_at - survey.sent_at == dt.timedelta(days=14)
    # closing the resolved ticket sends no second survey
    ticket.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_transition(actor=agent, ticket_id=ticket.pk, status="closed",
                                          version=ticket.version)  # fmt: skip
    assert Survey.objects.filter(ticket=ticket).count() == 1 and len(mail.outbox) == 1


def test_tokens_carry_256_random_bits_and_never_repeat():
    tokens = {satisfaction.new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in list(tokens)[:50]:
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == 32
    # each bit position varies: no fixed prefix or structure
    raw = [base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)) for t in tokens]
    ones = [sum((b[i // 8] >> (i % 8)) & 1 for b in raw) for i in range(256)]
    assert all(800 < n < 1200 for n in ones), ones


def test_the_ttl_is_configurable(settings, ticket, agent, django_capture_on_commit_callbacks):
    settings.GUANXI_SURVEY_TTL_DAYS = 3
    _resolve(ticket, agent, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    survey = Survey.objects.get(ticket=ticket)
    assert survey.expires_at - survey.sent_at == dt.timedelta(days=3)


def test_a_guessed_or_malformed_token_is_a_404(client, answered_link):
    # one character off the real link (1 time in 64 the real one ends in "A")
    near = answered_link[:-1] + ("B" if answered_link.endswith("A") else "A")
    for guess in [satisfaction.new_token(), "x" * 10, near, "%00" * 30]:
        assert client.get(reverse("service:survey", args=[guess])).status_code == 404
        response = client.post(reverse("service:survey", args=[guess]), {"score": "5"})
        assert response.status_code == 404
    assert Survey.objects.get().answered_at is None


def test_answering_once_records_audits_and_puts_it_on_the_timeline(client, answered_link):
    url = reverse("service:survey", args=[answered_link])
    page = client.get(url)
    assert page.status_code == 200 and 'id="survey-form"' in page.content.decode()
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"
    response = client.post(url, {"score": "4", "comment": "工程师很专业"})
    assert response.status_code == 200 and 'data-state="thanks"' in response.content.decode()
    survey = Survey.objects.get()
    assert (survey.score, survey.comment) == (4, "工程师很专业") and survey.answered_at
    entry = AuditEntry.objects.get(model="service.survey", action="update")
    assert entry.changes["score"] == [None, 4] and entry.customer_id == survey.customer_id
    timeline = TimelineEntry.objects.get(kind="survey", customer_id=survey.customer_id)
    assert "4" in timeline.title and timeline.body == "工程师很专业"
    assert not FollowUp.objects.filter(reason="low_score").exists()


def test_a_second_answer_is_refused_and_changes_nothing(client, answered_link):
    url = reverse("service:survey", args=[answered_link])
    client.post(url, {"score": "5"})
    again = client.post(url, {"score": "1", "comment": "改主意了"})
    assert again.status_code == 409 and 'data-state="answered"' in again.content.decode()
    assert client.get(url).status_code == 200
    survey = Survey.objects.get()
    assert (survey.score, survey.comment) == (5, "")
    assert TimelineEntry.objects.filter(kind="survey").count() == 1
    with pytest.raises(satisfaction.SurveyAnswered):
        satisfaction.survey_answer(token=answered_link, score=2)


def test_an_expired_link_says_so_and_takes_no_answer(client, answered_link):
    Survey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    url = reverse("service:survey", args=[answered_link])
    page = client.get(url)
    assert page.status_code == 410 and 'data-state="expired"' in page.content.decode()
    assert client.post(url, {"score": "5"}).status_code == 410
    assert Survey.objects.get().answered_at is None


@pytest.mark.parametrize("score", ["0", "6", "abc", "", "-1"])
def test_a_score_out_of_range_is_a_422_naming_the_field(client, answered_link, score):
    response = client.post(reverse("service:survey", args=[answered_link]), {"score": score})
    assert response.status_code == 422 and 'id="survey-form"' in response.content.decode()
    assert Survey.objects.get().answered_at is None
    with pytest.raises(satisfaction.ValidationFailed) as exc:
        satisfaction.survey_answer(token=answered_link, score=99)
    assert "score" in exc.value.errors


def test_the_survey_page_is_in_english_too(client, answered_link):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("service:survey", args=[answered_link]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    assert "How satisfied are you" in html or "Were you satisfied" in html


def test_a_low_score_opens_a_follow_up_for_the_account_manager(client, answered_link, am_a):
    client.post(reverse("service:survey", args=[answered_link]), {"score": "2", "comment": "慢"})
    follow_up = FollowUp.objects.get(reason="low_score")
    assert follow_up.owner_id == am_a.pk and follow_up.survey.score == 2
    assert follow_up.due_date == timezone.localdate() + dt.timedelta(days=visits.LOW_SCORE_DAYS)
    assert Notification.objects.filter(recipient=am_a, kind=visits.FOLLOWUP_ASSIGNED).exists()
    client.force_login(am_a)
    html = client.get("/").content.decode()
    assert "我的回访" in html and "杭州云栖科技" in html


# --- follow-up visits -----------------------------------------------------------------------


def _close(ticket, actor, capture):
    with capture(execute=True):
        return ticket_services.ticket_transition(
            actor=actor, ticket_id=ticket.pk, status="closed", version=ticket.version
        )


def test_closing_a_ticket_plans_one_visit_14_days_out(
    ticket, agent, am_a, django_capture_on_commit_callbacks
):
    _close(ticket, agent, django_capture_on_commit_callbacks)
    follow_up = FollowUp.objects.get(ticket=ticket, reason="closed")
    assert follow_up.owner_id == am_a.pk and follow_up.status == "pending"
    assert follow_up.due_date == timezone.localdate() + dt.timedelta(days=14)
    assert AuditEntry.objects.filter(model="service.followup", action="create").count() == 1
    # a ticket closed closed directly still gets its CSAT link
    assert Survey.objects.filter(ticket=ticket).count() == 1
    # reopen and close again: no second visit
    ticket.refresh_from_db()
    reopened = ticket_services.ticket_transition(actor=agent, ticket_id=ticket.pk,
                                                 status="open", version=ticket.version)  # fmt: skip
    _close(reopened, agent, django_capture_on_commit_callbacks)
    assert FollowUp.objects.filter(ticket=ticket).count() == 1


def test_the_deadline_is_configurable_per_category(
    ticket, agent, django_capture_on_commit_callbacks
):
    FollowUpPolicy.objects.create(category="repair", days=3)
    _close(ticket, agent, django_capture_on_commit_callbacks)
    assert FollowUp.objects.get().due_date == timezone.localdate() + dt.timedelta(days=3)


@pytest.fixture
def follow_up(ticket, agent, django_capture_on_commit_callbacks):
    _close(ticket, agent, django_capture_on_commit_callbacks)
    return FollowUp.objects.get()


def test_the_owner_records_the_outcome_once_with_audit_and_timeline(follow_up, am_a):
    done = visits.followup_record(actor=am_a, followup_id=follow_up.pk, outcome="satisfied",
                                  note="客户表示满意", version=follow_up.version)  # fmt: skip
    assert done.status == "done" and done.done_by == am_a and done.version == 2
    entry = AuditEntry.objects.get(model="service.followup", action="update")
    assert entry.changes["outcome"] == ["", "satisfied"]
    assert TimelineEntry.objects.filter(kind="visit", customer_id=follow_up.customer_id).exists()
    with pytest.raises(visits.ValidationFailed):
        visits.followup_record(actor=am_a, followup_id=follow_up.pk, outcome="declined",
                               version=done.version)  # fmt: skip
    assert FollowUp.objects.get().outcome == "satisfied"


def test_overdue_visits_are_flagged_and_counted_per_owner(client, follow_up, am_a, manager_a):
    FollowUp.objects.update(due_date=timezone.localdate() - dt.timedelta(days=1))
    client.force_login(manager_a)
    html = client.get(reverse("service:visits") + "?status=overdue").content.decode()
    assert f'id="visit-{follow_up.pk}"' in html and 'data-overdue="1"' in html
    response = client.get(f"{API}/visits/by-owner")
    name = str(am_a.display_name or am_a.username)
    assert response.json() == [{"owner_id": am_a.pk, "name": name, "pending": 1, "overdue": 1,
                                "done": 0}]  # fmt: skip
    assert client.get(f"{API}/visits?status=overdue").json()["items"][0]["overdue"] is True
    assert client.get(f"{API}/visits?status=done").json()["count"] == 0


def test_the_visits_page_refuses_bad_filters(client, am_a):
    client.force_login(am_a)
    response = client.get(reverse("service:visits") + "?status=nope&owner=-3")
    assert response.status_code == 422
    assert client.get(f"{API}/visits?status=nope").status_code == 422


# --- the permission matrix ------------------------------------------------------------------


PAGES = ["service:results", "service:visits"]


@pytest.mark.parametrize(
    ("who", "page", "nps", "sees", "records"),
    [
        ("agent", 200, 403, True, True),
        ("am_a", 200, 403, True, True),
        ("manager_a", 200, 200, True, True),
        ("admin_user", 200, 200, True, True),
        ("am_b", 200, 403, False, False),
        ("portal_user", 403, 403, False, False),
    ],
)
def test_permission_matrix(client, request, follow_up, who, page, nps, sees, records):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == page, name
    assert client.get(reverse("service:nps")).status_code == nps
    api_ok = page == 200
    for path in ["/surveys", "/surveys/results", "/visits", "/visits/by-owner"]:
        assert client.get(API + path).status_code == (200 if api_ok else 403), path
    if api_ok:
        listed = [v["id"] for v in client.get(f"{API}/visits").json()["items"]]
        assert (follow_up.pk in listed) is sees
        surveys = client.get(f"{API}/surveys").json()["count"]
        assert (surveys == 1) is sees
    response = client.post(f"{API}/visits/{follow_up.pk}/outcome",
                           {"outcome": "satisfied", "version": 1},
                           content_type="application/json")  # fmt: skip
    expected = 200 if records else (404 if api_ok else 403)
    assert response.status_code == expected, response.content
    assert (FollowUp.objects.get().status == "done") is records
    form = client.post(
        reverse("service:visit_record", args=[follow_up.pk]),
        {f"f{follow_up.pk}-outcome": "declined", f"f{follow_up.pk}-version": 1},
    )
    assert form.status_code in (302, 403, 404)
    assert FollowUp.objects.get().outcome == ("satisfied" if records else "")
    campaign = client.post(f"{API}/nps-campaigns", {"name": "年度NPS"},
                           content_type="application/json")  # fmt: skip
    assert campaign.status_code == (201 if nps == 200 else 403), campaign.content


def test_anonymous_users_reach_no_staff_page(client, follow_up):
    for name in [*PAGES, "service:nps"]:
        assert client.get(reverse(name)).status_code == 302
    assert client.get(f"{API}/visits").status_code in (401, 403)


def test_another_teams_manager_cannot_record_a_visit(client, follow_up, team_b):
    other = UserFactory(username="manager_b", role=Role.MANAGER, team=team_b)
    client.force_login(other)
    response = client.post(f"{API}/visits/{follow_up.pk}/outcome",
                           {"outcome": "satisfied", "version": 1},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 404 and FollowUp.objects.get().status == "pending"


def test_a_stale_version_is_a_409(client, follow_up, am_a):
    client.force_login(am_a)
    response = client.post(f"{API}/visits/{follow_up.pk}/outcome",
                           {"outcome": "satisfied", "version": 7},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 409 and FollowUp.objects.get().status == "pending"


# --- results and NPS ------------------------------------------------------------------------


def _answered(customer, kind, score, *, when=None, **extra):
    now = when or timezone.now()
    return Survey.objects.create(
        kind=kind, token_hash=token_digest(satisfaction.new_token()),
        customer=customer, email="x@example.cn", owner=customer.owner, team=customer.team,
        sent_at=now, expires_at=now + dt.timedelta(days=14), score=score, answered_at=now,
        **extra,
    )  # fmt: skip


def test_csat_results_by_owner_are_scoped_and_computed(client, am_a, am_b, manager_a):
    mine, theirs = CustomerFactory(owner=am_a), CustomerFactory(owner=am_b)
    for score in (5, 4, 2):
        _answered(mine, "csat", score, ticket=TicketFactory(customer=mine), category="repair")
    _answered(theirs, "csat", 1, ticket=TicketFactory(customer=theirs))
    client.force_login(am_a)
    data = client.get(f"{API}/surveys/results?kind=csat&group=owner").json()
    assert data["total"]["answered"] == 3 and data["total"]["score"] == 66.7
    assert [row["key"] for row in data["rows"]] == [am_a.pk]
    assert data["trend"][-1]["month"] == timezone.localdate().strftime("%Y-%m")
    html = client.get(reverse("service:results") + "?group=category").content.decode()
    assert "66.7%" in html and "报修" in html and 'id="chart-trend"' in html


def test_nps_campaign_to_a_segment_and_its_score(
    client, manager_a, am_a, am_b, django_capture_on_commit_callbacks
):
    mine = CustomerFactory(owner=am_a)
    for i in range(4):
        ContactFactory(customer=mine, email=f"c{i}@a.example.cn")
    ContactFactory(customer=mine, email="")  # no address: not surveyed
    ContactFactory(customer=CustomerFactory(owner=am_b), email="out@b.example.cn")
    client.force_login(manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{API}/nps-campaigns", {"name": "2026 年度 NPS",
                               "owner_id": am_a.pk}, content_type="application/json")  # fmt: skip
    assert response.status_code == 201 and response.json()["recipients"] == 4
    assert len(mail.outbox) == 4 and all(LINK.search(m.body) for m in mail.outbox)
    tokens = [LINK.search(m.body).group(1) for m in mail.outbox]
    for token, score in zip(tokens, [10, 9, 7, 3], strict=True):
        satisfaction.survey_answer(token=token, score=score)
    data = client.get(f"{API}/surveys/results?kind=nps&group=owner").json()
    assert data["total"]["score"] == 25.0  # 2 promoters, 1 detractor of 4
    assert Survey.objects.filter(kind="nps", answered_at__isnull=False).count() == 4


def test_an_empty_or_foreign_segment_is_refused(client, manager_a, am_b):
    client.force_login(manager_a)
    response = client.post(f"{API}/nps-campaigns", {"name": "空", "owner_id": am_b.pk},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 422 and "owner_id" in response.content.decode()
    response = client.post(f"{API}/nps-campaigns", {"name": "空"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 422 and "segment" in response.content.decode()
    assert not Survey.objects.exists()


def test_the_ticket_page_shows_the_csat_score(client, answered_link, ticket, agent):
    satisfaction.survey_answer(token=answered_link, score=5, comment="很好")
    client.force_login(agent)
    html = client.get(reverse("service:detail", args=[ticket.pk])).content.decode()
    assert 'id="ticket-csat"' in html and "5 / 5" in html
