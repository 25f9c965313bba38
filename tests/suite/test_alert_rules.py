"""The committed alert rules (monitoring/): promtool accepts them, their unit tests pass (a failing verdict,
a service failure and stopped runs each fire their alert), and they name only metrics the suite
exports."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import generate_latest
from test_metrics import CLOSED, OPENAI_OPEN, samples, summary

from campaign_acceptance.metrics import build_registry
from support.prometheus import promtool

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"
RULES = MONITORING / "campaign-acceptance.rules.yml"
RULE_TESTS = MONITORING / "campaign-acceptance.rules.test.yml"


def test_promtool_checks_the_rules() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 4 rules found" in checked.stdout


def test_the_rules_unit_tests_pass() -> None:
    tested = promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_the_rules_name_only_metrics_the_suite_exports() -> None:
    exported = {
        name for name, _ in samples(generate_latest(build_registry(summary(), CLOSED, OPENAI_OPEN)).decode())
    }
    named = set(re.findall(r"campaign_acceptance_[a-z_]+", RULES.read_text(encoding="utf-8")))
    assert named and named <= exported, named - exported
