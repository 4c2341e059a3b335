"""Issue 10 item 30: the change history reads like a record, not raw data — field labels,
money as money, order lines as lines, choice labels, 系统 for the system, in the reader's
language."""

import pytest
from django.utils import translation

from guanxi.core.models import AuditEntry
from guanxi.core.templatetags.gx import change_rows

LINES_OLD = [{"id": 7, "description": "年度服务", "quantity": "2.00", "unit_price": "108000.00",
              "amount": "216000.00"}]  # fmt: skip
CHANGES = {"total": ["216000.00", "341350.00"], "status": ["open", "cancelled"],
           "lines": [LINES_OLD, []]}  # fmt: skip


def _rows(language):
    with translation.override(language):
        return {r.field: (r.label, r.old, r.new) for r in change_rows(CHANGES, "orders.order")}


def test_money_lines_and_choices_read_as_a_record_in_chinese():
    rows = _rows("zh-hans")
    assert rows["total"] == ("金额", "¥216,000.00", "¥341,350.00")
    assert rows["lines"][0] == "订单明细"
    line = rows["lines"][1]
    assert "单价：¥108,000.00" in line and "数量：2" in line and "金额：¥216,000.00" in line
    assert "unit_price" not in line and "108000.00" not in line and "id" not in line
    assert rows["lines"][2] == "—"
    assert rows["status"][2] != "cancelled"  # the choice's label


def test_the_same_in_english():
    rows = _rows("en")
    line = rows["lines"][1]
    assert "Unit price: ¥108,000.00" in line and "Quantity: 2" in line
    assert rows["status"][2] == "Cancelled"


@pytest.mark.parametrize(("language", "shown"), [("zh-hans", "系统"), ("en", "System")])
def test_the_system_actor_is_named_in_the_readers_language(language, shown):
    entry = AuditEntry(actor=None, actor_label="system")
    with translation.override(language):
        assert entry.actor_display == shown
    assert AuditEntry(actor=None, actor_label="王经理").actor_display == "王经理"
