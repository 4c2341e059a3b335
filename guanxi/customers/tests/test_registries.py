"""What other apps add to the customer record through registries, without the customers
app importing them: 360 panels, list filters, timeline kinds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.core.errors import ValidationFailed
from guanxi.customers import list_filters, panels, selectors
from guanxi.customers.services import customer_create
from guanxi.customers.timeline import TimelineText, register_kind, timeline_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(am_a):
    return customer_create(actor=am_a, data={"name": "华为技术有限公司", "status": "active"})


@pytest.fixture
def test_panel(settings, tmp_path):
    (tmp_path / "test_panel.html").write_text(
        '{% load partials %}<div id="panel-test">{% partialdef body inline %}'
        "测试面板 {{ test_count }} "
        "{{ customer.name }}{% endpartialdef %}</div>",
        encoding="utf-8",
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    panel = panels.CustomerPanel(
        key="test-panel",
        template="test_panel.html",
        refresh_template="test_panel.html#body",
        context=lambda request, customer, can_change: {"test_count": 42},
        column="side",
        order=1,
    )
    panels.register_panel(panel)
    yield panel
    panels._PANELS.pop("test-panel")


def test_a_registered_panel_appears_on_the_360_page_with_its_data(
    client, am_a, customer, test_panel
):
    client.force_login(am_a)

    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert '<div id="panel-test">测试面板 42 华为技术有限公司</div>' in html
    # side panels keep their order: the test panel (order 1) before purchases (order 20)
    assert html.index('id="panel-test"') < html.index('id="panel-purchases"')


def test_a_registered_panel_reloads_through_the_section_url(client, am_a, customer, test_panel):
    client.force_login(am_a)

    response = client.get(reverse("customers:section", args=[customer.pk, "test-panel"]))

    assert response.status_code == 200
    assert response.content.decode() == "测试面板 42 华为技术有限公司"


def test_an_unknown_section_is_404(client, am_a, customer):
    client.force_login(am_a)

    response = client.get(reverse("customers:section", args=[customer.pk, "no-such-panel"]))

    assert response.status_code == 404


@pytest.fixture
def city_length_filter():
    registered = list_filters.ListFilter(
        param="name_len",
        error=lambda value: None if value.isdigit() else "必须是数字。",
        apply=lambda qs, value: qs.filter(name__regex=rf"^.{{{int(value)}}}$"),
    )
    list_filters.register_list_filter(registered)
    yield registered
    list_filters._FILTERS.pop("name_len")


def test_a_registered_list_filter_is_validated_and_applied(am_a, customer, city_length_filter):
    customer_create(actor=am_a, data={"name": "中兴"})

    filters = selectors.validate_filters({"name_len": "2"})
    names = [c.name for c in selectors.customer_queryset(actor=am_a, filters=filters)]

    assert names == ["中兴"]
    with pytest.raises(ValidationFailed) as exc:
        selectors.validate_filters({"name_len": "two"})
    assert exc.value.errors == {"name_len": ["必须是数字。"]}


def test_the_value_filters_come_from_analytics_registration():
    params = {f.param for f in list_filters.list_filters()}

    assert {"value_class", "value_cell"} <= params
    with pytest.raises(ValidationFailed) as exc:
        selectors.validate_filters({"value_class": "diamond", "value_cell": "large-forever"})
    assert set(exc.value.errors) == {"value_class", "value_cell"}


def test_a_kind_registered_by_another_app_shows_on_the_timeline(client, am_a, customer):
    register_kind("ticket-test", label="工单", icon="✉", color="danger")
    timeline_add(
        customer_id=customer.pk,
        kind="ticket-test",
        occurred_at=timezone.now() + dt.timedelta(minutes=1),
        title=TimelineText("工单 %(number)s 已关闭", {"number": "T-1"}),
        actor=am_a,
    )
    client.force_login(am_a)

    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert "工单 T-1 已关闭" in html
    assert ">工单</span>" in html
