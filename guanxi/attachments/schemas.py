from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from guanxi.core.api.bases import InputSchema


class AttachmentOut(Schema):
    id: int
    record_type: str = Field(..., alias="target_model", description="e.g. customers.customer")
    record_id: str = Field(..., alias="target_id")
    name: str
    size: int = Field(..., description="Bytes.")
    content_type: str = Field(..., description="The type found in the content, not the client's.")
    sha256: str
    uploaded_by: str | None = Field(None, alias="uploaded_by.username")
    created_at: dt.datetime
    shared_with_customer: bool = Field(
        ..., description="Shown to the record's customer in the customer portal."
    )


class AttachmentSharingIn(InputSchema):
    shared_with_customer: bool = Field(
        ..., description="true: the record's customer sees the file in the portal; false: not."
    )
