from __future__ import annotations

import pytest
from django.utils.functional import lazy
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.core.errors import ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.notifications import services
from guanxi.notifications.models import Delivery, Notification, Preference, Robot
from guanxi.notifications.registry import Channel
from guanxi.notifications.tests.conftest import TEST_KIND

pytestmark = pytest.mark.django_db


def test_notify_creates_one_per_recipient_and_returns_the_number(test_kind, am_a, am_b):
    n = services.notify(recipients=[am_a, am_b.pk, am_a], kind=TEST_KIND, title="你好", url="/x/")
    assert n == 2
    rows = Notification.objects.order_by("recipient_id")
    assert [(r.recipient_id, r.title, r.url, r.in_inbox) for r in rows] == sorted(
        [(am_a.pk, "你好", "/x/", True), (am_b.pk, "你好", "/x/", True)]
    )


def test_a_dedupe_key_reaches_a_recipient_once_ever(test_kind, am_a, am_b):
    assert services.notify(recipients=[am_a], kind=TEST_KIND, title="t", dedupe_key="k1") == 1
    assert services.notify(recipients=[am_a, am_b], kind=TEST_KIND, title="t", dedupe_key="k1") == 1
    assert services.notify(recipients=[am_a, am_b], kind=TEST_KIND, title="t", dedupe_key="k1") == 0
    assert Notification.objects.filter(dedupe_key="k1").count() == 2
    # read or not, it stays once
    Notification.objects.update(read_at="2026-01-01T00:00:00Z")
    assert services.notify(recipients=[am_a], kind=TEST_KIND, title="t", dedupe_key="k1") == 0


def test_an_unregistered_kind_is_refused(am_a):
    with pytest.raises(LookupError):
        services.notify(recipients=[am_a], kind="no_such_kind", title="t")
    assert not Notification.objects.exists()


def test_inactive_users_get_nothing(test_kind, am_a):
    am_a.is_active = False
    am_a.save()
    assert services.notify(recipients=[am_a], kind=TEST_KIND, title="t") == 0


def _title() -> str:
    return gettext("已将 %(n)d 条通知标为已读。") % {"n": 3}


def test_a_lazy_title_is_written_in_each_recipients_language(test_kind, team_a):
    zh = UserFactory(username="zh", language="zh-hans", team=team_a)
    en = UserFactory(username="en", language="en", team=team_a)
    services.notify(recipients=[zh, en], kind=TEST_KIND, title=lazy(_title, str)())
    titles = dict(Notification.objects.values_list("recipient__username", "title"))
    assert titles == {"zh": "已将 3 条通知标为已读。", "en": "Marked 3 notifications as read."}


def test_email_delivery_is_planned_only_for_recipients_with_an_address(test_kind, team_a):
    with_mail = UserFactory(username="m1", email="m1@example.com", team=team_a)
    without = UserFactory(username="m2", email="", team=team_a)
    services.notify(recipients=[with_mail, without], kind=TEST_KIND, title="t")
    assert list(Delivery.objects.values_list("notification__recipient_id", "channel")) == [
        (with_mail.pk, Channel.EMAIL)
    ]


def test_im_delivery_goes_to_every_enabled_robot_of_the_recipients_team(test_kind, team_a, team_b):
    user = UserFactory(username="im1", team=team_a)
    r1 = Robot.objects.create(
        team=team_a, name="a", provider="wecom", webhook_url="http://127.0.0.1/1"
    )
    Robot.objects.create(
        team=team_a, name="off", provider="wecom", webhook_url="http://127.0.0.1/2", enabled=False
    )
    Robot.objects.create(team=team_b, name="b", provider="wecom", webhook_url="http://127.0.0.1/3")
    services.preferences_set(actor=user, choices={(TEST_KIND, Channel.IM): True})
    services.notify(recipients=[user], kind=TEST_KIND, title="t")
    assert list(Delivery.objects.filter(channel=Channel.IM).values_list("robot_id", flat=True)) == [
        r1.pk
    ]


def test_inapp_switched_off_keeps_the_row_out_of_the_inbox(test_kind, am_a):
    am_a.email = "a@example.com"
    am_a.save()
    services.preferences_set(actor=am_a, choices={(TEST_KIND, Channel.INAPP): False})
    assert services.notify(recipients=[am_a], kind=TEST_KIND, title="t") == 1
    row = Notification.objects.get()
    assert row.in_inbox is False
    assert Delivery.objects.filter(notification=row, channel=Channel.EMAIL).exists()


def test_every_channel_off_writes_nothing(test_kind, am_a):
    services.preferences_set(
        actor=am_a, choices={(TEST_KIND, Channel.INAPP): False, (TEST_KIND, Channel.EMAIL): False}
    )
    assert services.notify(recipients=[am_a], kind=TEST_KIND, title="t") == 0
    assert not Notification.objects.exists()


