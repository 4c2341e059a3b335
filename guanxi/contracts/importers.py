"""What contracts let users import and export (``guanxi.imports.registry``).

Import kinds, for moving from the system Guanxi replaces:

- ``contracts`` — one row a contract of the customer it names (the importer's matcher),
  numbered by the configured pattern unless the file gives its number. A historic
  contract keeps its status (approved, active, finished… in the old system): the import
  does not run it through the internal approval again; "in approval" cannot be imported.
- ``instalments`` — one row an instalment of a contract named by its number. A plan may
  never exceed its contract's amount; the instalment's status follows its contract's
  (waiting, pending or overdue, void for a rejected contract).
- ``collections`` — one row money received for a contract, allocated to its open
  instalments oldest first (as ``collection_create``), never more than is open unless
  the row is a prepayment (预收款).

Each error names the row's column. Undo removes what the run created; undoing
collections counts each touched contract's collected amount and its instalments'
received amounts again from the collections left (``_recount``), so nothing is off by
the money the run had brought in.

Export lists: the receivables aging per customer, owner and department and the overdue
instalments (``exports`` in this module's second half).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Final

from django.db.models import Model, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.accounts.models import User
from guanxi.contracts import selectors
from guanxi.contracts.models import (
    BINDING_STATUSES,
    OPEN_INSTALMENT_STATUSES,
    Collection,
    CollectionAllocation,
    Contract,
    ContractStatus,
    Instalment,
    InstalmentStatus,
    PaymentMethod,
)
from guanxi.contracts.services.aging import aging_refresh, instalment_customers
from guanxi.contracts.services.collections import allocate
from guanxi.contracts.services.contracts import next_number
from guanxi.contracts.services.plans import status_after_receipt
from guanxi.core import audit
from guanxi.core.errors import ValidationFailed
from guanxi.customers.importers.base import (
    CUSTOMER_REF_MESSAGES,
    CustomerRecordWriter,
    timeline_row,
    write_timeline,
)
from guanxi.customers.importers.fields import (
    CUSTOMER_REF,
    REQUIRED_CUSTOMER,
    REQUIRED_CUSTOMER_ERROR,
)
from guanxi.customers.models import TimelineEntry
from guanxi.customers.timeline import TimelineText
from guanxi.imports import registry
from guanxi.imports.context import CREATE_ACTION, UPDATE_ACTION, ChunkResult
from guanxi.imports.fields import (
    AMOUNT,
    BOOL,
    CHOICE,
    DATE,
    NUMBER,
    TEXT,
    USER,
    FieldSpec,
    KindSpec,
    choice_words,
)
from guanxi.imports.models import OnDuplicate
from guanxi.imports.rows import CleanRow
from guanxi.imports.writers import (
    audit_fields,
    create_changes,
    save_simple_updates,
    write_audit,
)

CONTRACT_LABEL: Final = "contracts.contract"
INSTALMENT_LABEL: Final = "contracts.instalment"
COLLECTION_LABEL: Final = "contracts.collection"
ALLOCATION_LABEL: Final = "contracts.collectionallocation"
RECOUNT: Final = "recount"  # the ledger's marker of a contract whose money undo counts again
MAX_SEQUENCE: Final = 999

STATUS_WORDS: Final = choice_words(
    {
        "draft": ("草稿", "未提交", "拟定中"),
        "approved": ("已审批", "审批通过", "已签订", "已签约", "已生效"),
        "rejected": ("已驳回", "驳回", "未通过"),
        "active": ("执行中", "履行中", "生效", "进行中", "in progress"),
        "finished": ("已完成", "已结束", "履行完毕", "完成", "closed", "completed"),
        "terminated": ("已终止", "终止", "作废", "解除", "cancelled"),
    }
)
METHOD_WORDS: Final = choice_words(
    {
        "transfer": ("转账", "银行转账", "电汇", "汇款", "对公转账", "bank transfer", "wire"),
        "acceptance": ("承兑", "汇票", "银行承兑", "商业承兑", "承兑汇票"),
        "cheque": ("支票", "check", "cheque"),
        "cash": ("现金", "cash"),
        "online": ("在线支付", "支付宝", "微信", "微信支付", "alipay", "wechat pay"),
        "other": ("其他", "其它", "other"),
    }
)
CONTRACT_REF: Final = FieldSpec(
    "contract", _("合同编号"), TEXT, required=True, max_length=60,
    aliases=("合同编号", "合同号", "合同", "所属合同", "contract", "contractnumber",
             "contractno"),
)  # fmt: skip
METHOD: Final = FieldSpec(
    "method", _("回款方式"), CHOICE, choices=PaymentMethod, words=METHOD_WORDS,
    aliases=("回款方式", "付款方式", "支付方式", "收款方式", "method", "paymentmethod"),
)  # fmt: skip

CONTRACTS: Final = KindSpec(
    "contracts",
    _("合同"),
    (
        FieldSpec("number", _("合同编号"), TEXT, max_length=60,
                  aliases=("合同编号", "合同号", "编号", "contractnumber", "contractno",
                           "number")),
        *CUSTOMER_REF,
        FieldSpec("title", _("合同名称"), TEXT, required=True, max_length=200,
                  aliases=("合同名称", "合同标题", "名称", "标题", "title", "name",
                           "contractname")),
        FieldSpec("amount", _("合同金额"), AMOUNT, required=True,
                  aliases=("合同金额", "金额", "总金额", "合同总额", "amount", "total")),
        FieldSpec("start_date", _("开始日期"), DATE, required=True,
                  aliases=("开始日期", "起始日期", "生效日期", "合同开始", "startdate",
                           "start")),
        FieldSpec("end_date", _("结束日期"), DATE, required=True,
                  aliases=("结束日期", "截止日期", "到期日期", "合同结束", "enddate", "end")),
        FieldSpec("signed_on", _("签订日期"), DATE,
                  aliases=("签订日期", "签约日期", "签署日期", "signedon", "signed",
                           "signingdate")),
        FieldSpec("status", _("状态"), CHOICE, choices=ContractStatus, words=STATUS_WORDS,
                  aliases=("状态", "合同状态", "status")),
        FieldSpec("owner", _("负责人"), USER,
                  aliases=("负责人", "销售", "客户经理", "签约人", "owner", "salesrep")),
        FieldSpec("notes", _("备注"), TEXT, max_length=5000,
                  aliases=("备注", "说明", "notes", "note", "remark")),
    ),
    required_any=REQUIRED_CUSTOMER,
    required_any_error=REQUIRED_CUSTOMER_ERROR,
)  # fmt: skip

INSTALMENTS: Final = KindSpec(
    "instalments",
    _("回款计划"),
    (
        CONTRACT_REF,
        FieldSpec("sequence", _("期数"), NUMBER,
                  aliases=("期数", "期次", "第几期", "期", "sequence", "instalment", "no")),
        FieldSpec("due_date", _("计划回款日期"), DATE, required=True,
                  aliases=("计划回款日期", "计划日期", "回款日期", "到期日", "应收日期",
                           "duedate", "due", "date")),
        FieldSpec("amount", _("计划金额"), AMOUNT, required=True,
                  aliases=("计划金额", "计划回款金额", "应收金额", "金额", "amount")),
        METHOD,
    ),
)  # fmt: skip

COLLECTIONS: Final = KindSpec(
    "collections",
    _("回款"),
    (
        CONTRACT_REF,
        FieldSpec("received_on", _("回款日期"), DATE, required=True,
                  aliases=("回款日期", "到账日期", "收款日期", "日期", "receivedon", "date")),
        FieldSpec("amount", _("回款金额"), AMOUNT, required=True,
                  aliases=("回款金额", "到账金额", "收款金额", "金额", "amount")),
        METHOD,
        FieldSpec("reference", _("流水号/票据号"), TEXT, max_length=100,
                  aliases=("流水号", "票据号", "银行流水号", "凭证号", "reference", "ref")),
        FieldSpec("prepayment", _("预收款"), BOOL,
                  aliases=("预收款", "是否预收", "prepayment", "advance")),
        FieldSpec("note", _("备注"), TEXT, max_length=500,
                  aliases=("备注", "说明", "note", "notes", "remark")),
    ),
)  # fmt: skip


def may_import(actor: Any) -> bool:
    """The roles that work with contracts (their rows: contracts they may change)."""
    return selectors.can_use(actor)


def _contract_timeline(ctx: Any, contract: Contract, msgid: str, **params: Any) -> dict[str, Any]:
    return timeline_row(
        ctx, customer_id=contract.customer_id, kind="contract", occurred_at=ctx.now,
        title=TimelineText(msgid, {"number": contract.number, "title": contract.title, **params}),
        subject_model=CONTRACT_LABEL, subject_id=contract.pk,
        data={"status": contract.status, "amount": str(contract.amount)},
    )  # fmt: skip


class ContractRefWriter(CustomerRecordWriter):
    """A writer of rows that name a contract by its number."""

    def contracts(self, rows: list[CleanRow], result: ChunkResult) -> dict[int, Contract]:
        """Row number → its contract, locked, for the rows whose contract the actor may
        change; the other rows fail naming the contract column."""
        numbers = {r.values["contract"] for r in rows}
        qs = Contract.objects.select_for_update(of=("self",)).filter(number__in=numbers)
        actor = self.ctx.actor
        q = None if actor is None else selectors.contract_filter(actor)
        visible = {c.number: c for c in (qs if q is None else qs.filter(q)).order_by("id")}
        out: dict[int, Contract] = {}
        for r in rows:
            contract = visible.get(r.values["contract"])
            if contract is None:
                result.fail(r, self.col("contract"), r.values["contract"], "contract_not_found")
            elif actor is not None and not selectors.can_change(actor, contract):
                result.fail(r, self.col("contract"), r.values["contract"], "contract_forbidden")
            else:
                out[r.row] = contract
        return out

    def create_audited(
        self, model: type[Model], label: str, objects: list[Any], result: ChunkResult
    ) -> None:
        """Insert ``objects`` (new ``model`` rows) in one statement, note them in the run's
        ledger (undo deletes them) and write one audit row each."""
        model._default_manager.bulk_create(objects)
        result.add_created(label, [o.pk for o in objects])
        names = audit_fields(model)
        write_audit(
            [
                self.ctx.audit_row(
                    action=CREATE_ACTION, model=label, object_id=o.pk,
                    object_repr=str(o), customer_id=o.customer_id,
                    changes=create_changes({n: getattr(o, n) for n in names}, names),
                )
                for o in objects
            ]
        )  # fmt: skip

    def save_each(
        self, label: str, objects: Mapping[int, Model], befores: dict[int, dict[str, Any]],
        result: ChunkResult,
    ) -> None:  # fmt: skip
        """Rows without a ``version`` (instalments, collections): saved one by one, the
        changed fields only, with their audit rows and ledger entries (undo restores the
        fields that still hold the imported values)."""
        audits = []
        for pk, before in befores.items():
            obj = objects[pk]
            changes = audit.diff(before, audit.snapshot(obj, before.keys()))
            if not changes:
                continue
            obj.save(update_fields=[*changes, "updated_at"])
            result.updated.append([label, pk, {k: v[0] for k, v in changes.items()},
                                   {k: v[1] for k, v in changes.items()}])  # fmt: skip
            audits.append(
                self.ctx.audit_row(
                    action=UPDATE_ACTION, model=label, object_id=pk, object_repr=str(obj),
                    customer_id=getattr(obj, "customer_id", None), changes=changes,
                )
            )  # fmt: skip
        write_audit(audits)


# --- contracts ---------------------------------------------------------------------------


class ContractWriter(ContractRefWriter):
    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        customers = self.resolve_customers(rows, result)
        rows = [r for r in rows if r.row in customers]
        given = {r.values["number"] for r in rows if r.values.get("number")}
        existing = {
            c.number: c
            for c in Contract.objects.select_for_update(of=("self",)).filter(number__in=given)
        }
        seen: set[str] = set()
        creates: list[Contract] = []
        befores: dict[int, dict[str, Any]] = {}
        objects: dict[int, Contract] = {}
        for r in rows:
            v = r.values
            if v["end_date"] < v["start_date"]:
                result.fail(r, self.col("end_date"), v["end_date"], "contract_end_before_start")
                continue
            status = v.get("status") or ContractStatus.APPROVED
            if status == ContractStatus.IN_APPROVAL:
                result.fail(r, self.col("status"), v.get("status"), "contract_status_in_approval")
                continue
            number = v.get("number") or ""
            hit = existing.get(number)
            if number and (hit is not None or number in seen):
                if mode == OnDuplicate.SKIP:
                    result.mark(r, "skip")
                    continue
                if mode == OnDuplicate.CREATE or hit is None:
                    result.fail(r, self.col("number"), number, "contract_number_taken")
                    continue
                if not self._may_update(hit, r, result):
                    continue
                if hit.pk not in befores:
                    befores[hit.pk], objects[hit.pk] = audit.snapshot(hit), hit
                changed = False
                for name in ("title", "amount", "start_date", "end_date", "signed_on", "notes"):
                    if v.get(name) not in (None, "") and getattr(hit, name) != v[name]:
                        setattr(hit, name, v[name])
                        changed = True
                result.mark(r, "update" if changed else "unchanged")
                continue
            customer = customers[r.row]
            owner_id = v.get("owner") or customer.owner_id or ctx.actor_id
            if owner_id is not None and not self.can_assign_to(owner_id):
                result.fail(r, self.col("owner"), v["owner"], "contract_owner_forbidden")
                continue
            team_id = customer.team_id if owner_id == customer.owner_id else None
            if owner_id is not None and owner_id != customer.owner_id:
                team_id = self._team_of(owner_id)
            creates.append(
                Contract(
                    number=number or next_number(), title=v["title"], customer_id=customer.pk,
                    amount=v["amount"], start_date=v["start_date"], end_date=v["end_date"],
                    signed_on=v.get("signed_on"), status=status, notes=v.get("notes", ""),
                    owner_id=owner_id, team_id=team_id, created_by_id=ctx.actor_id,
                )
            )  # fmt: skip
            if number:
                seen.add(number)
            result.mark(r, "create")
        if creates:
            self.create_audited(Contract, CONTRACT_LABEL, creates, result)
            write_timeline(
                [
                    _contract_timeline(ctx, c, gettext_noop("导入合同 %(number)s：%(title)s"))
                    for c in creates
                ]
            )
        if befores:
            save_simple_updates(ctx, Contract, objects, befores, result)
        return result

    def _team_of(self, user_id: int) -> int | None:
        if user_id in self.ctx.user_teams:
            return self.ctx.user_teams[user_id]
        return User.objects.filter(pk=user_id).values_list("team_id", flat=True).first()

    def _may_update(self, contract: Contract, r: CleanRow, result: ChunkResult) -> bool:
        actor = self.ctx.actor
        column, number = self.col("number"), r.values["number"]
        if actor is not None and not selectors.can_change(actor, contract):
            code = (
                "contract_forbidden"
                if selectors.scoped_contracts(actor=actor).filter(pk=contract.pk).exists()
                else "contract_number_taken"
            )
            result.fail(r, column, number, code)
            return False
        if not contract.is_editable:
            result.fail(r, column, number, "contract_locked")
            return False
        return True


# --- instalments -------------------------------------------------------------------------


def _instalment_status(contract: Contract, due: dt.date, today: dt.date) -> str:
    if contract.status == ContractStatus.REJECTED:
        return InstalmentStatus.VOID
    if contract.status not in BINDING_STATUSES:
        return InstalmentStatus.DRAFT
    return InstalmentStatus.OVERDUE if due < today else InstalmentStatus.PENDING


class InstalmentWriter(ContractRefWriter):
    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        contracts = self.contracts(rows, result)
        ids = {c.pk for c in contracts.values()}
        plan: dict[int, dict[int, Instalment]] = defaultdict(dict)
        for instalment in Instalment.objects.filter(contract_id__in=ids).exclude(
            status=InstalmentStatus.VOID
        ):
            plan[instalment.contract_id][instalment.sequence] = instalment
        taken: dict[int, set[int]] = defaultdict(set)  # void ones too: numbers are unique
        for contract_id, number in Instalment.objects.filter(contract_id__in=ids).values_list(
            "contract_id", "sequence"
        ):
            taken[contract_id].add(number)
        today = timezone.localdate()
        creates: list[Instalment] = []
        befores: dict[int, dict[str, Any]] = {}
        objects: dict[int, Instalment] = {}
        for r in rows:
            contract = contracts.get(r.row)
            if contract is None:
                continue
            v = r.values
            if contract.status in (ContractStatus.FINISHED, ContractStatus.TERMINATED):
                result.fail(r, self.col("contract"), v["contract"], "instalment_contract_closed")
                continue
            if v["amount"] <= 0:
                result.fail(r, self.col("amount"), v["amount"], "instalment_amount_zero")
                continue
            sequence = self._sequence(r, result)
            if sequence is False:
                continue
            mine = plan[contract.pk]
            hit = (
                mine.get(sequence)
                if sequence
                else next(
                    (
                        i
                        for i in mine.values()
                        if i.due_date == v["due_date"] and i.amount == v["amount"]
                    ),
                    None,
                )
            )
            if hit is not None and hit.pk is None:  # an earlier row of this file
                if sequence or mode != OnDuplicate.CREATE:
                    result.mark(r, "skip")
                    continue
                hit = None
            if hit is not None and mode == OnDuplicate.SKIP:
                result.mark(r, "skip")
                continue
            clash = hit is None and sequence in taken[contract.pk]
            if sequence and (clash or (hit is not None and mode == OnDuplicate.CREATE)):
                result.fail(r, self.col("sequence"), sequence, "instalment_sequence_taken")
                continue
            if hit is not None and mode == OnDuplicate.UPDATE:
                total = sum((i.amount for i in mine.values() if i is not hit), Decimal("0"))
                if v["amount"] < hit.received or total + v["amount"] > contract.amount:
                    result.fail(r, self.col("amount"), v["amount"], "instalment_over_amount",
                                total=str(contract.amount))  # fmt: skip
                    continue
                if hit.pk not in befores:
                    befores[hit.pk], objects[hit.pk] = audit.snapshot(hit), hit
                changed = False
                for name in ("due_date", "amount", "method"):
                    if v.get(name) and getattr(hit, name) != v[name]:
                        setattr(hit, name, v[name])
                        changed = True
                if hit.status in OPEN_INSTALMENT_STATUSES:
                    hit.status = status_after_receipt(hit, today)
                result.mark(r, "update" if changed else "unchanged")
                continue
            total = sum((i.amount for i in mine.values()), Decimal("0"))
            if total + v["amount"] > contract.amount:
                result.fail(r, self.col("amount"), v["amount"], "instalment_over_amount",
                            total=str(contract.amount))  # fmt: skip
                continue
            if not sequence:
                sequence = max([0, *taken[contract.pk]]) + 1
            taken[contract.pk].add(sequence)
            instalment = Instalment(
                contract=contract, sequence=sequence, due_date=v["due_date"], amount=v["amount"],
                method=v.get("method") or PaymentMethod.TRANSFER,
                status=_instalment_status(contract, v["due_date"], today),
                customer_id=contract.customer_id, owner_id=contract.owner_id,
                team_id=contract.team_id,
            )  # fmt: skip
            mine[sequence] = instalment
            creates.append(instalment)
            result.mark(r, "create")
        if creates:
            self.create_audited(Instalment, INSTALMENT_LABEL, creates, result)
        self.save_each(INSTALMENT_LABEL, objects, befores, result)
        aging_refresh({c.customer_id for c in contracts.values()})
        return result

    def _sequence(self, r: CleanRow, result: ChunkResult) -> int | bool | None:
        """The row's instalment number, ``None`` when not given, ``False`` when wrong."""
        raw = r.values.get("sequence")
        if raw in (None, ""):
            return None
        number = Decimal(raw)
        if number != number.to_integral_value() or not 1 <= number <= MAX_SEQUENCE:
            result.fail(r, self.col("sequence"), raw, "instalment_sequence_invalid")
            return False
        return int(number)


