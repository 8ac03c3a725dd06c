"""A fake Google Custom Search JSON API (image search) on loopback with a per-virtual-minute quota, and its client."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from simulator.clock import Clock
from simulator.services.http import JsonHandler, LoopbackServer, LoopbackService

SEARCH_PATH = "/customsearch/v1"
MAX_NUM = 10  # the API's own limit on results per request


def quota_exceeded_body(quota_per_minute: int) -> dict[str, Any]:
    """The error body Google answers with when the per-minute query quota is used up (with no Retry-After
    header: Google's quota 429s carry none)."""
    message = (
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service "
        "'customsearch.googleapis.com' for consumer 'project_number:000000000000'."
    )
    return {
        "error": {
            "code": 429,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": "rateLimitExceeded"}],
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "service": "customsearch.googleapis.com",
                        "quota_metric": "customsearch.googleapis.com/requests",
                        "quota_limit": "DefaultPerMinutePerProject",
                        "quota_limit_value": str(quota_per_minute),
                    },
                }
            ],
        }
    }


def _bad_request(message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": 400,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": "invalid"}],
            "status": "INVALID_ARGUMENT",
        }
    }


def image_results(query: str, num: int) -> dict[str, Any]:
    """The search answer for `query`: always the same `num` image results for the same query."""
    digest = hashlib.sha256(query.encode()).hexdigest()
    slug = "-".join(query.lower().split())[:40] or "image"
    items = []
    for index in range(num):
        link = f"https://images.example.com/{digest[:16]}/{slug}-{index + 1}.jpg"
        width = 400 + int(digest[index * 2 : index * 2 + 2], 16) * 4
        items.append(
            {
                "kind": "customsearch#result",
                "title": f"{query} — image {index + 1}",
                "link": link,
                "displayLink": "images.example.com",
                "mime": "image/jpeg",
                "fileFormat": "image/jpeg",
                "image": {
                    "contextLink": f"https://shop.example.com/p/{slug}",
                    "width": width,
                    "height": width,
                    "byteSize": width * 150,
                    "thumbnailLink": f"{link}?thumb=1",
                    "thumbnailWidth": 150,
                    "thumbnailHeight": 150,
                },
            }
        )
    return {
        "kind": "customsearch#search",
        "queries": {"request": [{"searchTerms": query, "count": num, "startIndex": 1, "searchType": "image"}]},
        "searchInformation": {"totalResults": str(1000 + int(digest[:4], 16))},
        "items": items,
    }


class _SearchHandler(JsonHandler):
    def do_GET(self) -> None:
        fake: FakeImageSearch = self.server.owner  # type: ignore[attr-defined]
        if self.path_only != SEARCH_PATH:
            self.send_json(404, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}})
            return
        if not fake._admit():
            self.send_json(429, quota_exceeded_body(fake.quota_per_minute))
            return
        latency = fake._latency_of_next()
        if latency:
            try:
                fake.clock.sleep(latency, where="the image search's answer")
            finally:
                fake._answered_slow()
        query = self.query.get("q", "").strip()
        if not query:
            self.send_json(400, _bad_request("Missing required parameter: q"))
            return
        try:
            num = int(self.query.get("num", "10"))
        except ValueError:
            num = 0
        if not 1 <= num <= MAX_NUM:
            self.send_json(400, _bad_request(f"Invalid value for num: must be between 1 and {MAX_NUM}"))
            return
        self.send_json(200, image_results(query, num))


