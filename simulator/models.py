"""SQLAlchemy 2 models mirroring schema.prisma: quoted PascalCase tables, camelCase columns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import ForeignKey, Index, Numeric, Table, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base; its metadata is the schema that apply_schema() creates."""


def _now() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


def _parent(table_column: str, *, cascade: bool = True) -> Mapped[str]:
    return mapped_column(ForeignKey(table_column, ondelete="CASCADE" if cascade else None))


class Merchant(Base):
    __tablename__ = "Merchant"
    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    apiToken: Mapped[str] = mapped_column(unique=True)
    createdAt: Mapped[datetime] = _now()


class PurchaseOrder(Base):
    __tablename__ = "PurchaseOrder"
    __table_args__ = (UniqueConstraint("merchantId", "fileSha256"),)
    id: Mapped[str] = mapped_column(primary_key=True)
    merchantId: Mapped[str] = _parent("Merchant.id", cascade=False)
    poNumber: Mapped[str]
    vendorName: Mapped[str]
    fileName: Mapped[str]
    fileSha256: Mapped[str]
    status: Mapped[str] = mapped_column(server_default="uploaded")
    createdAt: Mapped[datetime] = _now()


class Upload(Base):
    __tablename__ = "Upload"
    id: Mapped[str] = mapped_column(primary_key=True)
    merchantId: Mapped[str] = _parent("Merchant.id", cascade=False)
    purchaseOrderId: Mapped[str] = mapped_column(ForeignKey("PurchaseOrder.id", ondelete="CASCADE"), unique=True)
    fileName: Mapped[str]
    fileSize: Mapped[int]
    mimeType: Mapped[str]
    status: Mapped[str] = mapped_column(server_default="uploaded")
    createdAt: Mapped[datetime] = _now()


class POLineItem(Base):
    __tablename__ = "POLineItem"
    __table_args__ = (UniqueConstraint("purchaseOrderId", "lineNumber"),)
    id: Mapped[str] = mapped_column(primary_key=True)
    purchaseOrderId: Mapped[str] = _parent("PurchaseOrder.id")
    lineNumber: Mapped[int]
    sku: Mapped[str]
    description: Mapped[str]
    quantity: Mapped[int]
    unitCost: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class WorkflowExecution(Base):
    __tablename__ = "WorkflowExecution"
    __table_args__ = (Index("WorkflowExecution_status_idx", "status"),)
    id: Mapped[str] = mapped_column(primary_key=True)
    purchaseOrderId: Mapped[str] = _parent("PurchaseOrder.id")
    status: Mapped[str] = mapped_column(server_default="pending")
    currentStage: Mapped[str] = mapped_column(server_default="ai-parsing")
    attempts: Mapped[int] = mapped_column(server_default="0")
    createdAt: Mapped[datetime] = _now()
    updatedAt: Mapped[datetime] = _now()


class WorkflowStageExecution(Base):
    __tablename__ = "WorkflowStageExecution"
    __table_args__ = (Index("WorkflowStageExecution_workflowId_idx", "workflowId"),)
    id: Mapped[str] = mapped_column(primary_key=True)
    workflowId: Mapped[str] = _parent("WorkflowExecution.id")
    stage: Mapped[str]
    status: Mapped[str]
    attempt: Mapped[int] = mapped_column(server_default="1")
    startedAt: Mapped[datetime] = _now()
    finishedAt: Mapped[datetime | None]
    error: Mapped[str | None]


class ProductDraft(Base):
    __tablename__ = "ProductDraft"
    __table_args__ = (UniqueConstraint("workflowId", "purchaseOrderLineId"),)
    id: Mapped[str] = mapped_column(primary_key=True)
    workflowId: Mapped[str] = _parent("WorkflowExecution.id")
    purchaseOrderLineId: Mapped[str] = _parent("POLineItem.id")
    sku: Mapped[str]
    title: Mapped[str]
    status: Mapped[str] = mapped_column(server_default="draft")
    createdAt: Mapped[datetime] = _now()


class ProductImage(Base):
    __tablename__ = "ProductImage"
    __table_args__ = (UniqueConstraint("productDraftId", "position"),)
    id: Mapped[str] = mapped_column(primary_key=True)
    productDraftId: Mapped[str] = _parent("ProductDraft.id")
    url: Mapped[str]
    source: Mapped[str] = mapped_column(server_default="google")
    position: Mapped[int]


class ImageReviewSession(Base):
    __tablename__ = "ImageReviewSession"
    id: Mapped[str] = mapped_column(primary_key=True)
    workflowId: Mapped[str] = mapped_column(ForeignKey("WorkflowExecution.id", ondelete="CASCADE"), unique=True)
    merchantId: Mapped[str] = _parent("Merchant.id", cascade=False)
    status: Mapped[str] = mapped_column(server_default="pending_review")
    createdAt: Mapped[datetime] = _now()


class ImageReviewProduct(Base):
    __tablename__ = "ImageReviewProduct"
    __table_args__ = (UniqueConstraint("sessionId", "productDraftId"),)
    id: Mapped[str] = mapped_column(primary_key=True)
    sessionId: Mapped[str] = _parent("ImageReviewSession.id")
    productDraftId: Mapped[str] = _parent("ProductDraft.id")
    sku: Mapped[str]
    status: Mapped[str] = mapped_column(server_default="pending")


class ImageReviewProductImage(Base):
    __tablename__ = "ImageReviewProductImage"
    __table_args__ = (UniqueConstraint("reviewProductId", "position"),)
    id: Mapped[str] = mapped_column(primary_key=True)
    reviewProductId: Mapped[str] = _parent("ImageReviewProduct.id")
    imageUrl: Mapped[str]
    position: Mapped[int]
    isApproved: Mapped[bool] = mapped_column(server_default="false")


def table(model: type[Base]) -> Table:
    """The Core table of a model, for statements that skip the ORM's per-statement bookkeeping."""
    return cast(Table, model.__table__)
