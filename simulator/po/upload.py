"""Uploading a PO file: one transaction writes the upload, the PO, its lines and a pending workflow, or nothing."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simulator.models import Merchant, POLineItem, PurchaseOrder, Upload, WorkflowExecution
from simulator.po.model import POFileError
from simulator.po.parse import parse_po
from simulator.workflow.stages import FIRST_STAGE

MIME_TYPES = {"csv": "text/csv", "json": "application/json"}


class UnknownMerchantError(LookupError):
    """The upload names a merchant that does not exist."""


@dataclass(frozen=True)
class UploadResult:
    """What an accepted upload created: the PO and the workflow that will process it."""

    purchase_order_id: str
    workflow_id: str
    po_number: str = ""
    line_count: int = 0


def new_id(kind: str) -> str:
    return f"{kind}_{uuid.uuid4().hex}"


def ensure_merchant(session: Session, merchant_id: str, name: str, api_token: str) -> Merchant:
    """The merchant with this id, created with `name` and `api_token` when absent (an existing one is kept)."""
    session.execute(
        insert(Merchant).values(id=merchant_id, name=name, apiToken=api_token).on_conflict_do_nothing(
            index_elements=["id"]
        )
    )
    merchant = session.get(Merchant, merchant_id)
    assert merchant is not None  # just inserted or already there, in this transaction
    return merchant


def upload_po(session: Session, merchant_id: str, filename: str, content: bytes) -> UploadResult:
    """Validate and store a PO file for a merchant; the workflow starts 'pending' at stage 'ai-parsing'.

    Raises POFileError (bad file, or the same file already uploaded for this merchant) or
    UnknownMerchantError before anything is written; the session is left usable either way.
    """
    order = parse_po(filename, content)
    if session.get(Merchant, merchant_id) is None:
        raise UnknownMerchantError(f"merchant {merchant_id!r} does not exist")
    digest = hashlib.sha256(content).hexdigest()
    _refuse_duplicate(session, merchant_id, filename, digest)

    purchase_order_id, workflow_id = new_id("po"), new_id("wf")
    try:
        with session.begin_nested():  # a savepoint: a concurrent duplicate undoes only this upload
            session.add(
                PurchaseOrder(
                    id=purchase_order_id,
                    merchantId=merchant_id,
                    poNumber=order.po_number,
                    vendorName=order.vendor_name,
                    fileName=filename,
                    fileSha256=digest,
                    status="uploaded",
                )
            )
            session.flush()  # the parent row first: lines and workflow reference it
            session.add_all(
                POLineItem(
                    id=new_id("pol"),
                    purchaseOrderId=purchase_order_id,
                    lineNumber=line.line_number,
                    sku=line.sku,
                    description=line.description,
                    quantity=line.quantity,
                    unitCost=line.unit_cost,
                )
                for line in order.lines
            )
            session.add(
                Upload(id=new_id("upl"), merchantId=merchant_id, purchaseOrderId=purchase_order_id, fileName=filename,
                       fileSize=len(content), mimeType=MIME_TYPES[order.format], status="uploaded")
            )
            session.add(
                WorkflowExecution(id=workflow_id, purchaseOrderId=purchase_order_id, status="pending",
                                  currentStage=FIRST_STAGE)
            )
            session.flush()
    except IntegrityError as error:
        if "fileSha256" not in str(error.orig):
            raise
        _refuse_duplicate(session, merchant_id, filename, digest)
        raise POFileError(filename, f"already uploaded for merchant {merchant_id}") from None
    return UploadResult(purchase_order_id, workflow_id, order.po_number, len(order.lines))


def _refuse_duplicate(session: Session, merchant_id: str, filename: str, digest: str) -> None:
    earlier = session.execute(
        select(PurchaseOrder.id, PurchaseOrder.fileName).where(
            PurchaseOrder.merchantId == merchant_id, PurchaseOrder.fileSha256 == digest
        )
    ).first()
    if earlier is not None:
        raise POFileError(
            filename,
            f"already uploaded for merchant {merchant_id} as {earlier.fileName!r} (purchase order {earlier.id}); "
            "nothing was written",
        )
