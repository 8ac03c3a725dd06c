@deployment
Feature: Deployment
  The fixes included in this deploy, each reproduced in its broken and its fixed form on the same
  workload, so the deploy is known to clear exactly what it claims to.

  Rule: 1. Const Reassignment Bug (workflowOrchestrator.js:1259)

    @const-reassignment
    Scenario Outline: Const Reassignment Bug in processImageAttachment, <form>
      Given the scenario's Redis and Postgres
      And a release where const-reassignment is <form>
      And 3 POs have been uploaded
      When the workflows run for up to 30 virtual minutes
      Then the logs <presence> "TypeError: Assignment to constant variable."
      And <share> of the workflows are done

      @broken
      Examples: broken
        | form   | presence | share |
        | broken | show     | none  |

      @fixed
      Examples: fixed
        | form  | presence    | share |
        | fixed | do not show | all   |

  Rule: 2. Image Review Table Mismatch (refinementPipelineService.js)

    @image-review-table-mismatch
    Scenario Outline: Image Review Table Mismatch in getApprovedImagesForItem, <form>
      Given the scenario's Redis and Postgres
      And a release where image-review-table-mismatch is <form>
      And 3 POs have been uploaded
      When the workflows run for up to 30 virtual minutes
      Then the logs <presence> "Raw query failed. Code: `42P01`"
      And the logs <presence> 'relation "image_review_options" does not exist'
      And the image review API answers <status> for every workflow's session

      @broken
      Examples: broken
        | form   | presence | status |
        | broken | show     | 404    |

      @fixed
      Examples: fixed
        | form  | presence    | status |
        | fixed | do not show | 200    |

  Rule: 3. Prisma Warmup (from previous commit)
    A cold instance queries before its engine is connected; BullMQ's retries get the work done,
    but every cold start logs the error the checklist watches for.

    @prisma-warmup
    Scenario Outline: Prisma Warmup on a cold serverless instance, <form>
      Given the scenario's Redis and Postgres
      And a release where prisma-warmup is <form>
      And 3 POs have been uploaded
      When the workflows run for up to 30 virtual minutes
      Then the logs <presence> "Engine is not yet connected."
      And <share> of the workflows are done

      @broken
      Examples: broken
        | form   | presence | share |
        | broken | show     | all   |

      @fixed
      Examples: fixed
        | form  | presence    | share |
        | fixed | do not show | all   |
