@follow-ups
Feature: Follow-Up Tasks
  After a stable deployment, the follow-up tasks make the remaining issues go away for good.
  Each is checked against the release that has it done.

  Rule: 1. Queue Configuration: verify Redis queue definitions exist, no "creating temporary queue"

    @temporary-queue @broken
    Scenario: Queue Configuration, broken: a producer names a queue missing from the shared config
      Given the scenario's Redis and Postgres
      And a release where temporary-queue is broken
      And 3 POs of 2 lines each have been uploaded
      When the workflows run for up to 20 virtual minutes
      Then the logs show "Queue background-image-processing not found (jobType: undefined), creating temporary queue"
      And 3 jobs wait on the temporary queue "background-image-processing" of the default Redis
      And no workflow got past "status-update"
      When I run "manage-queues list --json"
      Then the command succeeds
      And the queue list shows no queue outside the shared config

    @temporary-queue @fixed
    Scenario: Queue Configuration, fixed: every queue comes from the shared config and is served
      Given the scenario's Redis and Postgres
      And a release where temporary-queue is fixed
      And 3 POs of 2 lines each have been uploaded
      When the workflows run for up to 20 virtual minutes
      Then the logs do not show "creating temporary queue"
      And no job waits on the temporary queue "background-image-processing" of the default Redis
      And every workflow is at stage "done"
      When I run "manage-queues list --json"
      Then the command succeeds
      And every queue of the shared config is served, and every queue the workflow uses is defined in Redis
      And the queue list shows no queue outside the shared config

  Rule: 2. Rate Limiting: backoff for Google Image Search, retry limits

    @google-429 @fixed
    Scenario: Rate Limiting keeps every PO's images under a tight quota
      Given the scenario's Redis and Postgres
      And the image search allows 8 requests per virtual minute
      And a release where google-429 is fixed
      And 4 POs of 5 lines each have been uploaded
      When the workflows run for up to 20 virtual minutes
      Then the image search answered no requests with 429
      And no product drafts are left without images
      And all of the workflows are done

  Rule: 3. Legacy Code Cleanup: remove unused raw SQL, fully migrate to Prisma

    Scenario: Legacy Code Cleanup: the raw SQL scan finds the legacy tables in the broken code only
      Given the scenario's Redis and Postgres
      When I run "check-table-names --scan simulator/bugs/image_review_table_mismatch.py"
      Then the command fails with exit code 1
      And the output has a line containing 'NOT FOUND - "image_review_options"'
      When I run "check-table-names --scan simulator/workflow"
      Then the command succeeds

  Rule: 4. Connection Hygiene: close old Prisma clients, limit client recreation

    @connection-hygiene @fixed
    Scenario: Connection Hygiene keeps the pool under 25 under a burst of lookups
      Given the scenario's Redis and Postgres
      And the app runs at 60 virtual seconds per wall second, sampled every virtual second
      And a release where connection-hygiene is fixed
      And 3 POs of 12 lines each have been uploaded
      When the workflows run for up to 20 virtual minutes
      Then Postgres connections peak under 25
      And the logs do not show "Timed out fetching a new connection from the connection pool"
      And all of the workflows are done

  Rule: 5. Cron Optimization: interval of 2-5 minutes, smarter batching

    @cron-overload @fixed
    Scenario: Cron Optimization runs every few minutes, one run at a time, in batches
      Given the scenario's Redis and Postgres
      And a release where cron-overload is fixed
      And 12 POs of 3 lines each have been uploaded
      When the workflows run for 10 virtual minutes
      Then the cron is scheduled every 2 to 5 virtual minutes
      And cron runs never overlapped
      And scheduled cron runs start at least 2 virtual minutes apart
      And no cron run picks more than 10 workflows
