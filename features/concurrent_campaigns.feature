@campaigns
Feature: Many campaigns run at once and every lead is enriched
  As the platform team
  We want many campaigns to fetch and enrich their leads at the same time
  So that a release can be trusted with real customer load,
  and a third-party outage stops the run with a clear explanation instead of a wrong verdict.

  Background:
    Given a fresh tenant with its own user and organization

  @happy_path
  Scenario Outline: <campaigns> campaigns with <leads> leads each enrich every lead
    When <campaigns> campaigns with <leads> leads each are started
    Then every lead fetch finishes with at least one lead
    And every lead of every campaign is enriched
    And no email appears in more than one campaign
    And no campaign is paused or failed
    And the database agrees with the API about the campaigns, their leads and their jobs

    Examples: quick
      | campaigns | leads |
      | 3         | 5     |

    Examples: platform team standard
      | campaigns | leads |
      | 10        | 20    |

  @paused_by_breaker @trips_breaker
  Scenario: An operator pausing a third-party service pauses every running campaign
    Given every circuit breaker is closed
    And 3 campaigns with 10 leads each are running
    When an operator pauses the "perplexity" service
    Then every running campaign of the run is paused with a message naming "perplexity"
    And monitoring noticed the pause well before its deadline
    And the breaker report names "perplexity" with its state, failures against threshold and reason
    And the breaker report lists each paused campaign with its message
    And once the "perplexity" service is resumed every circuit breaker is closed again