# --- collections -------------------------------------------------------------------------


class CollectionWriter(ContractRefWriter):
    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        contracts = self.contracts(rows, result)
        ids = {c.pk for c in contracts.values()}
        known: dict[tuple[Any, ...], Collection] = {}
        if mode != OnDuplicate.CREATE and ids:
            for c in Collection.objects.filter(contract_id__in=ids):
                known.setdefault(self._key(c.contract_id, c.reference, c.received_on, c.amount), c)
        open_: dict[int, list[Instalment]] = defaultdict(list)
        for instalment in (
            Instalment.objects.select_for_update()
            .filter(contract_id__in=ids, status__in=OPEN_INSTALMENT_STATUSES)
            .order_by("due_date", "sequence")
        ):
            open_[instalment.contract_id].append(instalment)
        today = timezone.localdate()
        touched: dict[int, Instalment] = {}
        befores: dict[int, dict[str, Any]] = {}
        added: dict[int, Decimal] = defaultdict(Decimal)
        made: list[tuple[Collection, list[CollectionAllocation]]] = []
        note_befores: dict[int, dict[str, Any]] = {}
        note_objects: dict[int, Collection] = {}
        for r in rows:
            contract = contracts.get(r.row)
            if contract is None:
                continue
            v = r.values
            if contract.status not in BINDING_STATUSES:
                result.fail(r, self.col("contract"), v["contract"],
                            "collection_contract_not_binding")  # fmt: skip
                continue
            if v["amount"] <= 0:
                result.fail(r, self.col("amount"), v["amount"], "collection_amount_zero")
                continue
            key = self._key(contract.pk, v.get("reference", ""), v["received_on"], v["amount"])
            hit = known.get(key)
            if hit is not None and (mode == OnDuplicate.SKIP or hit.pk is None):
                result.mark(r, "skip")
                continue
            if hit is not None:  # update: what carries no money
                if hit.pk not in note_befores:
                    note_befores[hit.pk] = audit.snapshot(hit, ["method", "note"])
                    note_objects[hit.pk] = hit
                changed = False
                for name in ("method", "note"):
                    if v.get(name) and getattr(hit, name) != v[name]:
                        setattr(hit, name, v[name])
                        changed = True
                result.mark(r, "update" if changed else "unchanged")
                continue
            instalments = open_[contract.pk]
            prepayment = bool(v.get("prepayment"))
            try:
                parts, rest = allocate(
                    v["amount"], [(i.pk, i.open_amount) for i in instalments], None,
                    prepayment=prepayment,
                )  # fmt: skip
            except ValidationFailed:
                due = sum((i.open_amount for i in instalments), Decimal("0"))
                result.fail(r, self.col("amount"), v["amount"], "collection_over_due",
                            due=str(due))  # fmt: skip
                continue
            collection = Collection(
                contract=contract, received_on=v["received_on"], amount=v["amount"],
                method=v.get("method") or PaymentMethod.TRANSFER,
                reference=v.get("reference", ""), prepayment=prepayment, unallocated=rest,
                note=v.get("note", ""), customer_id=contract.customer_id,
                owner_id=contract.owner_id, team_id=contract.team_id,
                created_by_id=ctx.actor_id,
            )  # fmt: skip
            by_id = {i.pk: i for i in instalments}
            allocations = []
            for pk, part in parts:
                instalment = by_id[pk]
                if pk not in befores:
                    befores[pk] = audit.snapshot(instalment, ["received", "status"])
                    touched[pk] = instalment
                instalment.received += part
                instalment.status = status_after_receipt(instalment, today)
                allocations.append(CollectionAllocation(instalment=instalment, amount=part))
            open_[contract.pk] = [i for i in instalments if i.received < i.amount]
            added[contract.pk] += v["amount"]
            made.append((collection, allocations))
            if mode != OnDuplicate.CREATE:
                known[key] = Collection()  # a later row of the file repeating this one
            result.mark(r, "create")
        if made:
            self._create(made, {c.pk: c for c in contracts.values()}, result)
        self._save_instalments(touched, befores, result)
        for contract_id, amount in added.items():
            contract = next(c for c in contracts.values() if c.pk == contract_id)
            before = audit.snapshot(contract, ["collected"])
            Contract.objects.filter(pk=contract_id).update(collected=contract.collected + amount)
            contract.collected += amount
            # Not the collected amount itself (a later collection may change it): undo
            # counts it again from the collections left.
            result.updated.append([CONTRACT_LABEL, contract_id, {RECOUNT: 0}, {RECOUNT: 1}])
            write_audit(
                [
                    ctx.audit_row(
                        action=UPDATE_ACTION, model=CONTRACT_LABEL, object_id=contract_id,
                        object_repr=str(contract), customer_id=contract.customer_id,
                        changes=audit.diff(before, audit.snapshot(contract, ["collected"])),
                    )
                ]
            )  # fmt: skip
        if note_befores:
            self.save_each(COLLECTION_LABEL, note_objects, note_befores, result)
        aging_refresh({c.customer_id for c in contracts.values()})
        return result

    @staticmethod
    def _key(
        contract_id: int, reference: str, received_on: dt.date, amount: Any
    ) -> tuple[Any, ...]:
        if reference:
            return (contract_id, "ref", reference)
        return (contract_id, received_on, Decimal(amount))

    def _create(
        self, made: list[tuple[Collection, list[CollectionAllocation]]],
        contracts: Mapping[int, Contract], result: ChunkResult,
    ) -> None:  # fmt: skip
        ctx = self.ctx
        collections = [c for c, _a in made]
        self.create_audited(Collection, COLLECTION_LABEL, collections, result)
        allocations = []
        for collection, parts in made:
            for allocation in parts:
                allocation.collection = collection
                allocations.append(allocation)
        CollectionAllocation.objects.bulk_create(allocations)
        result.add_created(ALLOCATION_LABEL, [a.pk for a in allocations])
        write_timeline(
            [
                _contract_timeline(ctx, contracts[c.contract_id],
                                   gettext_noop("合同 %(number)s 回款 ¥%(amount)s"),
                                   amount=f"{c.amount:,.2f}")
                for c in collections
            ]
        )  # fmt: skip

    def _save_instalments(
        self, touched: dict[int, Instalment], befores: dict[int, dict[str, Any]],
        result: ChunkResult,
    ) -> None:  # fmt: skip
        audits = []
        for pk, instalment in touched.items():
            changes = audit.diff(befores[pk], audit.snapshot(instalment, ["received", "status"]))
            instalment.save(update_fields=["received", "status", "updated_at"])
            # The ledger entry is the recount's (on the contract): not restored field by field.
            audits.append(
                self.ctx.audit_row(
                    action=UPDATE_ACTION, model=INSTALMENT_LABEL, object_id=pk,
                    object_repr=str(instalment), customer_id=instalment.customer_id,
                    changes=changes,
                )
            )  # fmt: skip
        write_audit(audits)


