"""Fake Google image search: real HTTP on loopback, deterministic results, a quota per virtual minute."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from simulator.clock import ManualClock
from simulator.observe.logs import signatures_in
from simulator.services.image_search import FakeImageSearch, ImageSearchClient, ImageSearchError, RateLimited


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def service(clock: ManualClock) -> Iterator[FakeImageSearch]:
    fake = FakeImageSearch(clock, quota_per_minute=3)
    fake.start()
    yield fake
    fake.stop()


def get(url: str) -> tuple[int, dict[str, str], dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_serves_the_custom_search_shape_on_loopback(service: FakeImageSearch) -> None:
    assert service.base_url.startswith("http://127.0.0.1:")
    status, headers, body = get(f"{service.base_url}/customsearch/v1?q=blue+mug&searchType=image&num=2&key=k&cx=c")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert body["kind"] == "customsearch#search"
    assert [item["mime"] for item in body["items"]] == ["image/jpeg", "image/jpeg"]
    assert all(item["link"].startswith("https://") for item in body["items"])


def test_results_are_deterministic_per_query(service: FakeImageSearch) -> None:
    client = ImageSearchClient(service.base_url)
    first = client.search("ceramic mug", num=3)
    assert len(first) == 3 and len(set(first)) == 3
    assert client.search("ceramic mug", num=3) == first
    assert client.search("steel kettle", num=3) != first


def test_over_quota_answers_googles_429_body_without_retry_after(service: FakeImageSearch, clock: ManualClock) -> None:
    clock.advance(15.0)
    for _ in range(3):
        assert get(f"{service.base_url}/customsearch/v1?q=x&num=1")[0] == 200
    status, headers, body = get(f"{service.base_url}/customsearch/v1?q=x&num=1")
    assert status == 429
    assert "Retry-After" not in headers  # Google's quota 429s carry none
    error = body["error"]
    assert error["code"] == 429 and error["status"] == "RESOURCE_EXHAUSTED"
    assert error["errors"][0]["reason"] == "rateLimitExceeded"
    assert "quota metric 'Queries' and limit 'Queries per minute'" in error["message"]
    metadata = error["details"][0]["metadata"]
    assert metadata["quota_metric"] and metadata["quota_limit"] and metadata["quota_limit_value"] == "3"
    assert service.request_count == 4 and service.rejected_count == 1


def test_quota_renews_each_virtual_minute(service: FakeImageSearch, clock: ManualClock) -> None:
    client = ImageSearchClient(service.base_url)
    for _ in range(3):
        client.search("lamp")
    with pytest.raises(RateLimited):
        client.search("lamp")
    clock.advance(60.0)
    assert len(client.search("lamp")) == 3


def test_client_raises_rate_limited_as_the_app_logs_it(service: FakeImageSearch, clock: ManualClock) -> None:
    clock.advance(50.5)
    client = ImageSearchClient(service.base_url)
    for _ in range(3):
        client.search("chair", num=1)
    with pytest.raises(RateLimited) as caught:
        client.search("chair", num=1)
    assert str(caught.value) == "Google Search API error: 429 Too Many Requests"
    assert caught.value.retry_after is None
    assert caught.value.status == "RESOURCE_EXHAUSTED"
    assert caught.value.body["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert signatures_in(str(caught.value)) == ["google-429"]
    assert isinstance(caught.value, ImageSearchError)


@pytest.mark.parametrize("num", [0, 11])
def test_bad_num_is_a_400_and_an_image_search_error(service: FakeImageSearch, num: int) -> None:
    expected = "Google Search API error: 400 Bad Request: Invalid value for num"
    with pytest.raises(ImageSearchError, match=expected) as caught:
        ImageSearchClient(service.base_url).search("sofa", num=num)
    assert not isinstance(caught.value, RateLimited)


def test_unreachable_service_is_an_image_search_error(clock: ManualClock) -> None:
    fake = FakeImageSearch(clock)
    url = fake.start()
    fake.stop()  # the port is closed now
    with pytest.raises(ImageSearchError, match="unreachable"):
        ImageSearchClient(url, timeout=2).search("table")


def test_unknown_path_is_404(service: FakeImageSearch) -> None:
    assert get(f"{service.base_url}/nothing-here")[0] == 404


def test_a_slowdown_for_one_request_holds_that_request_only(service: FakeImageSearch, clock: ManualClock) -> None:
    url = f"{service.base_url}/customsearch/v1?q=blue+mug&searchType=image&num=1&key=k&cx=c"
    service.slow_down(100.0, requests=1)
    started = clock.now()
    assert get(url)[0] == 200
    held = clock.now() - started
    assert get(url)[0] == 200
    assert held == 100.0 and clock.now() - started == 100.0, "the second request was answered at once"
    assert service.slow_in_flight == 0
