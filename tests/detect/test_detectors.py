"""The other detectors on small apps: each form they must tell apart, and `unknown` where they cannot tell."""

from __future__ import annotations

import pytest

from recovery_tools.detect import (
    DETECTORS,
    connection_hygiene,
    cron_overload,
    google_429,
    image_review_table_mismatch,
    prisma_warmup,
    temporary_queue,
)
from recovery_tools.detect.app import AppSource
from recovery_tools.detect.detection import detect_release
from recovery_tools.detect.model import Verdict
from recovery_tools.detect.releases import BUG_IDS
from tests.detect.conftest import WriteApp

SCHEMA = "model ImageReviewSession {\n  id String @id\n}\nmodel ProductDraft {\n  id String @id\n}\n"


def test_table_mismatch_is_the_scan_against_the_prisma_schema(write_app: WriteApp) -> None:
    app = write_app({"prisma/schema.prisma": SCHEMA,
                     "a.js": "const q = 'SELECT id FROM \"ImageReviewSession\" WHERE id = $1';\n"
                             "db.query(`SELECT * FROM\n  image_review_sessions s`);\n"})
    verdict = image_review_table_mismatch.detect(app)
    assert verdict.state == "broken"
    assert [(e.file, e.line) for e in verdict.evidence] == [("a.js", 3)]
    assert 'did you mean "ImageReviewSession"' in verdict.evidence[0].why


def test_table_mismatch_without_a_schema_is_unknown(write_app: WriteApp) -> None:
    verdict = image_review_table_mismatch.detect(write_app({"a.js": "x = 1;\n"}))
    assert verdict.state == "unknown" and "no Prisma schema" in verdict.evidence[0].why


def test_connection_hygiene_forms(write_app: WriteApp) -> None:
    per_call = "function get() {\n  const client = new PrismaClient();\n  return client;\n}\n"
    verdict = connection_hygiene.detect(write_app({"a.js": per_call}))
    assert verdict.state == "broken" and verdict.evidence[0].line == 2 and "every call" in verdict.evidence[0].why
    fine = ("const one = new PrismaClient();\n"
            "function lazy() { return globalThis.prisma || (globalThis.prisma = new PrismaClient()); }\n"
            "let c;\nfunction other() { c ??= new PrismaClient(); return c; }\n")
    assert connection_hygiene.detect(write_app({"a.js": fine})).state == "fixed"


def test_connection_hygiene_recreation_needs_disconnect_first(write_app: WriteApp) -> None:
    leak = "let p = new PrismaClient();\nasync function reset() {\n  p = new PrismaClient();\n}\n"
    assert connection_hygiene.detect(write_app({"a.ts": leak})).evidence[0].line == 3


def test_warmup_helper_may_be_any_function_that_connects_then_runs_the_callback(write_app: WriteApp) -> None:
    source = ("const withDb = async (fn) => { await prisma.$connect(); return fn(prisma); };\n"
              "export const list = () => withDb((db) => db.user.findMany());\n"
              "export const raw = () => withDb((db) => db.$queryRaw`SELECT 1`);\n")
    assert prisma_warmup.detect(write_app({"a.ts": source})).state == "fixed"
    racing = source + "export const direct = () => prisma.user.count();\n"
    verdict = prisma_warmup.detect(write_app({"a.ts": racing}))
    assert verdict.state == "broken" and [e.line for e in verdict.evidence] == [4]


def test_google_429_loop_without_limit_or_429_is_broken(write_app: WriteApp) -> None:
    source = ("const URL = 'https://customsearch.googleapis.com/customsearch/v1';\n"
              "async function search(q) {\n  let delay = 500;\n  while (true) {\n"
              "    const r = await fetch(URL + q);\n    if (r.ok) return r.json();\n"
              "    await sleep(delay);\n    delay *= 2;\n  }\n}\n")
    verdict = google_429.detect(write_app({"s.js": source}))
    assert verdict.state == "broken" and verdict.evidence[0].line == 4
    assert "no retry limit" in verdict.evidence[0].why and "429" in verdict.evidence[0].why
    assert "backoff" not in verdict.evidence[0].why  # `delay *= 2` grows


def test_google_429_fixed_loop_with_an_attempt_check_inside(write_app: WriteApp) -> None:
    source = ("async function search(q) {\n  for (let attempt = 0; ; attempt++) {\n"
              "    const r = await fetch(`https://www.googleapis.com/customsearch/v1?q=${q}`);\n"
              "    if (r.status !== 429) return r.json();\n    if (attempt >= 5) throw new Error('quota');\n"
              "    await sleep(Math.pow(2, attempt) * 1000);\n  }\n}\n")
    verdict = google_429.detect(write_app({"s.js": source}))
    assert verdict.state == "fixed", verdict