def _recount(obj: Model, _before: dict[str, Any], _after: dict[str, Any]) -> dict[str, list[Any]]:
    """Undo of collections, after the run's collections were removed: the contract's
    collected amount and its instalments' received amounts and statuses from the
    collections left. Answers the contract's audit changes."""
    if not isinstance(obj, Contract):
        return {}
    today = timezone.localdate()
    received = dict(
        CollectionAllocation.objects.filter(instalment__contract=obj)
        .values("instalment_id")
        .annotate(s=Sum("amount"))
        .values_list("instalment_id", "s")
    )
    for instalment in Instalment.objects.select_for_update().filter(contract=obj):
        now = received.get(instalment.pk) or Decimal("0")
        if now == instalment.received:
            continue
        before = audit.snapshot(instalment, ["received", "status"])
        instalment.received = now
        if instalment.status in (*OPEN_INSTALMENT_STATUSES, InstalmentStatus.RECEIVED):
            instalment.status = status_after_receipt(instalment, today)
        instalment.save(update_fields=["received", "status", "updated_at"])
        audit.audit_update(actor=None, obj=instalment, before=before,
                           customer_id=instalment.customer_id)  # fmt: skip
    aging_refresh([obj.customer_id])
    collected = Collection.objects.filter(contract=obj).aggregate(s=Sum("amount"))["s"]
    collected = collected or Decimal("0.00")
    if collected == obj.collected:
        return {}
    old = obj.collected
    obj.collected = collected
    return {"collected": [str(old), str(collected)]}


