"""The tests' poll (tests/support/polling.py) on top of the one wait: its failure says what it waited for."""

from __future__ import annotations

import pytest

from support.polling import wait_until


def test_the_tests_poll_names_what_did_not_happen_and_the_last_value() -> None:
    with pytest.raises(AssertionError) as caught:
        wait_until(lambda: [], 0.1, "the campaign to finish", interval_s=0.02, max_interval_s=0.05)
    assert str(caught.value) == "timed out after 0.1 s waiting for the campaign to finish; last: []"


def test_the_tests_poll_returns_the_value_that_held() -> None:
    answers = iter([0, 0, {"status": "COMPLETED"}])
    assert wait_until(lambda: next(answers), 5, "status") == {"status": "COMPLETED"}
