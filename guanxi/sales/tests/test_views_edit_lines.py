"""The opportunity edit page (version conflict → 409 with the notice, nothing saved) and the
product lines on the opportunity page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.customers.tests.factories import CustomerFactory, ProductFactory
from guanxi.sales.models import Opportunity
from guanxi.sales.services import opportunities as services
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = pytest.mark.django_db

# session + user, opportunity, lines, catalogue, activities, reasons, messages-free render,
# and the win score's two (the model; the closed count, or the facts with a model)
DETAIL_QUERIES = 7 + 2


@pytest.fixture
def opp(am_a):
    board()
    return services.opportunity_create(
        actor=am_a, customer_id=CustomerFactory(owner=am_a).pk,
        data={"name": "ERP 项目", "amount": "5000"},
    )  # fmt: skip


def _post_edit(client, opp, version, **extra):
    data = {"version": version, "name": "ERP 二期", "amount": "8000",
            "expected_close": "2027-01-31", "next_step": "约演示", "next_step_due": "",
            "competitors": "用友、金蝶, 销售易"}  # fmt: skip
    data.update(extra)
    return client.post(reverse("sales:edit", args=[opp.pk]), data)


def test_edit_saves_and_splits_competitors(client, am_a, opp):
    client.force_login(am_a)
    page = client.get(reverse("sales:edit", args=[opp.pk]))
    assert page.status_code == 200 and 'value="ERP 项目"' in page.content.decode()
    response = _post_edit(client, opp, 1)
    assert response.status_code == 302
    opp.refresh_from_db()
    assert (opp.name, opp.amount, opp.version) == ("ERP 二期", Decimal("8000.00"), 2)
    assert opp.competitors == ["用友", "金蝶", "销售易"]


def test_a_stale_edit_is_a_conflict_and_saves_nothing(client, am_a, opp):
    services.opportunity_update(actor=am_a, opportunity_id=opp.pk, version=1,
                                data={"next_step": "别人的修改"})  # fmt: skip
    client.force_login(am_a)
    response = _post_edit(client, opp, 1)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="stale-warning"' in html and "有人在你编辑期间修改了这个商机" in html
    opp.refresh_from_db()
    assert (opp.name, opp.next_step, opp.version) == ("ERP 项目", "别人的修改", 2)


def test_bad_input_names_the_field(client, am_a, opp):
    client.force_login(am_a)
    response = _post_edit(client, opp, 1, amount="-5", expected_close="31/01/2027")
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"amount", "expected_close"}
    assert Opportunity.objects.get().version == 1


def test_someone_elses_opportunity_cannot_be_edited(client, am_b, opp):
    client.force_login(am_b)
    assert client.get(reverse("sales:edit", args=[opp.pk])).status_code == 404
    assert _post_edit(client, opp, 1).status_code == 404
    assert Opportunity.objects.get().name == "ERP 项目"


def test_lines_are_added_and_removed_on_the_page_and_the_amount_follows(client, am_a, opp):
    product = ProductFactory(name="瀚海CRM 专业版", unit_price=Decimal("49800.00"))
    client.force_login(am_a)
    detail = reverse("sales:detail", args=[opp.pk])
    assert "瀚海CRM 专业版" in client.get(detail).content.decode()  # in the catalogue
    response = client.post(reverse("sales:line_add", args=[opp.pk]),
                           {"line-version": 1, "line-product_id": product.pk,
                            "line-quantity": "2"})  # fmt: skip
    assert response.status_code == 302
    opp.refresh_from_db()
    assert opp.amount == Decimal("99600.00")
    html = client.get(detail).content.decode()
    assert 'id="opp-amount">¥99,600.00' in html and "金额等于明细合计" in html
    # the edit form shows the amount read-only and keeps it
    edit = client.get(reverse("sales:edit", args=[opp.pk])).content.decode()
    assert "disabled" in edit.split('name="amount"', 1)[1].split(">", 1)[0]
    assert _post_edit(client, opp, 2, amount="1").status_code == 302
    opp.refresh_from_db()
    assert opp.amount == Decimal("99600.00") and opp.name == "ERP 二期"
    line = opp.lines.get()
    stale = client.post(reverse("sales:line_remove", args=[opp.pk, line.pk]), {"version": 1})
    assert stale.status_code == 302 and opp.lines.exists()
    client.post(reverse("sales:line_remove", args=[opp.pk, line.pk]), {"version": 3})
    assert not opp.lines.exists()


def test_a_bad_line_is_refused_with_a_message(client, am_a, opp):
    client.force_login(am_a)
    response = client.post(reverse("sales:line_add", args=[opp.pk]),
                           {"line-version": 1, "line-product_id": 424242,
                            "line-quantity": "1"}, follow=True)  # fmt: skip
    assert response.status_code == 200
    assert not opp.lines.exists()
    assert list(response.context["messages"])


def test_detail_page_query_count(client, am_a, django_assert_num_queries):
    _pipeline, stages = board()
    opp = OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[0])
    for _ in range(3):
        ProductFactory()
    client.force_login(am_a)
    client.get(reverse("sales:detail", args=[opp.pk]))
    with django_assert_num_queries(DETAIL_QUERIES):
        assert client.get(reverse("sales:detail", args=[opp.pk])).status_code == 200