def test_cron_schedule_and_overlap_protection(write_app: WriteApp) -> None:
    every = '{"crons": [{"path": "/api/cron/tick", "schedule": "*/1 * * * *"}]}'
    assert cron_overload.detect(write_app({"vercel.json": every, "x.js": ""})).state == "broken"


def test_cron_every_five_minutes_without_a_lock_in_its_handler_is_broken(write_app: WriteApp) -> None:
    config = '{\n  "crons": [\n    {"path": "/api/cron/tick", "schedule": "*/5 * * * *"}\n  ]\n}\n'
    app = write_app({"vercel.json": config, "api/cron/tick.ts": "export default async function h() {}\n"})
    verdict = cron_overload.detect(app)
    assert verdict.state == "broken" and verdict.evidence[0].file == "api/cron/tick.ts"
    locked = "export default async function h() { await withLock('tick', run); }\n"
    app = write_app({"api/cron/tick.ts": locked})
    assert cron_overload.detect(app).state == "fixed"


def test_cron_without_or_with_a_bad_vercel_json_is_unknown(write_app: WriteApp) -> None:
    assert cron_overload.detect(write_app({"a.js": "x;\n"})).state == "unknown"
    verdict = cron_overload.detect(write_app({"vercel.json": "{ crons: "}))
    assert verdict.state == "unknown" and verdict.evidence[0].file == "vercel.json"


def test_temporary_queue_esm_object_config_and_a_fallback(write_app: WriteApp) -> None:
    config = ("export const QUEUES = {\n  PARSE: 'ai-parsing',\n  IMAGES: 'image-attachment',\n"
              "  SYNC: 'shopify-sync',\n};\n")
    manager = ("import Queue from 'bull';\nconst queues = {};\n"
               "export function queueFor(name) {\n  return queues[name] || (queues[name] = new Queue(name));\n}\n"
               "export const send = () => queueFor('shopify-sync').add({});\n")
    verdict = temporary_queue.detect(write_app({"config/queues.ts": config, "lib/queues.ts": manager}))
    assert verdict.state == "broken"
    assert [(e.file, e.line) for e in verdict.evidence][:1] == [("lib/queues.ts", 4)]
    fixed = manager.replace("queues[name] || (queues[name] = new Queue(name))", "queues[name]")
    assert temporary_queue.detect(write_app({"lib/queues.ts": fixed})).state == "fixed"
    unknown_name = fixed + "export const old = () => queueFor('image-refinement');\n"
    verdict = temporary_queue.detect(write_app({"lib/queues.ts": unknown_name}))
    assert verdict.state == "broken" and "'image-refinement'" in verdict.evidence[0].why


def test_a_file_that_does_not_parse_counts_only_for_the_bugs_its_text_could_hold(write_app: WriteApp) -> None:
    write_app({"good.js": "let a = 1;\n", "bad.ts": "const b = 2;\nfunction (\n"})
    detection = detect_release(write_app({}).root)
    assert set(detection.verdicts) == set(BUG_IDS)
    const = detection.verdicts["const-reassignment"]
    assert const.state == "unknown" and [e.file for e in const.evidence] == ["bad.ts"]
    assert "syntax error at line 2" in const.evidence[0].why
    # no Prisma client, Custom Search URL or queue in its text: it cannot hide those bugs
    for bug_id in ("connection-hygiene", "google-429", "temporary-queue", "prisma-warmup"):
        assert "bad.ts" not in [e.file for e in detection.verdicts[bug_id].evidence], bug_id
    assert detection.release == "incident-without-prisma-warmup"  # unknown counts as broken
    assumed = detect_release(write_app({}).root, assume_fixed=frozenset(BUG_IDS))
    assert assumed.release == "healthy" and assumed.verdicts["google-429"].state == "unknown"


def test_a_detector_that_fails_says_unknown_and_the_others_still_judge(write_app: WriteApp,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(app: AppSource) -> Verdict:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setitem(DETECTORS, "google-429", explode)
    detection = detect_release(write_app({"a.js": "const a = 1;\na = 2;\n"}).root)
    verdict = detection.verdicts["google-429"]
    assert verdict.state == "unknown" and "the detector failed: RecursionError" in verdict.evidence[0].why
    assert detection.verdicts["const-reassignment"].state == "broken"
