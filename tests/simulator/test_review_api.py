"""Image review API: real HTTP on loopback over the scenario's Postgres; bearer token per merchant."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from harness.isolation import ScenarioEnv
from recovery_tools.urls import sqlalchemy_url
from simulator.clock import ManualClock
from simulator.models import (
    ImageReviewProduct,
    ImageReviewProductImage,
    ImageReviewSession,
    Merchant,
    POLineItem,
    ProductDraft,
    PurchaseOrder,
    WorkflowExecution,
)
from simulator.observe.logs import LogSink
from simulator.services.review_api import ImageReviewApi


def add_reviewed_po(db: Session, merchant: str, n: int, skus: list[str]) -> None:
    """A PO of `merchant` with one line per sku, its workflow and a review session with two images per product.

    The models declare no relationships, so each parent is flushed before its children.
    """
    db.add(PurchaseOrder(id=f"po-{n}", merchantId=merchant, poNumber=f"PO-{n}", vendorName="Acme",
                         fileName=f"po-{n}.csv", fileSha256=f"sha-{n}"))
    db.flush()
    db.add(WorkflowExecution(id=f"wf-{n}", purchaseOrderId=f"po-{n}", status="done", currentStage="done"))
    db.flush()
    db.add(ImageReviewSession(id=f"irs-{n}", workflowId=f"wf-{n}", merchantId=merchant))
    db.flush()
    for i, sku in enumerate(skus, start=1):
        db.add(POLineItem(id=f"pol-{n}-{i}", purchaseOrderId=f"po-{n}", lineNumber=i, sku=sku,
                                 description=f"item {sku}", quantity=2, unitCost=Decimal("9.50")))
        db.flush()
        db.add(ProductDraft(id=f"pd-{n}-{i}", workflowId=f"wf-{n}", purchaseOrderLineId=f"pol-{n}-{i}", sku=sku,
                            title=f"Product {sku}"))
        db.flush()
        db.add(ImageReviewProduct(id=f"irp-{n}-{i}", sessionId=f"irs-{n}", productDraftId=f"pd-{n}-{i}", sku=sku))
        db.flush()
        for position in (2, 1):
            db.add(ImageReviewProductImage(id=f"img-{n}-{i}-{position}", reviewProductId=f"irp-{n}-{i}",
                                           imageUrl=f"https://images.example.com/{sku}/{position}.jpg",
                                           position=position))
    db.flush()


@pytest.fixture
def api(scenario: ScenarioEnv) -> Iterator[ImageReviewApi]:
    engine = create_engine(sqlalchemy_url(scenario.database_url))
    with Session(engine) as db, db.begin():
        db.add_all([Merchant(id="m-1", name="Shop One", apiToken="token-one"),
                    Merchant(id="m-2", name="Shop Two", apiToken="token-two")])
        db.flush()
        add_reviewed_po(db, "m-1", 1, ["SKU-B", "SKU-A"])
        add_reviewed_po(db, "m-2", 2, ["SKU-C"])
    engine.dispose()
    service = ImageReviewApi(scenario.database_url)
    service.start()
    yield service
    service.stop()


def get(url: str, token: str | None = "token-one") -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_session_with_products_and_images(api: ImageReviewApi) -> None:
    assert api.base_url.startswith("http://127.0.0.1:")
    status, body = get(f"{api.base_url}/api/image-review/sessions/irs-1")
    assert status == 200
    assert body["session"]["id"] == "irs-1" and body["session"]["workflowId"] == "wf-1"
    assert body["session"]["status"] == "pending_review"
    assert [p["sku"] for p in body["products"]] == ["SKU-A", "SKU-B"]
    first = body["products"][0]
    assert [i["position"] for i in first["images"]] == [1, 2]
    assert first["images"][0]["imageUrl"] == "https://images.example.com/SKU-A/1.jpg"
    assert first["images"][0]["isApproved"] is False


def test_session_by_workflow_id(api: ImageReviewApi) -> None:
    status, body = get(f"{api.base_url}/api/image-review/sessions?workflowId=wf-1")
    assert status == 200 and body["session"]["id"] == "irs-1" and len(body["products"]) == 2
    assert get(f"{api.base_url}/api/image-review/sessions?workflowId=wf-404")[0] == 404
    assert get(f"{api.base_url}/api/image-review/sessions")[0] == 400


def test_missing_session_is_404(api: ImageReviewApi) -> None:
    status, body = get(f"{api.base_url}/api/image-review/sessions/irs-404")
    assert (status, body) == (404, {"error": "image review session not found"})


def test_another_merchants_session_is_404_and_shows_nothing(api: ImageReviewApi) -> None:
    status, body = get(f"{api.base_url}/api/image-review/sessions/irs-2", token="token-one")
    assert (status, body) == (404, {"error": "image review session not found"})
    assert get(f"{api.base_url}/api/image-review/sessions?workflowId=wf-2", token="token-one")[0] == 404
    assert get(f"{api.base_url}/api/image-review/sessions/irs-2", token="token-two")[0] == 200


@pytest.mark.parametrize("token", [None, "forged-token", ""])
def test_missing_or_forged_token_is_401(api: ImageReviewApi, token: str | None) -> None:
    status, body = get(f"{api.base_url}/api/image-review/sessions/irs-1", token=token)
    assert status == 401 and body["error"].startswith("unauthorized")
    assert "session" not in body


def test_basic_auth_is_not_a_bearer_token(api: ImageReviewApi) -> None:
    request = urllib.request.Request(
        f"{api.base_url}/api/image-review/sessions/irs-1", headers={"Authorization": "Basic token-one"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 401 and caught.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_path_is_404_and_writes_are_405(api: ImageReviewApi) -> None:
    assert get(f"{api.base_url}/api/other")[0] == 404
    request = urllib.request.Request(f"{api.base_url}/api/image-review/sessions/irs-1", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 405


def test_connections_carry_the_application_name(api: ImageReviewApi, scenario: ScenarioEnv) -> None:
    assert get(f"{api.base_url}/api/image-review/sessions/irs-1")[0] == 200
    with psycopg.connect(scenario.database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            ("po-app-review-api",),
        ).fetchone()
    assert row is not None and row[0] >= 1


def test_a_database_error_is_a_500_logged_with_the_real_postgres_error(scenario: ScenarioEnv) -> None:
    with psycopg.connect(scenario.database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO \"Merchant\" (id, name, \"apiToken\") VALUES ('m-9', 'Nine', 'token-nine')")
        conn.execute('DROP TABLE "ImageReviewProductImage"')
        conn.execute('DROP TABLE "ImageReviewProduct"')
        conn.execute('DROP TABLE "ImageReviewSession"')
    logs = LogSink(scenario.redis_url, scenario.prefix, ManualClock(), "api")
    with ImageReviewApi(scenario.database_url, logs=logs) as service:
        status, body = get(f"{service.base_url}/api/image-review/sessions/irs-1", token="token-nine")
    assert (status, body) == (500, {"error": "internal error"})
    assert len(logs.matching("relation-does-not-exist")) == 1
    logs.close()
