"""The demo's quotes, contracts and receivables (``contracts``): price terms and discount
limits, the approval flows (a contract above ¥500,000 goes to the submitter's manager,
then to finance — the administrator plays finance; discounts above the role's limit go to
the direct manager; amendments and invoice requests to finance), quotes in every state,
contracts in every state with their payment plans, collections and invoices.

Bulk writes for the reference data; every quote, contract, plan, collection and invoice
goes through the contracts services, so numbering, the approval requests (live ones wait
on 张伟's and the administrator's "my day"), the audit trail, the timeline and the
instalment statuses are exactly what the product would have made. Runs after the pool and
draws from a generator of its own, so the seeders after it see ``ctx.rng`` as before."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any, Final

from stdnum.cn import uscc

from guanxi.accounts.models import Role, User
from guanxi.approvals.models import ApprovalRequest, ApproverKind, Flow, FlowStep
from guanxi.approvals.services import approval_decide
from guanxi.contracts.models import (
    Contract,
    DiscountLimit,
    InvoiceRequest,
    InvoiceTitle,
    ProductTerms,
    Quote,
)
from guanxi.contracts.services import collections as collection_services
from guanxi.contracts.services import contracts as contract_services
from guanxi.contracts.services import invoices as invoice_services
from guanxi.contracts.services import plans
from guanxi.contracts.services import quotes as quote_services
from guanxi.core import audit
from guanxi.customers.models import Customer, CustomerStatus
from guanxi.demo.context import Context
from guanxi.demo.seeders.accounts import ADMIN_USERNAME
from guanxi.sales.models import Opportunity, OpportunityStatus

DIRECTOR_LIMIT: Final = "500000"
DISCOUNT_LIMITS: Final = [
    (Role.ACCOUNT_MANAGER, Decimal("10.00")),
    (Role.MANAGER, Decimal("25.00")),
    (Role.ADMIN, Decimal("100.00")),
]
UNITS: Final = ["套", "件", "台", "年", "人天"]
BANKS: Final = [
    "中国工商银行上海分行",
    "招商银行深圳分行",
    "中国建设银行北京分行",
    "交通银行杭州分行",
]


def _flows(admin: User) -> None:
    """The approval flows the demo's documents go through."""
    flows = {
        key: Flow(document_type=key, name=name)
        for key, name in (
            ("contract", "合同审批"),
            ("contract_amendment", "合同变更审批"),
            ("invoice_request", "开票审批"),
            ("quote_discount", "报价折扣审批"),
        )
    }
    for flow in flows.values():
        if Flow.objects.filter(document_type=flow.document_type, active=True).exists():
            flow.active = False  # another seeder set one up: keep theirs
    Flow.objects.bulk_create(flows.values())
    steps = [
        FlowStep(flow=flows["contract"], position=1, name="销售总监审批",
                 approver_kind=ApproverKind.MANAGER, condition_field="amount",
                 condition_operator="gt", condition_value=DIRECTOR_LIMIT),
        FlowStep(flow=flows["contract"], position=2, name="财务审批",
                 approver_kind=ApproverKind.USER, user=admin),
        FlowStep(flow=flows["contract_amendment"], position=1, name="财务审批",
                 approver_kind=ApproverKind.USER, user=admin),
        FlowStep(flow=flows["invoice_request"], position=1, name="财务审批",
                 approver_kind=ApproverKind.USER, user=admin),
        FlowStep(flow=flows["quote_discount"], position=1, name="直属上级审批",
                 approver_kind=ApproverKind.MANAGER),
    ]  # fmt: skip
    FlowStep.objects.bulk_create(steps)
    audit.audit_bulk_create(actor=None, objs=[*flows.values(), *steps], customer_attr=None)


