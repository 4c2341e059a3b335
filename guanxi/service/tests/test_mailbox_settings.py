"""Mailbox settings (admins): create, edit, switch off a mailbox the desk polls by IMAP,
through the service, the REST API and the settings pages; audited, bad input named."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.test_api_support import Api, error_fields
from guanxi.service.models import Mailbox
from guanxi.service.services import mailboxes

pytestmark = pytest.mark.django_db
API = "/service/mailboxes"
DATA = {
    "name": "客服邮箱", "host": "imap.example.com", "port": 993, "use_ssl": True,
    "username": "service@example.com", "password_env": "GUANXI_MAILBOX_PASSWORD",
    "folder": "INBOX", "active": True,
}  # fmt: skip


def _rows():
    return list(Mailbox.objects.order_by("pk").values())


def _mailbox(**kw):
    return Mailbox.objects.create(**{**DATA, **kw})


# --- the service -------------------------------------------------------------------------


def test_create_is_audited(admin_user):
    mailbox = mailboxes.mailbox_create(actor=admin_user, data=DATA)

    assert Mailbox.objects.get(pk=mailbox.pk).host == "imap.example.com"
    entry = AuditEntry.objects.get(object_id=str(mailbox.pk), action="create")
    assert entry.changes["name"] == [None, "客服邮箱"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**DATA, "password_env": "my password"}, "password_env"),
        ({**DATA, "port": 70000}, "port"),
        ({**DATA, "host": "  "}, "host"),
        ({**DATA, "name": 5}, "name"),
        ({**DATA, "colour": "red"}, "colour"),
        ({k: v for k, v in DATA.items() if k != "username"}, "username"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(admin_user, data, field):
    with pytest.raises(ValidationFailed) as exc:
        mailboxes.mailbox_create(actor=admin_user, data=data)

    assert list(exc.value.errors) == [field]
    assert _rows() == []


def test_a_second_mailbox_of_the_same_name_is_refused(admin_user):
    _mailbox()
    before = _rows()

    with pytest.raises(ValidationFailed) as exc:
        mailboxes.mailbox_create(actor=admin_user, data={**DATA, "host": "other.example.com"})

    assert list(exc.value.errors) == ["name"]
    assert _rows() == before


def test_only_admins_set_mailboxes(agent, manager_a):
    mailbox = _mailbox()
    before = _rows()
    for actor in (agent, manager_a):
        with pytest.raises(PermissionDenied):
            mailboxes.mailbox_create(actor=actor, data={**DATA, "name": "另一个"})
        with pytest.raises(PermissionDenied):
            mailboxes.mailbox_update(actor=actor, mailbox_id=mailbox.pk, data={"active": False},
                                     version=mailbox.version)  # fmt: skip
    assert _rows() == before


def test_switching_off_keeps_the_position_and_is_audited(admin_user):
    mailbox = _mailbox()
    Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=7, last_uid=42)

    done = mailboxes.mailbox_update(actor=admin_user, mailbox_id=mailbox.pk,
                                    data={"active": False}, version=1)  # fmt: skip

    stored = Mailbox.objects.get(pk=mailbox.pk)
    assert (done.version, stored.active, stored.uid_validity, stored.last_uid) == (2, False, 7, 42)
    entry = AuditEntry.objects.get(object_id=str(mailbox.pk), action="update")
    assert entry.changes == {"active": [True, False]}


def test_another_folder_starts_the_position_over(admin_user):
    mailbox = _mailbox()
    Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=7, last_uid=42, last_error="x")

    mailboxes.mailbox_update(actor=admin_user, mailbox_id=mailbox.pk, data={"folder": "客服"},
                             version=1)  # fmt: skip

    stored = Mailbox.objects.get(pk=mailbox.pk)
    where = (stored.folder, stored.uid_validity, stored.last_uid, stored.last_error)
    assert where == ("客服", None, 0, "")


def test_a_stale_edit_is_a_conflict_and_changes_nothing(admin_user):
    mailbox = _mailbox()
    mailboxes.mailbox_update(actor=admin_user, mailbox_id=mailbox.pk, data={"port": 143},
                             version=1)  # fmt: skip
    before = _rows()

    with pytest.raises(Conflict):
        mailboxes.mailbox_update(actor=admin_user, mailbox_id=mailbox.pk,
                                 data={"port": 995}, version=1)  # fmt: skip

    assert _rows() == before


def test_an_edit_that_changes_nothing_keeps_the_version(admin_user):
    mailbox = _mailbox()

    done = mailboxes.mailbox_update(actor=admin_user, mailbox_id=mailbox.pk,
                                    data={"port": 993}, version=1)  # fmt: skip

    assert done.version == 1
    assert not AuditEntry.objects.filter(object_id=str(mailbox.pk), action="update").exists()


# --- the API -----------------------------------------------------------------------------


def test_api_create_list_detail_and_switch_off(admin_user):
    api = Api(admin_user)

    created = api.post(API, DATA)
    assert created.status_code == 201, created.content
    body = created.json()
    assert "password" not in body and body["password_env"] == "GUANXI_MAILBOX_PASSWORD"
    assert [m["id"] for m in api.get(API).json()] == [body["id"]]
    assert api.get(f"{API}/{body['id']}").json()["name"] == "客服邮箱"

    off = api.patch(f"{API}/{body['id']}", {"version": body["version"], "active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    stale = api.patch(f"{API}/{body['id']}", {"version": body["version"], "active": True})
    assert stale.status_code == 409
    assert Mailbox.objects.get(pk=body["id"]).active is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password_env": "lower_case"}, "password_env"),
        ({"port": 0}, "port"),
        ({"host": ""}, "host"),
        ({"use_ssl": "yes"}, "use_ssl"),
        ({"secret": "x"}, "secret"),
    ],
)
def test_api_bad_input_is_422_naming_the_field(admin_user, change, field):
    response = Api(admin_user).post(API, {**DATA, **change})

    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert _rows() == []


def test_api_duplicate_name_is_422_naming_it(admin_user):
    _mailbox()
    before = _rows()

    response = Api(admin_user).post(API, {**DATA, "host": "other.example.com"})

    assert response.status_code == 422 and error_fields(response) == ["name"]
    assert _rows() == before


def test_api_refuses_everyone_but_admins(agent, manager_a, am_a, portal_user):
    mailbox = _mailbox()
    before = _rows()
    for user in (agent, manager_a, am_a, portal_user):
        api = Api(user)
        answers = [
            api.get(API).status_code,
            api.get(f"{API}/{mailbox.pk}").status_code,
            api.post(API, {**DATA, "name": "另一个"}).status_code,
            api.patch(f"{API}/{mailbox.pk}", {"version": 1, "active": False}).status_code,
        ]
        assert answers == [403] * 4, user.username
    assert _rows() == before


def test_api_a_missing_mailbox_is_404(admin_user):
    assert Api(admin_user).get(f"{API}/{10**9}").status_code == 404
    assert Api(admin_user).patch(f"{API}/{10**9}", {"version": 1}).status_code == 404


def test_the_openapi_document_lists_every_answer(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    post = paths["/api/v1/service/mailboxes"]["post"]["responses"]
    patch = paths["/api/v1/service/mailboxes/{mailbox_id}"]["patch"]["responses"]
    assert {"201", "401", "403", "422"} <= set(post)
    assert {"200", "401", "403", "404", "409", "422"} <= set(patch)


# --- the pages ---------------------------------------------------------------------------


def _form(**kw):
    data = {**DATA, **kw}
    data["use_ssl"] = "on" if data["use_ssl"] else ""
    data["active"] = "on" if data["active"] else ""
    return {k: v for k, v in data.items() if v != ""}


def test_page_lists_adds_and_switches_off(client, admin_user, django_assert_max_num_queries):
    _mailbox(name="售后邮箱", last_error="OSError: timed out")
    client.force_login(admin_user)
    url = reverse("service:mailboxes")

    with django_assert_max_num_queries(8):
        page = client.get(url)
    assert page.status_code == 200 and "售后邮箱" in page.content.decode()
    assert "OSError: timed out" in page.content.decode()
    added = client.post(url, _form())
    assert added.status_code == 302
    mailbox = Mailbox.objects.get(name="客服邮箱")
    off = client.post(reverse("service:mailbox_switch", args=[mailbox.pk]),
                      {"version": mailbox.version, "active": "0"})  # fmt: skip
    assert off.status_code == 302 and Mailbox.objects.get(pk=mailbox.pk).active is False


def test_page_bad_input_shows_the_field_error_and_writes_nothing(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("service:mailboxes"), _form(password_env="小写"))

    assert response.status_code == 422
    assert "请填写环境变量名" in response.content.decode()
    assert _rows() == []


def test_page_edit_saves_and_refuses_a_stale_form(client, admin_user):
    mailbox = _mailbox()
    client.force_login(admin_user)
    url = reverse("service:mailbox_edit", args=[mailbox.pk])

    assert client.get(url).status_code == 200
    saved = client.post(url, {**_form(host="imap2.example.com"), "version": 1})
    assert saved.status_code == 302
    stale = client.post(url, {**_form(host="imap3.example.com"), "version": 1})
    assert stale.status_code == 302
    assert Mailbox.objects.get(pk=mailbox.pk).host == "imap2.example.com"


def test_pages_are_for_admins_only(client, agent, manager_a):
    mailbox = _mailbox()
    for user in (agent, manager_a):
        client.force_login(user)
        assert client.get(reverse("service:mailboxes")).status_code == 403
        assert client.post(reverse("service:mailboxes"), _form(name="另一个")).status_code == 403
        assert client.get(reverse("service:mailbox_edit", args=[mailbox.pk])).status_code == 403
        switch = client.post(reverse("service:mailbox_switch", args=[mailbox.pk]),
                             {"version": 1, "active": "0"})  # fmt: skip
        assert switch.status_code == 403
    assert Mailbox.objects.count() == 1 and Mailbox.objects.get().active


def test_the_queue_links_the_settings_for_admins_only(client, admin_user, agent):
    client.force_login(admin_user)
    assert b'id="mailboxes-link"' in client.get(reverse("service:list")).content
    client.force_login(agent)
    assert b'id="mailboxes-link"' not in client.get(reverse("service:list")).content