class FakeImageSearch(LoopbackService):
    """The fake API. `quota_per_minute` requests are answered per virtual minute of `clock`; the rest get 429
    RESOURCE_EXHAUSTED without a Retry-After header, as Google answers. Rejected requests use no quota."""

    def __init__(self, clock: Clock, quota_per_minute: int = 100) -> None:
        self.clock = clock
        self.quota_per_minute = quota_per_minute
        # Virtual seconds an admitted request waits before its answer (a slow Google keeps stage jobs in flight),
        # for every request (None) or for as many more as `_slow_left` says.
        self._latency = 0.0
        self._slow_left: int | None = None
        self._slow_in_flight = 0
        self._lock = threading.Lock()
        self._minute = -1
        self._used = 0
        self._requests = 0
        self._rejected = 0
        self._server = LoopbackServer(_SearchHandler, "fake-image-search")

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._requests

    @property
    def rejected_count(self) -> int:
        with self._lock:
            return self._rejected

    def slow_down(self, virtual_seconds: float, requests: int | None = None) -> None:
        """Answer the next `requests` admitted requests (every one: None) after `virtual_seconds`."""
        with self._lock:
            self._latency, self._slow_left = virtual_seconds, requests

    @property
    def slow_in_flight(self) -> int:
        """Slowed requests still waiting for their answer."""
        with self._lock:
            return self._slow_in_flight

    def _latency_of_next(self) -> float:
        with self._lock:
            if not self._latency or self._slow_left == 0:
                return 0.0
            if self._slow_left is not None:
                self._slow_left -= 1
            self._slow_in_flight += 1
            return self._latency

    def _answered_slow(self) -> None:
        with self._lock:
            self._slow_in_flight -= 1

    def _admit(self) -> bool:
        """Count one request; True when it is within this virtual minute's quota."""
        minute = math.floor(self.clock.now() / 60.0)
        with self._lock:
            self._requests += 1
            if minute != self._minute:
                self._minute, self._used = minute, 0
            if self._used < self.quota_per_minute:
                self._used += 1
                return True
            self._rejected += 1
            return False


class ImageSearchError(Exception):
    """The image search failed: unreachable, an HTTP error, or an answer that is not the API's JSON."""


def http_error_message(status: int, reason: str) -> str:
    """How the app words a non-2xx answer: `Google Search API error: ${res.status} ${res.statusText}`."""
    return f"Google Search API error: {status} {reason}"


class RateLimited(ImageSearchError):
    """HTTP 429; `body` is Google's error JSON, `retry_after` the Retry-After header in seconds (Google's quota
    429s send none, so it is None against them)."""

    def __init__(self, retry_after: float | None, body: Any, reason: str = "Too Many Requests") -> None:
        self.retry_after = retry_after
        self.body = body
        error = body.get("error") if isinstance(body, dict) else None
        self.status = str(error.get("status", "")) if isinstance(error, dict) else ""
        super().__init__(http_error_message(429, reason))


class ImageSearchClient:
    """Calls the Custom Search JSON API over HTTP, as the app does."""

    def __init__(self, base_url: str, timeout: float = 5, *, api_key: str = "sim-key", cx: str = "sim-cx") -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.api_key = api_key
        self.cx = cx

    def search(self, query: str, num: int = 3) -> list[str]:
        """Links of up to `num` images for `query`."""
        params = urlencode({"key": self.api_key, "cx": self.cx, "q": query, "searchType": "image", "num": num})
        url = f"{self.base_url}{SEARCH_PATH}?{params}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raw = error.read()
            if error.code == 429:
                raise RateLimited(_retry_after(error.headers.get("Retry-After")), _json_or_text(raw),
                                  str(error.reason)) from None
            raise ImageSearchError(f"{http_error_message(error.code, str(error.reason))}: {_message(raw)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise ImageSearchError(f"image search unreachable at {self.base_url}: {error}") from None
        except ValueError as error:
            raise ImageSearchError(f"image search answered something that is not JSON: {error}") from None
        try:
            return [str(item["link"]) for item in body.get("items", [])]
        except (AttributeError, KeyError, TypeError) as error:
            raise ImageSearchError(f"image search answer lacks items[].link: {error!r}") from None


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _message(raw: bytes) -> str:
    body = _json_or_text(raw)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", body))
    return str(body)[:200]
