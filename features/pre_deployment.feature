@pre-deployment
Feature: Pre-Deployment Steps
  Before the fix goes out, stop the app from doing more damage: pause the cron and the queues,
  remove the failed jobs that would retry with broken code, and confirm the table names.

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