def _collection_customer(obj: Model) -> int | None:
    if isinstance(obj, CollectionAllocation):
        return None
    return getattr(obj, "customer_id", None)


@contextmanager
def _instalments_undo_scope(
    created: Mapping[str, list[int]], updated: Sequence[list[Any]], _actor: Any
) -> Iterator[None]:
    """Undo of an instalments chunk removes or restores instalments: their customers'
    maintained aging is recomputed once the chunk is undone (read before, while the
    instalments still exist)."""
    ids = {*created.get(INSTALMENT_LABEL, ()), *(r[1] for r in updated if r[0] == INSTALMENT_LABEL)}
    customers = instalment_customers(ids)
    yield
    aging_refresh(customers)


MESSAGES: Final = {
    **CUSTOMER_REF_MESSAGES,
    "contract_not_found": _("找不到合同“%(value)s”。"),
    "contract_forbidden": _("你无权修改合同“%(value)s”。"),
    "contract_number_taken": _("合同编号“%(value)s”已存在。"),
    "contract_locked": _("合同“%(value)s”已审批，不能通过导入修改；请发起合同变更。"),
    "contract_end_before_start": _("结束日期“%(value)s”早于开始日期。"),
    "contract_status_in_approval": _("不能导入“审批中”的合同：请导入为草稿后提交审批。"),
    "contract_owner_forbidden": _("只能分配给你的数据范围内的销售人员。"),
    "instalment_contract_closed": _("合同“%(value)s”已完成或已终止，不能再添加回款计划。"),
    "instalment_amount_zero": _("计划金额必须大于 0。"),
    "instalment_over_amount": _("计划金额“%(value)s”使各期合计超过合同金额 ¥%(total)s。"),
    "instalment_sequence_taken": _("该合同已有第 %(value)s 期。"),
    "instalment_sequence_invalid": _("期数“%(value)s”须为 1 到 999 的整数。"),
    "collection_contract_not_binding": _("合同“%(value)s”尚未审批通过，不能登记回款。"),
    "collection_amount_zero": _("回款金额必须大于 0。"),
    "collection_over_due": _("回款金额“%(value)s”超过应收金额 ¥%(due)s；多收部分请标记为预收款。"),
}

