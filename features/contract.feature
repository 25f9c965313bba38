@contract
Feature: The platform still speaks the contract this suite relies on
  As the platform team
  We want a change to a path, a field, an enum value or a status the suite relies on found first and precisely
  So that a release that drifted reads as one line per difference, not as scenarios failing later

  It runs before every other feature and takes seconds. It changes nothing but the run's own tenant
  (one campaign created and read back, never started) and touches no circuit breaker. Additions the
  suite does not use are notes, never failures. A target that publishes no API description skips the
  first scenario and says why.

  Scenario: The platform's API description still has every route and field the suite uses
    When the platform's API description is compared with the routes and fields the suite uses
    Then nothing the suite relies on is missing or different

  Scenario: The platform's answers to the run's own tenant still have what the suite reads
    Given a fresh tenant with its own user and organization
    When the tenant creates a campaign and reads it back with its jobs and the circuit breakers
    Then nothing the suite relies on is missing or different
