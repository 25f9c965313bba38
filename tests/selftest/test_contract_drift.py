"""The @contract feature against the sandbox: passes in both profiles, reports each planted drift (the
sandbox's setting defects, suite setting sandbox_defects) as exit 1 with exactly its lines, and skips the
document half with the reason on a target that serves no OpenAPI document.

Only @contract runs (a few seconds each); both of its scenarios report, one per half of the check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_proxy import FaultProxy, Rule
from selftest_support import BehaveResult, SandboxFactory, assert_no_traceback, new_run_id, run_behave

pytestmark = pytest.mark.selftest

DOCUMENT = "The platform's API description still has every route and field the suite uses"
ANSWERS = "The platform's answers to the run's own tenant still have what the suite reads"
HEADLINE = "the platform no longer speaks the contract this suite relies on"

# drift -> (the document's lines, the answers' lines): exactly these, nothing else.
EXPECTED = {
    "drift-field-renamed": (
        [
            "`GET /campaigns/{id}`: field `status_message` missing",
            "`GET /campaigns/`: field `campaigns[].status_message` missing",
            "`GET /organizations/{id}/campaigns`: field `[].status_message` missing",
        ],
        [
            "`GET /campaigns/{id}`: field `status_message` missing",
            "`GET /campaigns/`: field `campaigns[].status_message` missing",
        ],
    ),
    "drift-enum-added": (["`JobStatus`: new value `RETRYING`"], []),
    "drift-path-removed": (
        ["`GET /campaigns/{id}`: path missing"],
        ['`GET /campaigns/{id}`: answered 404: {"detail":"Not Found"}'],
    ),
}


def contract_run(root: Path, **defines: str) -> BehaveResult:
    return run_behave(root, "--tags=@contract", defines=defines, timeout_s=120)


def drift_lines(result: BehaveResult, name: str) -> list[str]:
    """The lines of a scenario's failure after its headline (none when it passed)."""
    scenario = result.scenario(name)
    if scenario["status"] == "passed":
        return []
    reason = scenario["reason"] or ""
    lines = reason.splitlines()
    headline = next(i for i, line in enumerate(lines) if HEADLINE in line)
    return [line.strip() for line in lines[headline + 1 :] if line.strip()]


@pytest.mark.parametrize("profile", ["intended", "as-built"])
def test_the_sandbox_speaks_the_contract_in_both_profiles(tmp_path: Path, profile: str) -> None:
    result = contract_run(tmp_path, sandbox_profile=profile)
    assert result.exit_code == 0, result.describe()
    assert result.scenario(DOCUMENT)["status"] == "passed", result.describe()
    assert result.scenario(ANSWERS)["status"] == "passed", result.describe()
    assert_no_traceback(result)


@pytest.mark.parametrize("drift", sorted(EXPECTED))
def test_each_planted_drift_is_reported_exactly(tmp_path: Path, drift: str) -> None:
    result = contract_run(tmp_path, sandbox_defects=drift)
    document, answers = EXPECTED[drift]
    assert result.exit_code == 1, result.describe()
    assert drift_lines(result, DOCUMENT) == document, result.describe()
    assert drift_lines(result, ANSWERS) == answers, result.describe()
    for line in [*document, *answers]:
        assert line in result.stdout, result.describe()  # on the console too, one line each
    assert_no_traceback(result)
    shown = [line for line in result.stdout.splitlines() if "`" in line or "verdict" in line]
    print(f"\n--- {drift}\n" + "\n".join(shown))  # for the record (pytest -s)


def test_a_target_without_an_api_description_skips_that_half_with_the_reason(
    tmp_path: Path, own_sandbox: SandboxFactory
) -> None:
    server, _ = own_sandbox()
    # A platform behind a gateway that does not publish the document: 404 wherever the suite looks for it.
    with FaultProxy(server.url) as proxy:
        proxy.add(Rule("status", r"openapi\.json$", status=404, body='{"detail": "Not Found"}'))
        defines = {"api_url": proxy.url, "database_url": server.database_url, "run_id": new_run_id("no-doc")}
        result = run_behave(tmp_path, "--tags=@contract", defines=defines, timeout_s=120)
    assert result.exit_code == 0, result.describe()
    document = result.scenario(DOCUMENT)
    assert document["status"] == "skipped", result.describe()
    assert document["reason"] == (
        "the target serves no OpenAPI document "
        "(GET /api/v1/openapi.json answered 404; GET /openapi.json answered 404)"
    ), result.describe()
    assert result.scenario(ANSWERS)["status"] == "passed", result.describe()
