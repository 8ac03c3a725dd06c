@live
Feature: Live preflight
  Read-only checks a team points at its real stack before a deploy: the schema gate on its own
  Prisma schema, the queue status, and a scan of its source for raw SQL on tables that do not
  exist. Every step only reads; on the real stack a step that could write is refused.

  Background:
    Given the stack under preflight

  Scenario: The database has every table of the app's Prisma schema and no legacy table
    When I run the schema gate against the app's Prisma schema
    Then the command succeeds

  # On the real stack every preflight check must hold. Elsewhere the scenario's test Redis runs without
  # persistence by design: the other checks must hold and the persistence check must say what it keeps.
  Scenario: The stack is safe to recover on: Redis keeps queue data, the database matches the Prisma schema
    When I run preflight against the app's Prisma schema
    Then preflight holds on the stack

  Scenario: The queues and the cron switch can be read
    When I check the queue status
    Then the command succeeds

  Scenario: The app's source runs no raw SQL on a table that does not exist
    When I run the raw SQL scan of the app's source
    Then the command succeeds
