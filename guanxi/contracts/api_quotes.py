"""The quotes REST API (``/api/v1/contracts/quotes``). Thin over ``selectors_quotes`` and
``services.quotes``; every read is scoped by the actor's view of the opportunity."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from ninja import Query, Status

from guanxi.accounts import permissions
from guanxi.contracts import selectors_quotes as selectors
from guanxi.contracts.pdf import render_quote_pdf
from guanxi.contracts.schemas_quotes import (
    QuoteCreateIn,
    QuoteDetailOut,
    QuoteFiltersIn,
    QuoteLineAddIn,
    QuoteLineOut,
    QuoteLineUpdateIn,
    QuoteOut,
    QuotePdfIn,
    QuoteUpdateIn,
    QuoteVersionIn,
)
from guanxi.contracts.services import quotes as services
from guanxi.core.api.bases import (
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    actor,
    page_response,
    sent_fields,
)

router = StaffRouter(
    tags=["quotes"],
    allow=permissions.is_staff_actor,
    message=gettext_lazy("你的角色不能使用报价功能。"),
)

PDF = {
    "responses": {
        200: {
            "description": "The quote as a PDF.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _detail(request: HttpRequest, quote: Any) -> Any:
    quote.needs_approval = selectors.needs_approval(actor(request), quote)
    return quote


@router.get("/quotes", response=PageOut[QuoteOut])
def quote_list(
    request: HttpRequest, filters: Query[QuoteFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """The quotes of the opportunities the actor may see, newest first."""
    qs = selectors.quote_list(
        actor=actor(request), opportunity_id=filters.opportunity_id, status=filters.status or ""
    )
    return page_response(qs, page)


@router.post("/quotes", response={201: QuoteDetailOut})
def quote_create(request: HttpRequest, payload: QuoteCreateIn) -> Status[Any]:
    """A draft quote for an opportunity the actor may change (open or won)."""
    data = payload.model_dump()
    quote = services.quote_create(
        actor=actor(request), opportunity_id=data["opportunity_id"], title=data["title"],
        valid_until=data["valid_until"], note=data["note"],
        lines=[{k: v for k, v in line.items() if v is not None} for line in data["lines"]],
    )  # fmt: skip
    return Status(201, _detail(request, quote))


@router.get("/quotes/{quote_id}", response=QuoteDetailOut)
def quote_detail(request: HttpRequest, quote_id: RecordId) -> Any:
    return _detail(request, selectors.quote_get(actor=actor(request), quote_id=quote_id))


@router.patch("/quotes/{quote_id}", response=QuoteDetailOut)
def quote_update(request: HttpRequest, quote_id: RecordId, payload: QuoteUpdateIn) -> Any:
    """Title, validity date or note of a draft; a stale ``version`` is a 409."""
    data = sent_fields(payload)
    version = data.pop("version")
    quote = services.quote_update(actor=actor(request), quote_id=quote_id, version=version,
                                  data=data)  # fmt: skip
    return _detail(request, quote)


@router.post("/quotes/{quote_id}/lines", response={201: QuoteLineOut})
def quote_line_add(
    request: HttpRequest, quote_id: RecordId, payload: QuoteLineAddIn
) -> Status[Any]:
    data = payload.model_dump()
    version = data.pop("version")
    line = services.quote_line_add(
        actor=actor(request), quote_id=quote_id, version=version,
        data={k: v for k, v in data.items() if v is not None},
    )  # fmt: skip
    return Status(201, line)


@router.patch("/quotes/{quote_id}/lines/{line_id}", response=QuoteLineOut)
def quote_line_update(
    request: HttpRequest, quote_id: RecordId, line_id: RecordId, payload: QuoteLineUpdateIn
) -> Any:
    data = sent_fields(payload)
    version = data.pop("version")
    return services.quote_line_update(
        actor=actor(request), quote_id=quote_id, line_id=line_id, version=version, data=data
    )


@router.delete("/quotes/{quote_id}/lines/{line_id}", response=QuoteDetailOut)
def quote_line_remove(
    request: HttpRequest, quote_id: RecordId, line_id: RecordId, version: Query[QuoteVersionIn]
) -> Any:
    quote = services.quote_line_remove(
        actor=actor(request), quote_id=quote_id, line_id=line_id, version=version.version
    )
    return _detail(request, quote)


def _action(name: str, summary: str) -> None:
    service = getattr(services, f"quote_{name}")

    def operation(request: HttpRequest, quote_id: RecordId, payload: QuoteVersionIn) -> Any:
        quote = service(actor=actor(request), quote_id=quote_id, version=payload.version)
        return _detail(request, quote)

    operation.__name__ = f"quote_{name}"
    operation.__doc__ = summary
    router.post(f"/quotes/{{quote_id}}/{name}", response=QuoteDetailOut, url_name=f"quote_{name}")(
        operation
    )


_action("submit", "Send a draft whose discount is above the actor's limit into approval.")
_action("send", "Draft within the actor's limit, or approved → sent (customer timeline).")
_action("accept", "Sent → accepted (customer timeline).")
_action("reject", "Sent → rejected by the customer.")
_action("revise", "A new draft revision with the same lines; this one becomes read-only.")


@router.get("/quotes/{quote_id}/pdf", response={200: None}, openapi_extra=PDF)
def quote_pdf(request: HttpRequest, quote_id: RecordId, params: Query[QuotePdfIn]) -> HttpResponse:
    """The quote as a PDF, in Chinese (``zh-hans``) or English (``en``)."""
    quote = selectors.quote_get(actor=actor(request), quote_id=quote_id)
    content = render_quote_pdf(
        quote=quote, lines=selectors.lines_of(quote=quote), language=params.lang
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.number}-v{quote.revision}.pdf"'
    return response
