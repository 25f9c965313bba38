@capacity
Feature: How many campaigns the platform sustains
  As the platform team
  We want many campaigns with many leads enriched at once, and the throughput and latency they got
  So that we know how much load a release sustains before our customers find out.

  Not in the default selection: it runs only when the tag selection names @capacity
  (--tags=@capacity). The settings campaigns and leads replace the counts below
  (e.g. -D campaigns=200 -D leads=50). The figures are reported, never judged.

  Background:
    Given a fresh tenant with its own user and organization

  Scenario Outline: <campaigns> campaigns with <leads> leads each: throughput and lead latency
    When <campaigns> campaigns with <leads> leads each are started
    Then every lead fetch finishes with at least one lead
    And every lead of every campaign is enriched
    And no campaign is paused or failed
    And the run's throughput and lead latency are reported

    Examples: platform team target
      | campaigns | leads |
      | 100       | 20    |
