"""The import API: upload (multipart), configure, preview, run as a job, error report,
undo, saved mappings; bad input is a 4xx naming the problem and changes nothing."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from guanxi.core.models import AuditEntry, Job
from guanxi.customers.models import Customer
from guanxi.customers.tests.test_api_support import BASE, db_snapshot, make_token
from guanxi.imports.models import ImportMapping, ImportRun
from guanxi.imports.tests.support import csv_bytes

pytestmark = pytest.mark.django_db

GBK_ROWS = [
    ["客户名称", "手机", "邮箱", "客户类型", "城市"],
    ["上海华信科技有限公司", "13800138000", "hx@example.com", "企业", "上海"],
    ["北京金鼎贸易有限公司", "139 0000 1111", "bad-email", "公司", "北京"],
    ["深圳瑞丰实业有限公司", "13700001111", "", "银行", "深圳"],
]


def client_for(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {make_token(user)}"})


def upload(client: Client, data: bytes, name: str = "客户.csv", **form) -> object:
    return client.post(
        f"{BASE}/imports",
        {
            "file": SimpleUploadedFile(name, data, content_type="text/csv"),
            "kind": "customers",
            **form,
        },
    )


def test_upload_answers_headers_and_suggested_mapping(admin_user):
    response = upload(client_for(admin_user), csv_bytes(GBK_ROWS, encoding="gbk"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["encoding"] == "gb18030"
    assert body["headers"] == GBK_ROWS[0]
    assert body["mapping"] == {
        "客户名称": "name",
        "手机": "phone",
        "邮箱": "email",
        "客户类型": "kind",
        "城市": "city",
    }
    assert body["status"] == "uploaded"


def test_preview_run_errors_and_undo(admin_user, django_capture_on_commit_callbacks):
    api = client_for(admin_user)
    run_id = upload(api, csv_bytes(GBK_ROWS, encoding="gbk")).json()["id"]

    preview = api.post(f"{BASE}/imports/{run_id}/preview").json()
    assert preview["counts"] == {"created": 2, "updated": 0, "skipped": 0, "failed": 1}
    assert [r["action"] for r in preview["rows"]] == ["create", "fail", "create"]
    assert preview["rows"][2]["values"]["kind"] == "资金提供方"
    assert preview["errors"][0]["row"] == 3 and preview["errors"][0]["column"] == "邮箱"
    assert Customer.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"{BASE}/imports/{run_id}/run")
    assert started.status_code == 202
    job = api.get(f"{BASE}/jobs/{started.json()['job_id']}").json()
    assert (job["status"], job["progress"]) == ("succeeded", 100)
    run = api.get(f"{BASE}/imports/{run_id}").json()
    assert (run["status"], run["created"], run["failed"]) == ("finished", 2, 1)

    errors = api.get(f"{BASE}/imports/{run_id}/errors").json()
    assert errors["count"] == 1
    assert "bad-email" in errors["items"][0]["message"]
    csv_report = api.get(f"{BASE}/imports/{run_id}/errors/csv", HTTP_ACCEPT_LANGUAGE="en")
    assert csv_report.status_code == 200
    text = b"".join(csv_report.streaming_content).decode("utf-8-sig")
    header, line = list(csv.reader(io.StringIO(text)))[:2]
    assert header == [*GBK_ROWS[0], "Reason not imported", "Row in the original file"]
    assert line[:5] == GBK_ROWS[2] and line[6] == "3"
    assert line[5].startswith("邮箱: ") and "bad-email" in line[5]
    xlsx = api.get(f"{BASE}/imports/{run_id}/errors/xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")

    with django_capture_on_commit_callbacks(execute=True):
        undo = api.post(f"{BASE}/imports/{run_id}/undo")
    assert undo.status_code == 202
    assert Job.objects.get(pk=undo.json()["job_id"]).status == "succeeded"
    assert Customer.objects.count() == 0
    assert AuditEntry.objects.filter(model="customers.customer", action="delete").count() == 2
    assert api.get(f"{BASE}/imports/{run_id}").json()["status"] == "undone"


def test_patch_changes_mapping_and_rejects_unknown_fields(admin_user):
    api = client_for(admin_user)
    run_id = upload(api, csv_bytes(GBK_ROWS)).json()["id"]

    bad = api.patch(
        f"{BASE}/imports/{run_id}",
        {"mapping": {"手机": "no_such_field"}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "mapping.手机"

    ok = api.patch(
        f"{BASE}/imports/{run_id}",
        {"mapping": {"客户名称": "name", "城市": "city"}, "on_duplicate": "skip"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert ok.json()["mapping"] == {"客户名称": "name", "城市": "city"}
    assert ok.json()["on_duplicate"] == "skip"

    missing = api.patch(
        f"{BASE}/imports/{run_id}", {"mapping": {"城市": "city"}}, content_type="application/json"
    )
    assert missing.status_code == 422
    assert "name" in [e["field"] for e in missing.json()["errors"]]


@pytest.mark.parametrize(
    ("data", "name", "word"),
    [
        (b"%PDF-1.4 not a table", "x.csv", "不是表格"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xls", ".xls"),
        (b"", "empty.csv", "空"),
        (b"a,b\n\x00\x01\x02\x03", "bin.csv", "二进制"),
    ],
)
def test_hostile_or_wrong_files_are_refused_with_a_message(admin_user, data, name, word):
    before = db_snapshot()
    response = upload(client_for(admin_user), data, name)

    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "file"
    assert word in body["errors"][0]["message"]
    assert ImportRun.objects.count() == 0
    assert db_snapshot() == before


def test_unknown_kind_and_bad_options_are_422(admin_user):
    api = client_for(admin_user)
    response = api.post(f"{BASE}/imports", {"file": io.BytesIO(b"a,b\n1,2\n"), "kind": "sheep"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("kind")
    assert ImportRun.objects.count() == 0


def test_account_manager_imports_only_into_customers_they_own(am_a, am_b, tmp_path):
    from guanxi.customers.tests.factories import CustomerFactory

    theirs = CustomerFactory(name="乙方科技有限公司", owner=am_b, city="")
    api = client_for(am_a)
    rows = [
        ["客户名称", "城市", "客户经理"],
        ["乙方科技有限公司", "广州", ""],
        ["甲方科技有限公司", "上海", ""],
        ["丙方科技有限公司", "上海", "am_b"],
    ]
    run_id = upload(api, csv_bytes(rows)).json()["id"]

    preview = api.post(f"{BASE}/imports/{run_id}/preview").json()

    # another manager's customer looks like no customer at all (issue 10, item 8)
    assert [r["action"] for r in preview["rows"]] == ["create", "create", "fail"]
    messages = [e["message"] for e in preview["errors"]]
    assert len(messages) == 1 and "只有经理或管理员" in messages[0]
    assert not any("乙方" in m or "无权修改" in m for m in messages)
    theirs.refresh_from_db()
    assert theirs.city == ""


def test_portal_users_and_service_agents(portal_user, agent):
    assert upload(client_for(portal_user), csv_bytes(GBK_ROWS)).status_code == 403
    assert upload(client_for(agent), csv_bytes(GBK_ROWS)).status_code == 403


def test_saved_mappings_are_listed_used_and_deleted(admin_user):
    api = client_for(admin_user)
    saved = api.post(
        f"{BASE}/imports/mappings",
        {"kind": "customers", "name": "旧系统", "columns": {"公司": "name", "地区": "city"}},
        content_type="application/json",
    )
    assert saved.status_code == 201
    assert [m["name"] for m in api.get(f"{BASE}/imports/mappings", kind="customers").json()] == [
        "旧系统"
    ]
    run = upload(
        api, csv_bytes([["公司", "地区", "电话"], ["甲", "上海", ""]]), mapping_name="旧系统"
    ).json()
    assert run["mapping"] == {"公司": "name", "地区": "city"}

    bad = api.post(
        f"{BASE}/imports/mappings",
        {"kind": "customers", "name": "x", "columns": {"公司": "nope"}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    mapping_id = ImportMapping.objects.get().pk
    assert api.delete(f"{BASE}/imports/mappings/{mapping_id}").status_code == 204
    assert ImportMapping.objects.count() == 0


def test_runs_of_others_are_404(am_a, am_b):
    run_id = upload(client_for(am_a), csv_bytes(GBK_ROWS)).json()["id"]

    assert client_for(am_b).get(f"{BASE}/imports/{run_id}").status_code == 404
    assert client_for(am_b).post(f"{BASE}/imports/{run_id}/preview").status_code == 404


def test_openapi_lists_import_and_export_operations(client):
    paths = client.get(f"{BASE}/openapi.json").json()["paths"]

    assert {"post", "get"} <= set(paths[f"{BASE}/imports"])
    for path in (
        "/imports/{run_id}/preview",
        "/imports/{run_id}/run",
        "/imports/{run_id}/undo",
        "/imports/{run_id}/resume",
        "/imports/{run_id}/errors/{fmt}",
        "/imports/mappings",
        "/exports",
        "/exports/{job_id}/download",
    ):
        assert f"{BASE}{path}" in paths
    upload_op = paths[f"{BASE}/imports"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]


def test_kinds_are_the_registered_ones_the_user_may_import(admin_user, agent):
    kinds = client_for(admin_user).get(f"{BASE}/imports/kinds").json()
    assert [k["key"] for k in kinds] == [
        "customers",
        "contacts",
        "orders",
        "communications",
        "leads",
        "tickets",
        "tasks",
        "contracts",
        "instalments",
        "collections",
    ]
    assert kinds[0]["label"] == "客户"
    agent_kinds = client_for(agent).get(f"{BASE}/imports/kinds", HTTP_ACCEPT_LANGUAGE="en")
    assert agent_kinds.json() == [
        {"key": "communications", "label": "Communication"},
        {"key": "tickets", "label": "Historic tickets"},
    ]


def test_openapi_enumerates_the_registered_kinds(client):
    schema = client.get(f"{BASE}/openapi.json").json()
    run = schema["components"]["schemas"]["ImportRunOut"]["properties"]["kind"]
    assert run["enum"] == [
        "customers", "contacts", "orders", "communications", "leads", "tickets", "tasks",
        "contracts", "instalments", "collections",
    ]  # fmt: skip
