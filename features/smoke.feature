@smoke
Feature: Walking skeleton
  The harness stands on a real Redis and a real Postgres, with the app schema applied
  and Bull 4 jobs crossing process boundaries.

  Scenario: The backend is up and the schema from schema.prisma is applied
    Given the scenario's Redis and Postgres
    Then Redis answers PING
    And every model of schema.prisma has its table in the scenario's database

  Scenario: A job added by one process is processed by a worker in another
    Given the scenario's Redis and Postgres
    And a worker process consuming the "ai-parsing" queue
    When a job is added to the "ai-parsing" queue
    Then the job completes within 30 seconds
    And the worker that processed it ran in another process
