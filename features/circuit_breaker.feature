@breakers
Feature: Circuit breakers protect campaigns from third-party outages
  As the platform team
  We want a failing third-party service to open its breaker and pause the campaigns that depend on it
  So that no lead is lost or enriched twice, and work carries on once the service is back.

  Every scenario here trips a breaker on purpose. Each starts by making sure every breaker is closed
  and leaves them closed again, even when it fails. Breakers are shared by everyone using the platform,
  so run these only where pausing campaigns for a few seconds is acceptable (exclude them with
  --tags=-@trips_breaker).

  Background:
    Given a fresh tenant with its own user and organization

  @health_gate @trips_breaker
  Scenario: A scenario that would start while a breaker is open is stopped before its first step
    Given every circuit breaker is closed
    And an operator has paused the "apollo" service
    When the health gate checks the circuit breakers before a scenario
    Then the health gate would abort that scenario before its first step, or warn under the warn policy
    And the breaker report names "apollo" with its state, failures against threshold and reason
    And once the "apollo" service is resumed every circuit breaker is closed again

  @operator_pause @trips_breaker
  Scenario: An operator pauses a service and resumes it
    Given every circuit breaker is closed
    And 2 campaigns with 10 leads each are running
    When an operator pauses the "openai" service
    Then the "openai" circuit breaker is open
    And every running campaign of the run is paused with a message naming "openai"
    And no lead of the run is being enriched while the service is paused
    When the operator resumes the "openai" service
    Then every circuit breaker is closed again
    And no campaign of the run is paused any more
    And every lead of every campaign is enriched

  @automatic_trip @trips_breaker @needs_fault_control
  Scenario: A failing service trips its breaker by itself and the campaigns pause
    Given every circuit breaker is closed
    And 3 campaigns with 10 leads each are running
    When the "openai" service starts failing
    Then the "openai" circuit breaker opens by itself
    And every running campaign of the run is paused with a message naming "openai"
    And monitoring noticed the pause well before its deadline
    And the breaker report names "openai" with its state, failures against threshold and reason
    And the breaker report lists each paused campaign with its message

  @resume_path @trips_breaker @needs_fault_control @needs_database
  Scenario: Once the service heals and the campaigns resume, every lead is enriched exactly once
    Given every circuit breaker is closed
    And 3 campaigns with 10 leads each are running
    And the "openai" service has failed and its breaker has paused the campaigns
    When the "openai" service heals and the campaigns are resumed
    Then every lead of every campaign is enriched
    And the database shows every lead enriched exactly once, none lost and none twice
