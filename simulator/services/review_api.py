"""The image review API over real HTTP on loopback: a merchant reads its review sessions, products and images."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from recovery_tools.urls import sqlalchemy_url
from simulator.models import ImageReviewProduct, ImageReviewProductImage, ImageReviewSession, Merchant
from simulator.observe.logs import LogSink
from simulator.services.http import JsonHandler, LoopbackServer, LoopbackService

SESSIONS_PATH = "/api/image-review/sessions"
_SESSION_BY_ID = re.compile(r"^/api/image-review/sessions/([^/]+)/?$")


def session_document(db: Session, review: ImageReviewSession) -> dict[str, Any]:
    """The JSON answer for one review session: the session, its products, each with its images."""
    products = db.scalars(
        select(ImageReviewProduct)
        .where(ImageReviewProduct.sessionId == review.id)
        .order_by(ImageReviewProduct.sku, ImageReviewProduct.id)
    ).all()
    images = db.scalars(
        select(ImageReviewProductImage)
        .where(ImageReviewProductImage.reviewProductId.in_([product.id for product in products]))
        .order_by(ImageReviewProductImage.position)
    ).all()
    by_product: dict[str, list[dict[str, Any]]] = {product.id: [] for product in products}
    for image in images:
        by_product[image.reviewProductId].append(
            {"id": image.id, "imageUrl": image.imageUrl, "position": image.position, "isApproved": image.isApproved}
        )
    return {
        "session": {
            "id": review.id,
            "workflowId": review.workflowId,
            "merchantId": review.merchantId,
            "status": review.status,
            "createdAt": review.createdAt.isoformat(),
        },
        "products": [
            {
                "id": product.id,
                "productDraftId": product.productDraftId,
                "sku": product.sku,
                "status": product.status,
                "images": by_product[product.id],
            }
            for product in products
        ],
    }


class _ReviewHandler(JsonHandler):
    def do_GET(self) -> None:
        api: ImageReviewApi = self.server.owner  # type: ignore[attr-defined]
        path = self.path_only
        by_id = _SESSION_BY_ID.match(path)
        if by_id is None and path.rstrip("/") != SESSIONS_PATH:
            self.send_json(404, {"error": "not found"})
            return
        if by_id is None and not self.query.get("workflowId"):
            self.send_json(400, {"error": "workflowId query parameter is required"})
            return
        token = _bearer(self.headers.get("Authorization"))
        if token is None:
            self._unauthorized("missing bearer token")
            return
        try:
            with api.session() as db:
                merchant = db.scalars(select(Merchant).where(Merchant.apiToken == token)).first()
                if merchant is None:
                    self._unauthorized("unknown token")
                    return
                lookup = select(ImageReviewSession).where(ImageReviewSession.merchantId == merchant.id)
                if by_id is not None:
                    lookup = lookup.where(ImageReviewSession.id == by_id.group(1))
                else:
                    lookup = lookup.where(ImageReviewSession.workflowId == self.query["workflowId"])
                # Another merchant's session answers exactly like an absent one: nothing leaks.
                review = db.scalars(lookup).first()
                if review is None:
                    self.send_json(404, {"error": "image review session not found"})
                    return
                document = session_document(db, review)
        except SQLAlchemyError as error:
            api._log_error(f"image review API database error: {type(error).__name__}: {error}")
            self.send_json(500, {"error": "internal error"})
            return
        self.send_json(200, document)

    def _unauthorized(self, reason: str) -> None:
        self.send_json(401, {"error": f"unauthorized: {reason}"}, {"WWW-Authenticate": 'Bearer realm="image-review"'})


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class ImageReviewApi(LoopbackService):
    """Serves the review endpoints from the scenario's database; its connections carry `application_name`."""

    def __init__(
        self,
        database_url: str,
        *,
        application_name: str = "po-app-review-api",
        pool_size: int = 2,
        logs: LogSink | None = None,
    ) -> None:
        self.database_url = database_url
        self.logs = logs
        self._engine = create_engine(
            sqlalchemy_url(database_url),
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=10,
            pool_pre_ping=True,
            connect_args={"application_name": application_name, "connect_timeout": 5},
        )
        self._server = LoopbackServer(_ReviewHandler, "image-review-api")

    def session(self) -> Session:
        return Session(self._engine)

    def _log_error(self, message: str) -> None:
        if self.logs is not None:
            self.logs.error(message)

    def stop(self) -> None:
        """Stop serving and close the database connections."""
        self._server.stop()
        self._engine.dispose()
