"""Messages a clerk understands, for every way a row or a file can be rejected.

Row errors are stored as a ``code`` and ``params`` (see ``ImportRowError``) and rendered
here in the reader's language, so one stored report reads in Chinese and in English. The
codes of cleaning a cell are here; those of a kind's writer (an order that already
exists) come with the kind (``registry.ImportKind.messages``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.core.io.tabular import TabularError
from guanxi.imports import registry
from guanxi.imports.fields import choice_labels

ROW_MESSAGES: Final[dict[str, Promise | str]] = {
    # from guanxi.core.text.cleaning
    "empty": _("此项必填。"),
    "invalid_date": _("“%(value)s”不是有效日期，请写成 2024-03-05 这样的格式。"),
    "invalid_amount": _("“%(value)s”不是有效金额。"),
    "amount_too_large": _("“%(value)s”数值过大。"),
    "invalid_number": _("“%(value)s”不是数字。"),
    "invalid_integer": _("“%(value)s”不是整数。"),
    "integer_out_of_range": _("“%(value)s”超出允许范围。"),
    "invalid_boolean": _("“%(value)s”不是是/否值（是/否、Y/N、true/false、1/0）。"),
    "invalid_phone": _("“%(value)s”不是有效的电话号码。"),
    "phone_needs_area_code": _("“%(value)s”缺少区号，请写成 010-65521234 这样的格式。"),
    "invalid_email": _("“%(value)s”不是有效的邮箱地址。"),
    "invalid_choice": _("“%(value)s”不是可选值。可选值：%(allowed)s。"),
    # rows
    "required": _("此项必填。"),
    "too_long": _("不能超过 %(max_length)s 个字符。"),
    "date_out_of_range": _("日期 %(value)s 超出 1900–2100 年的范围。"),
    "quantity_not_positive": _("数量必须大于 0。"),
    "negative_amount": _("金额不能为负数。"),
    "user_not_found": _("找不到用户“%(value)s”（可填写用户名或显示名）。"),
    "user_ambiguous": _("有多个用户叫“%(value)s”，请填写用户名。"),
}

FILE_MESSAGES: Final[dict[str, Promise]] = {
    "empty": _("文件是空的，或没有表头行。"),
    "too_large": _("文件太大，请拆分成多个较小的文件。"),
    "zip_bomb": _("该 Excel 文件解压后异常巨大（疑似压缩炸弹），已拒绝。"),
    "xml_entities": _("该 Excel 文件含有 XML 实体声明，出于安全原因已拒绝。"),
    "xls_legacy": _(
        "这是旧版 Excel 97-2003（.xls）或加密的工作簿。请去掉密码并另存为 .xlsx 或 CSV（UTF-8）。"
    ),
    "not_a_table": _("该文件不是表格（CSV 或 Excel .xlsx），请检查文件类型。"),
    "unsupported_format": _("不支持该格式（.xlsb / .ods），请另存为 .xlsx 或 CSV。"),
    "bad_xlsx": _("无法读取该 Excel 文件，文件可能已损坏。"),
    "bad_encoding": _(
        "无法识别文件编码，或所选编码不对。请选择正确的编码，或另存为 CSV（UTF-8）。"
    ),
    "binary": _("文件含有二进制数据，不是文本表格。"),
    "line_too_long": _("文件中有一行过长，不像是 CSV 表格。"),
    "field_too_long": _("文件中有一个单元格过长（常见原因：引号没有闭合）。"),
    "too_many_columns": _("文件的列数过多。"),
    "sheet_not_found": _("找不到指定的工作表。"),
}


def row_message(code: str, params: Mapping[str, Any] | None = None) -> str:
    template = ROW_MESSAGES.get(code) or registry.row_messages().get(code)
    if template is None:
        return code
    values = {k: _plain(v) for k, v in (params or {}).items()}
    choices = registry.choices_named(str((params or {}).get("choices", "")))
    if code == "invalid_choice" and choices is not None:
        codes = [c for c in (params or {}).get("allowed", []) if c in choices.values]
        values["allowed"] = "、".join(choice_labels(choices, codes))
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return str(template)


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def file_message(exc: TabularError) -> str:
    """The reader-language message for a refused file (with its row when known)."""
    template = FILE_MESSAGES.get(exc.code)
    text = str(template) if template is not None else exc.message
    if exc.row:
        text = f"{text} " + str(_("（第 %(row)s 行附近）")) % {"row": exc.row}
    return text