def test_preferences_are_audited_and_a_default_choice_removes_the_row(test_kind, am_a):
    assert services.preferences_set(actor=am_a, choices={(TEST_KIND, Channel.EMAIL): False}) == 1
    assert Preference.objects.get().enabled is False
    entry = AuditEntry.objects.get()
    assert entry.changes == {f"{TEST_KIND}.email": [True, False]}
    assert entry.actor == am_a
    # the same choice again changes nothing
    assert services.preferences_set(actor=am_a, choices={(TEST_KIND, Channel.EMAIL): False}) == 0
    # back to the default: no row left
    assert services.preferences_set(actor=am_a, choices={(TEST_KIND, Channel.EMAIL): True}) == 1
    assert not Preference.objects.exists()
    assert AuditEntry.objects.count() == 2


def test_unknown_kind_or_channel_names_the_field_and_writes_nothing(test_kind, am_a):
    with pytest.raises(ValidationFailed) as err:
        services.preferences_set(
            actor=am_a, choices={(TEST_KIND, Channel.EMAIL): False, ("nope", Channel.EMAIL): True}
        )
    assert "kind" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        services.preferences_set(actor=am_a, choices={(TEST_KIND, "fax"): True})
    assert "channel" in err.value.errors
    assert not Preference.objects.exists()
    assert not AuditEntry.objects.exists()


def test_mark_read_is_the_recipients_only(test_kind, am_a, am_b):
    from guanxi.core.errors import NotFound

    services.notify(recipients=[am_a], kind=TEST_KIND, title="t")
    row = Notification.objects.get()
    with pytest.raises(NotFound):
        services.notification_mark_read(actor=am_b, notification_id=row.pk)
    row.refresh_from_db()
    assert row.read_at is None
    services.notification_mark_read(actor=am_a, notification_id=row.pk)
    row.refresh_from_db()
    assert row.read_at is not None
    services.notification_mark_read(actor=am_a, notification_id=row.pk, read=False)
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_all_read_touches_only_the_actors_unread(test_kind, am_a, am_b):
    services.notify(recipients=[am_a, am_b], kind=TEST_KIND, title="t")
    services.notify(recipients=[am_a], kind=TEST_KIND, title="t2")
    assert services.notifications_mark_all_read(actor=am_a) == 2
    assert services.notifications_mark_all_read(actor=am_a) == 0
    assert Notification.objects.filter(recipient=am_b, read_at__isnull=True).count() == 1


def test_robot_url_must_be_the_platforms_host(settings):
    settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS = []
    ok = "https://oapi.dingtalk.com/robot/send?access_token=x"
    assert services.robot_url_error("dingtalk", ok) is None
    assert services.robot_url_error("dingtalk", "http://oapi.dingtalk.com/robot/send")
    assert services.robot_url_error("dingtalk", "https://169.254.169.254/latest")
    assert (
        services.robot_url_error("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
        is None
    )
    assert (
        services.robot_url_error("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x") is None
    )
    assert services.robot_url_error("feishu", "https://open.feishu.cn.evil.com/hook") is not None


def test_robot_save_audits_without_the_secret(admin_user):
    team = TeamFactory(name="机器人部")
    robot = Robot(
        team=team,
        name="群",
        provider="dingtalk",
        webhook_url="http://127.0.0.1:9/x",
        secret="SEC123",
    )
    services.robot_save(actor=admin_user, robot=robot)
    entry = AuditEntry.objects.get(model="notifications.robot")
    assert "SEC123" not in str(entry.changes)
    assert entry.changes["secret"] == [None, "******"]
    before = services.robot_snapshot(robot)
    robot.name = "新群"
    services.robot_save(actor=admin_user, robot=robot, before=before)
    assert AuditEntry.objects.filter(model="notifications.robot").count() == 2
    robot.webhook_url = "https://example.com/x"
    with pytest.raises(ValidationFailed) as err:
        services.robot_save(actor=admin_user, robot=robot, before=services.robot_snapshot(robot))
    assert "webhook_url" in err.value.errors


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    calls=st.lists(
        st.tuples(
            st.lists(st.integers(0, 3), min_size=0, max_size=5),
            st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
        ),
        max_size=12,
    )
)
def test_notify_counts_match_rows_and_keys_stay_unique(test_kind, team_a, calls):
    Notification.objects.all().delete()
    users = [UserFactory(username=f"hyp{i}", team=team_a, password=None) for i in range(4)]
    total = 0
    expected = 0
    seen: set[tuple[int, str]] = set()
    for idx, key in calls:
        recipients = [users[i] for i in idx]
        total += services.notify(recipients=recipients, kind=TEST_KIND, title="t", dedupe_key=key)
        for u in dict.fromkeys(recipients):
            if key is None:
                expected += 1
            elif (u.pk, key) not in seen:
                seen.add((u.pk, key))
                expected += 1
    assert total == expected == Notification.objects.count()
    keyed = list(
        Notification.objects.exclude(dedupe_key=None).values_list("recipient_id", "dedupe_key")
    )
    assert len(keyed) == len(set(keyed))
