@remaining-issues
Feature: Remaining Issues
  The checklist's "Check for Remaining Issues": what this deploy does not fix. Each is shown as it is
  in production today (broken) and as its follow-up task makes it (fixed), on the same workload.

  Rule: Connection Pool: monitor for "timed out fetching connection" errors

    @connection-hygiene
    Scenario Outline: Connection Pool under a burst of image lookups, <form>
      Given the scenario's Redis and Postgres
      And the app runs at 60 virtual seconds per wall second, sampled every virtual second
      And a release where connection-hygiene is <form>
      And 3 POs of 12 lines each have been uploaded
      When the workflows run for up to 20 virtual minutes
      Then the logs <presence> "Timed out fetching a new connection from the connection pool"
      And Postgres connections peak <relation> 25

      @broken
      Examples: broken
        | form   | presence | relation     |
        | broken | show     | at or above  |

      @fixed
      Examples: fixed
        | form  | presence    | relation |
        | fixed | do not show | under    |

  Rule: Google API 429: review image search frequency, add rate limiting and backoff

    @google-429
    Scenario Outline: Google API 429 with a tight search quota, <form>
      Given the scenario's Redis and Postgres
      And the image search allows 8 requests per virtual minute
      And a release where google-429 is <form>
      And 4 POs of 5 lines each have been uploaded
      When the workflows run for up to 20 virtual minutes
      Then the logs <presence> "Google Search API error: 429 Too Many Requests"
      And the image search answered <answered> requests with 429
      And <left> product drafts are left without images

      @broken
      Examples: broken
        | form   | presence | answered | left |
        | broken | show     | some     | some |

      @fixed
      Examples: fixed
        | form  | presence    | answered | left |
        | fixed | do not show | no       | no   |

  Rule: Cron Job Overload: runs every 1 minute

    @cron-overload
    Scenario Outline: Cron Job Overload with many workflows pending, <form>
      Given the scenario's Redis and Postgres
      And a release where cron-overload is <form>
      And 12 POs of 3 lines each have been uploaded
      When the workflows run for up to 20 virtual minutes
      Then cron runs <overlap>
      And <twice> workflow stages were processed twice

      @broken
      Examples: broken
        | form   | overlap          | twice |
        | broken | overlapped       | some  |

      @fixed
      Examples: fixed
        | form  | overlap          | twice |
        | fixed | never overlapped | no    |
