"""The whole suite against the sandbox on PostgreSQL (the platform's database): every scenario passes, and
cleanup deletes exactly the run's rows, by id, leaving another tenant's rows in the same database alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from selftest_support import (
    SandboxFactory,
    assert_no_secrets,
    assert_no_traceback,
    lines_with,
    new_run_id,
    run_behave,
    run_rows,
    scenario_count,
    table_counts,
)

from support.api import SELFTEST_CAMPAIGN
from support.polling import wait_until

pytestmark = [pytest.mark.selftest, pytest.mark.postgres]


def test_the_suite_passes_on_postgresql_and_cleanup_by_id_never_truncates(
    tmp_path: Path, pg_url: str, own_sandbox: SandboxFactory
) -> None:
    # Another tenant in the same database: a user, an organization and a campaign with leads and jobs.
    _, other = own_sandbox(database_url=pg_url)
    other_org = str(other.create_org(f"other tenant {other.email}", "selftest")["id"])
    other_campaign = str(
        other.create_campaign(
            other_org, name=f"other tenant campaign {other.email}", totalRecords=5, **SELFTEST_CAMPAIGN
        )["id"]
    )
    other.start(other_campaign)
    wait_until(
        lambda: other.campaign_status(other_campaign) == "COMPLETED", 60, "the other tenant's campaign"
    )
    other_rows = {
        "users": ("id", str(other.user_id)),
        "organizations": ("id", other_org),
        "campaigns": ("id", other_campaign),
        "leads": ("campaign_id", other_campaign),
        "jobs": ("campaign_id", other_campaign),
    }
    before = table_counts(pg_url, other_rows)
    assert before["leads"] == 5 and before["jobs"] >= 6, before

    run_id = new_run_id("pg")
    result = run_behave(
        tmp_path / "run",
        defines={"sandbox_database_url": pg_url, "run_id": run_id},
        timeout_s=300,
    )

    assert result.exit_code == 0, result.describe()
    assert_no_traceback(result)
    status = result.status
    assert status is not None
    assert status["verdict"] == "PASSED"
    assert status["counts"]["passed"] == scenario_count(), status["counts"]
    # The capacity scenario is not in the default selection: listed as skipped, never run.
    assert status["counts"]["total"] == scenario_count(default_selection=False), status["counts"]
    run_campaigns = [c["id"] for c in status["campaigns"]["items"]]
    assert run_campaigns and all(run_id in c["name"] for c in status["campaigns"]["items"])
    # The password of the database URL is redacted in the settings the status file shows.
    assert status["settings"]["sandbox_database_url"].startswith("postgresql")

    # Exactly the run's rows are gone: its user, organization, campaigns, and their leads and jobs ...
    assert lines_with(result.stderr, f"exactly what run {run_id} created"), result.describe()
    left = run_rows(pg_url, run_id, run_campaigns)
    assert left.empty, left
    # ... and nothing else: the other tenant's rows are all still there.
    assert table_counts(pg_url, other_rows) == before
    assert_no_secrets(result)
