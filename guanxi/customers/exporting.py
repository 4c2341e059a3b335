"""Export of any filtered list — customers (the list page's filters), contacts, orders
(one row per order line) and communications — to CSV or XLSX.

Rows come from the same scoped selectors as the screens, so an export never holds a row
its user could not see; every cell goes through ``guanxi.core.spreadsheet_export`` (formula
injection escaped). Headers are the import's field names, so an export can be imported
again. Exporting needs ``accounts.scope.can_export`` and is written to the security log.
Small lists are answered at once; larger ones run as a job whose file is kept in storage.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from guanxi.accounts import scope
from guanxi.accounts.models import person_name
from guanxi.accounts.services import security_log
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.jobs import enqueue_on_commit, job_create, run_job
from guanxi.core.models import Job, JobStatus
from guanxi.core.spreadsheet_export import iter_csv, write_csv, write_xlsx
from guanxi.customers import selectors
from guanxi.customers.models import Communication, Contact, Customer, Order, OrderLine

FORMATS: Final = ("csv", "xlsx")
KINDS: Final = ("customers", "contacts", "orders", "communications")
#: lists up to this size are answered directly; larger ones become a job
INLINE_ROWS: Final = 5000
ITER_CHUNK: Final = 2000


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


# Rows are read with ``values()`` — no model instances (building them cost most of an
# export's time: 250 µs a customer row, measured) — so a column names the values it reads
# and turns them into the cell. Choice labels and user names are resolved once per export
# (``Cells``), in the exporting user's language.

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Column:
    header: Promise
    reads: tuple[str, ...]
    value: Callable[[Row, Cells], Any]


class Cells:
    """What cells need beyond the row: translated choice labels, by model field."""

    def __init__(self) -> None:
        self._labels: dict[tuple[type[Any], str], dict[Any, str]] = {}

    def label(self, model: type[Any], name: str, code: Any) -> str:
        if not code:
            return ""
        labels = self._labels.get((model, name))
        if labels is None:
            field = model._meta.get_field(name)
            labels = self._labels[(model, name)] = {k: str(v) for k, v in field.flatchoices}
        return labels.get(code, str(code))


def _field(name: str, header: Promise) -> Column:
    return Column(header, (name,), lambda row, _cells: row[name])


def _choice(model: type[Any], path: str, header: Promise) -> Column:
    name = path.rsplit("__", 1)[-1]
    return Column(header, (path,), lambda row, cells: cells.label(model, name, row[path]))


def _user_column(prefix: str, header: Promise) -> Column:
    """``str(user)``: display name, else full name, else username; empty without a user."""
    names = tuple(f"{prefix}__{f}" for f in ("username", "display_name", "first_name", "last_name"))

    def value(row: Row, _cells: Cells) -> str:
        username, display, first, last = (row[n] for n in names)
        if username is None:
            return ""
        return person_name(display, first, last, username)

    return Column(header, names, value)


def _tags(row: Row, _cells: Cells) -> str:
    return "、".join(sorted(row["_tags"]))


CUSTOMER_COLUMNS: Final = (
    _field("id", _lazy("编号")),
    _field("name", _lazy("客户名称")),
    _choice(Customer, "kind", _lazy("客户类型")),
    _field("industry", _lazy("行业")),
    _choice(Customer, "size", _lazy("规模")),
    _field("province", _lazy("省份")),
    _field("city", _lazy("城市")),
    _field("address", _lazy("地址")),
    _choice(Customer, "source", _lazy("来源")),
    _user_column("owner", _lazy("客户经理")),
    _choice(Customer, "status", _lazy("状态")),
    _field("since", _lazy("客户起始日期")),
    _field("phone", _lazy("电话")),
    _field("email", _lazy("邮箱")),
    _field("website", _lazy("网站")),
    Column(_lazy("标签"), (), _tags),  # filled per batch (``_with_tags``)
    _field("notes", _lazy("备注")),
    Column(_lazy("创建时间"), ("created_at",), lambda row, _c: _local(row["created_at"])),
)
CONTACT_COLUMNS: Final = (
    _field("customer__name", _lazy("客户名称")),
    _field("name", _lazy("姓名")),
    _field("title", _lazy("职务")),
    _field("mobile", _lazy("手机")),
    _field("phone", _lazy("电话")),
    _field("email", _lazy("邮箱")),
    _field("wechat", _lazy("微信")),
    _field("birthday", _lazy("生日")),
    _choice(Contact, "preferred_channel", _lazy("偏好渠道")),
    _field("is_primary", _lazy("主要联系人")),
    _field("consent_marketing", _lazy("同意营销联系")),
    _field("notes", _lazy("备注")),
)
ORDER_COLUMNS: Final = (
    _field("order__number", _lazy("订单号")),
    _field("order__customer__name", _lazy("客户名称")),
    _field("order__order_date", _lazy("下单日期")),
    _choice(Order, "order__status", _lazy("订单状态")),
    Column(_lazy("产品编码"), ("product__code",), lambda row, _c: row["product__code"] or ""),
    _field("description", _lazy("产品名称")),
    _field("quantity", _lazy("数量")),
    _field("unit_price", _lazy("单价")),
    _field("amount", _lazy("金额")),
    _field("order__note", _lazy("备注")),
)
COMMUNICATION_COLUMNS: Final = (
    _field("customer__name", _lazy("客户名称")),
    Column(_lazy("联系人"), ("contact__name",), lambda row, _c: row["contact__name"] or ""),
    _choice(Communication, "channel", _lazy("渠道")),
    _choice(Communication, "direction", _lazy("方向")),
    Column(_lazy("时间"), ("occurred_at",), lambda row, _c: _local(row["occurred_at"])),
    _field("summary", _lazy("摘要")),
    _user_column("staff", _lazy("员工")),
    _field("next_follow_up", _lazy("下次跟进日期")),
    _field("follow_up_done", _lazy("跟进已完成")),
)
COLUMNS: Final[dict[str, tuple[Column, ...]]] = {
    "customers": CUSTOMER_COLUMNS,
    "contacts": CONTACT_COLUMNS,
    "orders": ORDER_COLUMNS,
    "communications": COMMUNICATION_COLUMNS,
}
TITLES: Final = {
    "customers": _lazy("客户"),
    "contacts": _lazy("联系人"),
    "orders": _lazy("订单"),
    "communications": _lazy("沟通记录"),
}


def _parse_date(raw: Mapping[str, Any], name: str, errors: dict[str, str]) -> dt.date | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[name] = _("必须是日期（YYYY-MM-DD）。")
        return None


def _parse_id(raw: Mapping[str, Any], name: str, errors: dict[str, str]) -> int | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if not 1 <= number <= 2**63 - 1:
        errors[name] = _("必须是正整数。")
        return None
    return number


def export_queryset(*, actor: Any, kind: str, params: Mapping[str, Any]) -> QuerySet[Any]:
    """The scoped, filtered rows of ``kind``. Customers take the list page's filters
    (``q``, ``status``, ``kind``, ``owner``, ``team``, ``tag``, ``province``, ``city``,
    ``sort``); the others ``customer`` (id) and, for orders and communications,
    ``date_from``/``date_to``."""
    if kind not in KINDS:
        raise ValidationFailed({"kind": _("可选：%(values)s") % {"values": "、".join(KINDS)}})
    if kind == "customers":
        filters = selectors.validate_filters(dict(params))
        qs: QuerySet[Any] = selectors.customer_queryset(actor=actor, filters=filters)
        return qs
    errors: dict[str, str] = {}
    customer = _parse_id(params, "customer", errors)
    date_from = _parse_date(params, "date_from", errors)
    date_to = _parse_date(params, "date_to", errors)
    if errors:
        raise ValidationFailed(errors)
    if kind == "contacts":
        qs = selectors.scoped_contacts(actor=actor)
        if customer:
            qs = qs.filter(customer_id=customer)
        return qs.order_by("customer_id", "id")
    if kind == "orders":
        orders = selectors.scoped_orders(actor=actor)
        if customer:
            orders = orders.filter(customer_id=customer)
        if date_from:
            orders = orders.filter(order_date__gte=date_from)
        if date_to:
            orders = orders.filter(order_date__lte=date_to)
        return OrderLine.objects.filter(order__in=orders.values("pk")).order_by(
            "-order__order_date", "order_id", "id"
        )
    qs = selectors.scoped_communications(actor=actor)
    if customer:
        qs = qs.filter(customer_id=customer)
    if date_from:
        qs = qs.filter(occurred_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_at__date__lte=date_to)
    return qs.order_by("-occurred_at", "-id")


def export_rows(qs: QuerySet[Any], kind: str) -> Iterator[list[Any]]:
    """Cell values of each row, read in batches of ``ITER_CHUNK`` (a customer batch's tags
    with one more query)."""
    columns = COLUMNS[kind]
    reads = list(dict.fromkeys(name for c in columns for name in c.reads))
    cells = Cells()
    rows: Iterator[Row] = qs.values(*reads).iterator(chunk_size=ITER_CHUNK)
    if kind == "customers":
        rows = _with_tags(rows)
    for row in rows:
        yield [c.value(row, cells) for c in columns]


def _with_tags(rows: Iterator[Row]) -> Iterator[Row]:
    """Each customer row with ``_tags``: its tag names, read for a whole batch at once."""
    through = Customer.tags.through
    while batch := list(itertools.islice(rows, ITER_CHUNK)):
        tags: dict[int, list[str]] = {}
        for customer_id, name in through.objects.filter(
            customer_id__in=[row["id"] for row in batch]
        ).values_list("customer_id", "tag__name"):
            tags.setdefault(customer_id, []).append(name)
        for row in batch:
            yield {**row, "_tags": tags.get(row["id"], ())}


def export_headers(kind: str) -> list[str]:
    return [str(c.header) for c in COLUMNS[kind]]


def export_filename(kind: str, fmt: str) -> str:
    return f"{TITLES[kind]}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def _check(actor: Any, kind: str, fmt: str) -> None:
    if not scope.can_export(actor):
        raise PermissionDenied(_("你没有导出数据的权限。"))
    errors = {}
    if kind not in KINDS:
        errors["kind"] = _("可选：%(values)s") % {"values": "、".join(KINDS)}
    if fmt not in FORMATS:
        errors["format"] = _("可选：csv、xlsx")
    if errors:
        raise ValidationFailed(errors)


@dataclass
class ExportStart:
    """Either a job (``job``) or, for a small list, the rows to answer at once."""

    job: Job | None
    kind: str
    fmt: str
    filename: str
    rows: int


def export_start(
    *,
    actor: Any,
    kind: str,
    fmt: str,
    params: Mapping[str, Any],
    ip: str | None = None,
    force_job: bool = False,
) -> ExportStart:
    """Check permission and filters; a list over ``INLINE_ROWS`` (or ``force_job``) becomes a
    job, a smaller one is written by the caller with :func:`export_stream`."""
    _check(actor, kind, fmt)
    qs = export_queryset(actor=actor, kind=kind, params=params)
    count = qs.order_by()[: INLINE_ROWS + 1].count()
    clean = {k: str(v) for k, v in params.items() if v not in (None, "")}
    if count <= INLINE_ROWS and not force_job:
        return ExportStart(None, kind, fmt, export_filename(kind, fmt), count)
    with transaction.atomic():
        job = job_create(
            kind="export",
            actor=actor,
            params={"kind": kind, "format": fmt, "filters": clean, "ip": ip},
        )
        from guanxi.customers.import_tasks import export_task

        enqueue_on_commit(export_task, str(job.pk))
    return ExportStart(job, kind, fmt, export_filename(kind, fmt), count)


def export_stream(
    *, actor: Any, kind: str, fmt: str, params: Mapping[str, Any], ip: str | None = None
) -> Iterator[bytes] | bytes:
    """The file of a small export: CSV chunks to stream, or the XLSX bytes. Logged."""
    _check(actor, kind, fmt)
    qs = export_queryset(actor=actor, kind=kind, params=params)
    security_log(
        actor=actor,
        event="export",
        ip=ip,
        kind=kind,
        format=fmt,
        filters={k: str(v) for k, v in params.items() if v not in (None, "")},
        rows=qs.order_by()[: INLINE_ROWS + 1].count(),
    )
    if fmt == "csv":
        return iter_csv(export_rows(qs, kind), export_headers(kind))
    with tempfile.TemporaryFile() as fh:
        write_xlsx(export_rows(qs, kind), export_headers(kind), fh, sheet_title=str(TITLES[kind]))
        fh.seek(0)
        return fh.read()


def export_run_job(job_id: str) -> None:
    """The job body: write the file to storage, log the export, record the file."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    actor = job.created_by
    kind, fmt = job.params["kind"], job.params["format"]
    filters = job.params.get("filters", {})

    def work(report: Callable[[float, str], None]) -> dict[str, Any]:
        _check(actor, kind, fmt)
        qs = export_queryset(actor=actor, kind=kind, params=filters)
        total = max(1, qs.order_by().count())
        counter = {"n": 0}

        def rows() -> Iterator[list[Any]]:
            for row in export_rows(qs, kind):
                counter["n"] += 1
                if counter["n"] % 10_000 == 0:
                    report(
                        min(99.0, 100 * counter["n"] / total),
                        _("已导出 %(n)s 行") % {"n": f"{counter['n']:,}"},
                    )
                yield row

        with tempfile.NamedTemporaryFile(suffix="." + fmt, delete=False) as tmp:
            path = tmp.name
        try:
            if fmt == "csv":
                with open(path, "wb") as fh:
                    n = write_csv(rows(), export_headers(kind), fh)
            else:
                n = write_xlsx(rows(), export_headers(kind), path, sheet_title=str(TITLES[kind]))
            with open(path, "rb") as fh:
                name = default_storage.save(f"exports/{job.pk}.{fmt}", File(fh))
        finally:
            os.unlink(path)
        security_log(
            actor=actor,
            event="export",
            ip=job.params.get("ip"),
            kind=kind,
            format=fmt,
            filters=filters,
            rows=n,
        )
        return {"file": name, "rows": n, "filename": export_filename(kind, fmt)}

    run_job(job_id, work)


def export_file(*, actor: Any, job_id: Any) -> tuple[Any, str]:
    """(open file, download name) of a finished export job the actor may see."""
    from guanxi.core.selectors import job_get

    job = job_get(actor=actor, job_id=job_id)
    if job is None or job.kind != "export":
        raise NotFound(_("导出不存在。"))
    if job.status != JobStatus.SUCCEEDED or not job.result.get("file"):
        raise ValidationFailed({"job": _("导出尚未完成。")})
    return default_storage.open(job.result["file"], "rb"), str(job.result.get("filename"))