def _terms(ctx: Context, rng: random.Random) -> None:
    terms = [
        ProductTerms(
            product=p,
            list_price=p.unit_price,
            unit=rng.choice(UNITS),
            tax_rate=Decimal("6.00") if "服务" in p.name else Decimal("13.00"),
        )
        for p in ctx.products
    ]
    ProductTerms.objects.bulk_create(terms)
    limits = [DiscountLimit(role=role, max_discount=limit) for role, limit in DISCOUNT_LIMITS]
    DiscountLimit.objects.bulk_create(limits)
    audit.audit_bulk_create(actor=None, objs=[*terms, *limits], customer_attr=None)
    ctx.counts["product_terms"] += len(terms)


def _decide(document_type: str, object_id: int, approver: User, decision: str = "approve",
            comment: str = "") -> None:  # fmt: skip
    request = ApprovalRequest.objects.get(document_type=document_type, object_id=object_id)
    approval_decide(actor=approver, request_id=request.pk, decision=decision,
                    version=request.version, comment=comment)  # fmt: skip


def _tax_id(rng: random.Random) -> str:
    base = f"91310115{rng.randrange(10**8, 10**9)}"
    return base + uscc.calc_check_digit(base)


class _Seller:
    """One account manager's customers and opportunities, handed out in turn."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.customers = list(
            Customer.objects.filter(owner=user)
            .exclude(status__in=[CustomerStatus.LOST, CustomerStatus.DORMANT])
            .order_by("id")
        ) or list(Customer.objects.filter(owner=user).order_by("id"))
        self.won = {
            o.customer_id: o
            for o in Opportunity.objects.filter(
                owner=user, status=OpportunityStatus.WON, customer__owner=user
            )
        }
        self.open = list(
            Opportunity.objects.filter(
                owner=user, status=OpportunityStatus.OPEN, customer__owner=user
            ).order_by("id")
        )
        self.turn = 0

    def customer(self) -> Customer:
        with_won = [c for c in self.customers if c.pk in self.won]
        pool = with_won + [c for c in self.customers if c.pk not in self.won]
        chosen = pool[self.turn % len(pool)]
        self.turn += 1
        return chosen


class _Seeder:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rng = random.Random(f"guanxi-demo-contracts-{ctx.n_customers}")
        self.admin = ctx.users[ADMIN_USERNAME]
        self.sellers: dict[str, _Seller] = {
            name: _Seller(ctx.users[name])
            for name in ("lina", "wangfang", "huangmin", "zhaolei")
            if name in ctx.users
        }
        self.titles: dict[int, InvoiceTitle] = {}
        self.contracts: list[Contract] = []

    def day(self, offset: int) -> dt.date:
        return self.ctx.today + dt.timedelta(days=offset)

    # --- quotes ------------------------------------------------------------------------

    def _lines(self, discount: str) -> list[dict[str, Any]]:
        products = [p for p in self.ctx.products if p.active][:6]
        picked = self.rng.sample(products, min(2, len(products)))
        return [
            {"product_id": p.pk, "quantity": str(self.rng.randint(1, 5)),
             "discount_percent": discount if i == 0 else "0"}
            for i, p in enumerate(picked)
        ]  # fmt: skip

    def quotes(self) -> Contract | None:
        """Quotes in every state; the accepted one becomes the demo's draft contract."""
        lina = self.sellers.get("lina")
        if lina is None or not self.ctx.products:
            return None
        actor = lina.user
        opportunities = lina.open[:3]
        won = next(iter(lina.won.values()), None)
        made: list[Quote] = []
        if opportunities:
            made.append(quote_services.quote_create(actor=actor,
                        opportunity_id=opportunities[0].pk, lines=self._lines("5")))  # fmt: skip
            # 20 % off is above an account manager's 10 %: waits on the manager (张伟).
            waiting = quote_services.quote_create(
                actor=actor, opportunity_id=opportunities[-1].pk, lines=self._lines("20")
            )
            quote_services.quote_submit(actor=actor, quote_id=waiting.pk, version=waiting.version)
            made.append(waiting)
        for seller in list(self.sellers.values())[1:3]:
            if not seller.open:
                continue
            quote = quote_services.quote_create(
                actor=seller.user, opportunity_id=seller.open[0].pk, lines=self._lines("8")
            )
            quote = quote_services.quote_send(actor=seller.user, quote_id=quote.pk,
                                              version=quote.version)  # fmt: skip
            made.append(quote)
        if len(made) >= 4:  # the last one sent has passed its validity date
            expired = made[-1]
            Quote.objects.filter(pk=expired.pk).update(valid_until=self.day(-3))
            quote_services.quotes_expire(today=self.ctx.today)
        contract = None
        if won is not None:
            quote = quote_services.quote_create(actor=actor, opportunity_id=won.pk,
                                                lines=self._lines("6"))  # fmt: skip
            quote = quote_services.quote_send(actor=actor, quote_id=quote.pk,
                                              version=quote.version)  # fmt: skip
            quote = quote_services.quote_accept(actor=actor, quote_id=quote.pk,
                                                version=quote.version)  # fmt: skip
            made.append(quote)
            if quote.contract_id:
                contract = Contract.objects.get(pk=quote.contract_id)
                self._plan(contract, count=2, first_due=self.day(30), every=3)
        self.ctx.counts["quotes"] += len(made)
        return contract

    # --- contracts ---------------------------------------------------------------------

    def create(self, seller: str, title: str, amount: str, start: int,
               days: int = 364) -> Contract:  # fmt: skip
        who = self.sellers[seller]
        customer = who.customer()
        opportunity = who.won.get(customer.pk)
        begin = self.day(start)
        contract = contract_services.contract_create(
            actor=who.user,
            customer_id=customer.pk,
            opportunity_id=opportunity.pk if opportunity else None,
            data={"title": title, "amount": Decimal(amount), "start_date": begin,
                  "end_date": begin + dt.timedelta(days=days),
                  "signed_on": begin - dt.timedelta(days=3)},
        )  # fmt: skip
        self.contracts.append(contract)
        return contract

    def _plan(self, contract: Contract, *, count: int, first_due: dt.date, every: int = 1) -> None:
        rows = plans.split_plan(amount=contract.amount, count=count, first_due=first_due,
                                every_months=every)  # fmt: skip
        plans.plan_set(actor=contract.owner, contract_id=contract.pk, rows=rows,
                       version=contract.version)  # fmt: skip
        contract.refresh_from_db()

    def submit(self, contract: Contract) -> None:
        contract_services.contract_submit(actor=contract.owner, contract_id=contract.pk,
                                          version=contract.version)  # fmt: skip
        contract.refresh_from_db()

    def approve(self, contract: Contract) -> None:
        """Through every step: the submitter's manager above the limit, then finance."""
        self.submit(contract)
        owner = contract.owner
        assert owner is not None
        if contract.amount > Decimal(DIRECTOR_LIMIT) and owner.manager_id:
            _decide("contract", contract.pk, User.objects.get(pk=owner.manager_id))
        _decide("contract", contract.pk, self.admin)
        contract.refresh_from_db()

    def plan(self, contract: Contract, count: int, first_due: int, every: int = 1) -> None:
        self._plan(contract, count=count, first_due=self.day(first_due), every=every)

    def collect(self, contract: Contract, amount: str, on: int, *, prepayment: bool = False,
                note: str = "") -> None:  # fmt: skip
        collection_services.collection_create(
            actor=contract.owner, contract_id=contract.pk,
            data={"amount": Decimal(amount), "received_on": self.day(on),
                  "reference": f"YH{self.rng.randrange(10**9, 10**10)}",
                  "prepayment": prepayment, "note": note},
        )  # fmt: skip

    def move(self, contract: Contract, *statuses: str) -> None:
        for status in statuses:
            contract.refresh_from_db()
            contract_services.contract_transition(
                actor=contract.owner, contract_id=contract.pk, status=status,
                version=contract.version,
            )  # fmt: skip
        contract.refresh_from_db()

    def title(self, contract: Contract) -> InvoiceTitle:
        if contract.customer_id not in self.titles:
            customer = contract.customer
            self.titles[contract.customer_id] = invoice_services.invoice_title_create(
                actor=contract.owner, customer_id=customer.pk,
                data={"kind": "company", "name": customer.name, "tax_id": _tax_id(self.rng),
                      "address": (customer.address or "上海市浦东新区张江路 88 号")[:200],
                      "phone": "021-5080" + f"{self.rng.randrange(10**4):04d}",
                      "bank": self.rng.choice(BANKS),
                      "account": f"{self.rng.randrange(10**15, 10**16)}"},
            )  # fmt: skip
        return self.titles[contract.customer_id]

    def invoice(self, contract: Contract, amount: str, state: str) -> InvoiceRequest:
        """An invoice request taken to ``state`` (requested: waiting on finance)."""
        invoice = invoice_services.invoice_request_create(
            actor=contract.owner, contract_id=contract.pk, title_id=self.title(contract).pk,
            amount=Decimal(amount), tax_rate=Decimal("13.00"),
            kind="special" if state in ("issued", "mailed") else "normal",
        )  # fmt: skip
        if state == "requested":
            return invoice
        if state == "rejected":
            reason = "抬头信息有误，请核对后重新申请"
            _decide("invoice_request", invoice.pk, self.admin, "reject", reason)
            return invoice
        _decide("invoice_request", invoice.pk, self.admin)
        if state in ("issued", "mailed"):
            invoice.refresh_from_db()
            invoice = invoice_services.invoice_issue(
                actor=contract.owner, invoice_id=invoice.pk,
                invoice_number=f"{self.rng.randrange(10**7, 10**8)}", issued_on=None,
                version=invoice.version,
            )  # fmt: skip
        if state == "mailed":
            invoice = invoice_services.invoice_mail(
                actor=contract.owner, invoice_id=invoice.pk,
                tracking_number=f"SF{self.rng.randrange(10**11, 10**12)}", version=invoice.version,
            )  # fmt: skip
        return invoice

    def contracts_in_every_state(self) -> None:
        have = set(self.sellers)
        if not {"lina", "wangfang", "huangmin", "zhaolei"} <= have:
            return
        # In approval: above the limit, waiting on 张伟 (lina's manager); and one at finance.
        big = self.create("lina", "集团 CRM 私有化部署合同", "680000.00", 10)
        self.plan(big, 3, 40, 2)
        self.submit(big)
        at_finance = self.create("wangfang", "年度软件服务合同", "180000.00", 5)
        self.plan(at_finance, 2, 30, 6)
        self.submit(at_finance)
        # Approved, its plan pending; rejected by finance, its plan void.
        approved = self.create("huangmin", "移动办公平台采购合同", "240000.00", 7)
        self.plan(approved, 3, 30, 2)
        self.approve(approved)
        rejected = self.create("lina", "数据迁移服务合同", "96000.00", 14)
        self.plan(rejected, 2, 45, 1)
        self.submit(rejected)
        _decide("contract", rejected.pk, self.admin, "reject", "付款条件需与客户重新确认")
        # Active: received, overdue partly, overdue, pending; invoices mailed and issued.
        active = self.create("lina", "经营分析平台实施合同", "360000.00", -100)
        self.plan(active, 4, -70, 1)
        self.approve(active)
        self.move(active, "active")
        self.collect(active, "90000.00", -68, note="第一期款")
        self.collect(active, "40000.00", -35, note="第二期部分款")
        self.invoice(active, "90000.00", "mailed")
        self.invoice(active, "40000.00", "issued")
        # Active above the limit (two steps): partly received before its due date;
        # an invoice approved, another waiting on finance.
        key = self.create("zhaolei", "全员移动办公平台合同", "820000.00", -20)
        self.plan(key, 3, 10, 3)
        self.approve(key)
        self.move(key, "active")
        self.collect(key, "100000.00", -5, note="首付款")
        self.invoice(key, "100000.00", "approved")
        self.invoice(key, "200000.00", "requested")
        # Active long overdue (61–90 and 90+ days); an invoice rejected.
        late = self.create("wangfang", "客服系统升级合同", "80000.00", -180)
        self.plan(late, 2, -160, 3)
        self.approve(late)
        self.move(late, "active")
        self.collect(late, "30000.00", -120, note="部分回款")
        self.invoice(late, "30000.00", "rejected")
        south = self.create("huangmin", "分公司推广服务合同", "150000.00", -200)
        self.plan(south, 2, -170, 4)
        self.approve(south)
        self.move(south, "active")
        self.collect(south, "75000.00", -165)
        # Finished: fully collected, the last payment a prepayment beyond what was due.
        done = self.create("wangfang", "电子签章上线合同", "200000.00", -400)
        self.plan(done, 2, -370, 6)
        self.approve(done)
        self.move(done, "active")
        self.collect(done, "100000.00", -365)
        self.collect(done, "120000.00", -190, prepayment=True, note="含下一年度服务费预收款")
        self.move(done, "finished")
        self.invoice(done, "200000.00", "mailed")
        # Terminated after the first instalment: the rest void.
        ended = self.create("huangmin", "年度续费合同", "300000.00", -300)
        self.plan(ended, 3, -270, 3)
        self.approve(ended)
        self.move(ended, "active")
        self.collect(ended, "100000.00", -268)
        self.move(ended, "terminated")
        # Amended: active, with an amendment waiting on finance.
        amended = self.create("lina", "全渠道客服平台合同", "450000.00", -60)
        self.plan(amended, 3, -30, 2)
        self.approve(amended)
        self.move(amended, "active")
        self.collect(amended, "150000.00", -28)
        contract_services.amendment_create(
            actor=amended.owner, contract_id=amended.pk, version=amended.version,
            data={"amount": Decimal("560000.00"), "reason": "增加二期呼叫中心模块",
                  "end_date": amended.end_date + dt.timedelta(days=180)},
        )  # fmt: skip
        # Each account manager's book gets another running contract.
        for seller, title, amount, start in (
            ("zhaolei", "私有化部署维保合同", "120000.00", -45),
            ("lina", "年度维保合同", "60000.00", -15),
        ):
            contract = self.create(seller, title, amount, start)
            self.plan(contract, 2, start + 30, 2)
            self.approve(contract)
            self.move(contract, "active")

    def backdate(self) -> None:
        """Creation times on the signing dates (the lists sort by them)."""
        for contract in self.contracts:
            contract.refresh_from_db(fields=["signed_on", "start_date"])
            day = contract.signed_on or contract.start_date
            Contract.objects.filter(pk=contract.pk).update(
                created_at=self.ctx.at(min(day, self.ctx.today))
            )


def seed_contracts(ctx: Context) -> None:
    if ADMIN_USERNAME not in ctx.users:
        return
    seeder = _Seeder(ctx)
    _flows(seeder.admin)
    _terms(ctx, seeder.rng)
    draft = seeder.quotes()
    if draft is not None:
        seeder.contracts.append(draft)
    elif "lina" in seeder.sellers:  # no won opportunity to quote: a draft of its own
        seeder.plan(seeder.create("lina", "年度服务框架合同", "50000.00", 20), 2, 50, 3)
    seeder.contracts_in_every_state()
    plans.overdue_mark(today=ctx.today)
    seeder.backdate()
    ctx.counts["contracts"] += Contract.objects.count()
    ctx.counts["invoice_requests"] += InvoiceRequest.objects.count()
    ctx.log(f"报价 {ctx.counts['quotes']}，合同 {ctx.counts['contracts']}，"
            f"开票申请 {ctx.counts['invoice_requests']}")  # fmt: skip