CONTRACTS_KIND: Final = registry.ImportKind(
    key="contracts",
    label=_("合同"),
    spec=CONTRACTS,
    writer=ContractWriter,
    models=(Contract,),
    also_writes=(TimelineEntry,),
    may_import=may_import,
    messages=MESSAGES,
    order=80,
)
INSTALMENTS_KIND: Final = registry.ImportKind(
    key="instalments",
    label=_("回款计划"),
    spec=INSTALMENTS,
    writer=InstalmentWriter,
    models=(Instalment,),
    may_import=may_import,
    undo=registry.ImportUndo(chunk_scope=_instalments_undo_scope),
    messages=MESSAGES,
    order=81,
)
COLLECTIONS_KIND: Final = registry.ImportKind(
    key="collections",
    label=_("回款"),
    spec=COLLECTIONS,
    writer=CollectionWriter,
    models=(CollectionAllocation, Collection),
    also_writes=(TimelineEntry,),
    may_import=may_import,
    undo=registry.ImportUndo(restore_extra=_recount, customer_id=_collection_customer),
    messages=MESSAGES,
    order=82,
)

for _kind in (CONTRACTS_KIND, INSTALMENTS_KIND, COLLECTIONS_KIND):
    registry.register_kind(_kind)

# The receivables exports (aging, overdue list), in a module of their own.
from guanxi.contracts import exports  # noqa: E402, F401
