"""The suite's console formatter (behave.ini `default_format`): behave's `plain`, saying only what happens.

- No `Background:` line: the suite's backgrounds have no name, and their steps are shown (and timed) in
  every scenario anyway, so the line said nothing.
- Scenarios the selection left out (behave's --tags/--name, the suite's rules, another shard) print no
  header: each feature says in one line how many were not selected and why, and a feature none of whose
  scenarios is selected is that one line.

Any `-f` on the command line replaces it, as in plain behave (`-f plain` gives behave's own).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from behave.formatter.plain import PlainFormatter

from campaign_acceptance.selection import NOT_SELECTED, describe_selection

__all__ = ["SuiteFormatter", "not_selected_text"]


def _reason(scenario: Any, config: Any) -> str:
    if scenario.should_skip and scenario.skip_reason:
        return str(scenario.skip_reason).removeprefix(f"{NOT_SELECTED}: ")
    return f"by {describe_selection(config).split(' ', 1)[-1]}"


def not_selected_text(scenarios: list[Any], config: Any) -> str:
    """'not selected: 2 scenarios (not in this shard: shard 1/3 runs it)' for the scenarios given."""
    reasons = Counter(_reason(s, config) for s in scenarios)
    noun = "scenario" if len(scenarios) == 1 else "scenarios"
    why = "; ".join(reason if len(reasons) == 1 else f"{n} {reason}" for reason, n in reasons.items())
    return f"{NOT_SELECTED}: {len(scenarios)} {noun} ({why})"


class SuiteFormatter(PlainFormatter):  # type: ignore[misc]
    """behave's plain formatter without empty Background lines and without deselected scenarios."""

    name = "suite"
    description = "plain, without Background lines; deselected scenarios as one line per feature"
    SHOW_BACKGROUNDS = False

    def __init__(self, stream_opener: Any, config: Any, **kwargs: Any) -> None:
        super().__init__(stream_opener, config, **kwargs)
        self._hidden = False  # the current scenario was not selected: nothing of it is printed

    def feature(self, feature: Any) -> None:
        scenarios = list(feature.walk_scenarios())
        left_out = [s for s in scenarios if not s.should_run(self.config)]
        if scenarios and len(left_out) == len(scenarios):
            self._finish_current_feature()
            self.current_feature = feature
            self.stream.write(
                f"{feature.keyword}: {feature.name}: {not_selected_text(left_out, self.config)}\n"
            )
            return
        super().feature(feature)
        if left_out:
            indent = " " * self.indent_size
            self.stream.write(f"{indent}{not_selected_text(left_out, self.config)}\n")

    def scenario(self, scenario: Any) -> None:
        self._hidden = not scenario.should_run(self.config)
        if self._hidden:
            self._finish_current_scenario()
            self.reset_steps()
            return
        super().scenario(scenario)

    def step(self, step: Any) -> None:
        if not self._hidden:
            super().step(step)

    def result(self, step: Any) -> None:
        if not self._hidden:
            super().result(step)
