# Jobs stay queued at the end on purpose: the queues are paused. The job ledger still fails a lost job.
@pre-deployment @jobs_left
Feature: Pre-Deployment Steps
  Before the fix goes out, stop the app from doing more damage: pause the cron and the queues,
  remove the failed jobs that would retry with broken code, and confirm the table names.

  Rule: 1. Pause Cron & Queues

    Background:
      Given the scenario's Redis and Postgres
      And the incident release is running
      And 3 POs have been uploaded
      And the workflows have run for 2 virtual minutes

    Scenario: Pause Cron & Queues stops job processing
      When I run "manage-queues pause"
      Then the command succeeds
      And every queue of the shared config is paused
      And the project's crons are disabled on Vercel
      When I run "manage-queues status --expect paused"
      Then the command succeeds
      And no new job starts within 3 virtual minutes
      And Vercel called the cron path before the pause and not once in 3 virtual minutes while its crons were disabled

    Scenario: Verify queues are paused fails while they still run
      When I run "manage-queues status --expect paused"
      Then the command fails with exit code 1
      And the output has a line containing 'is enabled'

    Scenario: Pause Cron & Queues waits for the jobs in flight before the deploy
      Given a new PO is uploaded while the image search holds its next answer for 600 virtual seconds
      When I run "manage-queues pause --wait-idle 2m"
      Then the command succeeds
      And the recovery ledger shows jobs in flight at the pause
      And no job of the shared config's queues is active
      And the recovery ledger holds a snapshot of every queue of the shared config
      When I run "manage-queues status --expect idle"
      Then the command succeeds
      When the deploy release is pushed
      Then the deploy release is live

  Rule: 2. Clean Failed Jobs

    Background:
      Given the scenario's Redis and Postgres
      And the incident release is running
      And 3 POs have been uploaded

    Scenario: Clean Failed Jobs removes the jobs that would retry with broken code
      Given the incident has left failed jobs
      And I have run "manage-queues pause"
      And the jobs still to run are noted
      When I run "manage-queues clean"
      Then the command succeeds
      And no failed job remains
      And no waiting job was removed

  Rule: 3. Verify Database Schema

    Scenario: Verify Database Schema prints the checklist's expected output
      Given the scenario's Redis and Postgres
      When I run "check-table-names"
      Then the command succeeds
      And the output contains these lines:
        | line                                  |
        | ✅ EXISTS - "ImageReviewSession"      |
        | ✅ EXISTS - "ImageReviewProduct"      |
        | ✅ EXISTS - "ImageReviewProductImage" |
        | ❌ NOT FOUND - "image_review_items"   |
        | ❌ NOT FOUND - "image_review_options" |

    Scenario: Verify Database Schema catches a missing table
      Given the scenario's Redis and Postgres
      And the table "ImageReviewProductImage" has been dropped
      When I run "check-table-names"
      Then the command fails with exit code 1
      And the output has a line containing 'NOT FOUND - "ImageReviewProductImage"'

    Scenario: Verify Database Schema catches a legacy table the broken code expects
      Given the scenario's Redis and Postgres
      And a legacy table "image_review_options" exists
      When I run "check-table-names"
      Then the command fails with exit code 1
      And the output has a line containing 'EXISTS - "image_review_options"'

  # preflight (issue 26): is the stack safe to recover on? The scenario's database is created the way
  # `prisma db push` creates one (no migrations folder, no _prisma_migrations table), so the migrations check
  # holds with nothing to apply and the column-by-column check carries the schema. The scenario's own Redis is a
  # test server kept without persistence on purpose (the embedded Valkey, or the services Redis run with
  # --appendonly no --save ""): preflight finds that, and the first scenario checks that its verdict is what the
  # server really keeps rather than pretending it holds. The stack holds in full once a Redis kept as production
  # needs it (noeviction, AOF everysec) stands in for the scenario's.
  Rule: Preflight: the stack is safe to recover on

    Scenario: Preflight holds on the scenario's stack, its persistence check saying what the test Redis keeps
      Given the scenario's Redis and Postgres
      When I run "preflight --json"
      Then preflight's checks redis.eviction, redis.memory, redis.version, postgres.schema, postgres.migrations, postgres.connections hold
      And preflight's persistence check reports what the scenario's Redis really keeps

    Scenario: Preflight holds on a Redis kept as production needs it
      Given the scenario's Redis and Postgres
      And a Redis with maxmemory-policy noeviction and AOF everysec stands in for the scenario's
      When I run "preflight"
      Then the command succeeds
      And the output has a line containing "maxmemory-policy is noeviction"

    Scenario: Preflight finds a Redis that evicts queue keys
      Given the scenario's Redis and Postgres
      And a Redis with maxmemory-policy allkeys-lru and AOF everysec stands in for the scenario's
      When I run "preflight"
      Then the command fails with exit code 1
      And the output has a line containing "FINDING        redis.eviction: maxmemory-policy is allkeys-lru"

    Scenario: Preflight names a dropped column as Model.field
      Given the scenario's Redis and Postgres
      And a Redis with maxmemory-policy noeviction and AOF everysec stands in for the scenario's
      And the column "mimeType" of "Upload" has been dropped
      When I run "preflight --json"
      Then the command fails with exit code 1
      And preflight's postgres.schema check names "Upload.mimeType"
