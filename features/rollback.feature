# Jobs stay queued at the end on purpose: the bad release and the deploy release stop mid-retry.
# The job ledger still fails a lost job.
@rollback @jobs_left
Feature: Rollback Plan
  If deployment fails: pause the queues immediately, revert the commit and push, wait for the
  deployment, and resume the queues once it is stable. Nothing queued may be lost on the way.

  Rule: If deployment fails

    Background:
      Given the scenario's Redis and Postgres
      And the deploy release is running
      And 3 POs have been uploaded
      And the workflows have run for up to 30 virtual minutes
      And the deploy-without-const-reassignment release has been pushed
      And 4 POs have been uploaded
      And the workflows have run for 1 virtual minutes

    Scenario: If deployment fails, the bad release shows in the logs
      Then within 20 virtual minutes the logs show "TypeError: Assignment to constant variable."
      And not all of the workflows are done

    Scenario: If deployment fails, the rollback plan restores a stable state and loses nothing
      When I run "manage-queues pause --wait-idle 2m"
      Then the command succeeds
      And no job of the shared config's queues is active
      Given the jobs still to run are noted
      When the previous commit is reverted and pushed
      And I wait 2 virtual minutes for the deployment to complete
      And I run "manage-queues resume"
      Then the command succeeds
      And the deploy release is live
      And every noted job has run or is still queued
      And the recovery ledger accounts for every job of the pause
      When 2 POs of 2 lines each are uploaded
      And the workflows run for up to 30 virtual minutes
      Then since the push the logs show none of these signatures:
        | signature               |
        | const-assignment        |
        | relation-does-not-exist |
        | engine-not-connected    |
      And the image review API answers 200 for every workflow's session
