# Jobs stay queued at the end on purpose: the queues are paused before the deploy. The deploy release
# still sends the background image job to a temporary queue on another Redis (temporary-queue), where the
# ledger of the app's Redis never sees it. The job ledger still fails a lost job.
@post-deployment @jobs_left
Feature: Post-Deployment Verification
  After the push: watch the deployment go live, resume the queues once it has, upload a new PO
  while watching the logs, and check for the issues this deploy does not fix.

  Background:
    Given the scenario's Redis and Postgres
    And the incident release is running
    And 3 POs have been uploaded
    And the workflows have run for 5 virtual minutes
    And I have run "manage-queues pause"
    And I have run "manage-queues clean"

  Rule: 1. Monitor Deployment

    Scenario: Monitor Deployment: build success, Prisma client generation, deployment live
      When the deploy release is pushed
      Then the deployment logs show, in order:
        | line                     |
        | Build success            |
        | Prisma client generation |
        | Deployment live          |
      And the deploy release is live

    Scenario: Monitor Deployment: build success: the deployed code loads
      esbuild bundles the entry points of the release under test as the build would: a name exported twice, an
      import of a file or a name that is not there, an assignment to a const, a syntax error fail the build, and
      the gate names each with its file:line:column and esbuild's message.

      When the code the release under test deploys is bundled with esbuild
      Then the deployed code loads

  Rule: 2. Resume Queues

    Scenario: Resume Queues once the deployment is complete
      When the deploy release is pushed and I run "manage-queues resume --poll-interval 0.05" with --after-deployment while it builds
      Then the command succeeds
      And nothing was resumed before the deployment was READY
      When I run "manage-queues status --expect running"
      Then the command succeeds
      And every queue of the shared config is running
      And the project's crons are enabled on Vercel

    Scenario: Resume Queues refuses a deployment whose build failed
      Given the deploy release has been pushed and its build failed
      When I run "manage-queues resume --poll-interval 0.05" with --after-deployment on the failed deployment
      Then the command fails with exit code 1
      And every queue of the shared config is paused
      And the project's crons are disabled on Vercel

  Rule: 3. Test PO Upload Flow
    The upload is complete once status-update has run. The background refinement of its images follows on a
    queue the deploy release still names wrongly (the temporary-queue follow-up), so it is not awaited here.

    Scenario: Test PO Upload Flow end to end while the logs are watched
      Given the deploy release has been pushed
      And I have run "manage-queues resume"
      When a new PO file is uploaded
      Then within 30 virtual minutes the new workflow progresses through every stage:
        | stage                  |
        | ai-parsing             |
        | database-save          |
        | product-draft-creation |
        | image-attachment       |
        | shopify-sync           |
        | status-update          |
      And since the push the logs show none of these signatures:
        | signature               |
        | engine-not-connected    |
        | relation-does-not-exist |
        | const-assignment        |
      And the image review endpoint answers 200 for the new workflow

  Rule: 4. Check for Remaining Issues
    This deploy fixes two bugs; the issues it leaves must still be visible to whoever watches the logs.

    Scenario: Check for Remaining Issues under load after the deploy
      Given the deploy release has been pushed
      And I have run "manage-queues resume"
      When 3 POs of 12 lines each are uploaded
      And 2 POs are uploaded
      And the workflows run for up to 20 virtual minutes
      Then since the push the logs show each remaining issue:
        | issue                                  | signature       |
        | Connection Pool: timed out fetching    | pool-timeout    |
        | Queue Configuration: temporary queue   | temporary-queue |
