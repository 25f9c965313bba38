"""The suite's public surface: each public module of campaign_acceptance declares `__all__`, and it is the
one recorded here. A change to a module's `__all__` fails this test until the snapshot is edited with it, so
the surface never changes by accident (steps, tests and other tools import these names)."""

import importlib
import pkgutil

import campaign_acceptance

SURFACE: dict[str, set[str]] = {
    "allure_results": {"CATEGORIES", "allure_directories", "environment", "finish_results"},
    "capacity": {
        "CapacityFigures",
        "EnrichmentTiming",
        "JobTiming",
        "capacity_figures",
        "parse_timestamp",
        "peak_rss_mb",
        "percentile",
        "timings_from_api",
    },
    "client": {"FaultControl", "PlatformClient", "parse_breaker", "unwrap"},
    "database": {"CampaignRow", "DatabaseProbe", "JobRow", "LeadRow", "engine_url"},
    "errors": {
        "ApiError",
        "CannotTestError",
        "ConfigurationError",
        "DatabaseUnavailableError",
        "DeadlineExceeded",
        "PlatformStoppedAnswering",
        "ProgressFailure",
        "ServiceFailure",
        "SuiteError",
        "TargetUnreachableError",
    },
    "known_issues": {"KnownIssue", "listing_issue", "load_known_issues", "matching_issue"},
    "lifecycle": {
        "begin_scenario",
        "check_runner",
        "describe_target",
        "earlier_job_errors",
        "end_scenario",
        "finish_run",
        "metrics_target",
        "open_session",
        "platform_version",
        "run_email",
        "start_run",
        "step_done",
    },
    "matchers": {
        "CampaignWithStatus",
        "EveryLeadEnrichedOnce",
        "NoSharedEmails",
        "ProgressComplete",
        "campaign_with_status",
        "every_lead_enriched_once",
        "has_campaign_status",
        "no_shared_emails",
        "progress_complete",
    },
    "merge": {"MergeError", "ShardInput", "load", "main", "merge_junit", "merge_summary"},
    "metrics": {"JOB", "MetricsTarget", "TEXTFILE_NAME", "build_registry", "export"},
    "model": {
        "BreakerReport",
        "BreakerState",
        "CAMPAIGN_STATUSES",
        "CLOSED",
        "CampaignSnapshot",
        "Observation",
        "Progress",
        "RATE_LIMIT_TEXT",
        "SERVICES",
    },
    "monitor": {
        "ApiDbSource",
        "Clock",
        "JobErrorSource",
        "Monitor",
        "ObservationSource",
        "PlatformReader",
        "ProgressProbe",
        "ProgressSink",
        "ReadErrors",
        "RealClock",
        "breaker_report",
        "describe_breakers",
        "failure_report",
        "progress_from_jobs",
        "read_job_errors",
        "render_state_text",
        "snapshot_from_api",
        "summarize_job_errors",
    },
    "outcome": {
        "ABORTED",
        "ABORTED_TAG",
        "AbortRecord",
        "FAILED",
        "FIXED",
        "GateDecision",
        "KNOWN_ISSUE",
        "OUTCOME_STATUSES",
        "PASSED",
        "PHASE_GATE",
        "PHASE_IN_FLIGHT",
        "RunRecord",
        "SKIPPED",
        "STOP_EXIT_CODES",
        "STOP_WORDS",
        "ScenarioOutcome",
        "StepOutcome",
        "UNTESTED",
        "Verdict",
        "abort_tags",
        "aborted_services",
        "decide_verdict",
        "gate_decision",
        "known_issues_text",
        "one_line",
        "services_in",
        "verdict_reason",
    },
    "picture": {
        "BOTTOM",
        "Band",
        "BandSegment",
        "LEFT",
        "MARKER_WORDS",
        "MAX_POINTS",
        "Marker",
        "Picture",
        "RIGHT",
        "Series",
        "TOP",
        "build_picture",
    },
    "progress": {"ConsoleProgress", "render_line", "say"},
    "report": {
        "NOT_SELECTED",
        "RunSummary",
        "SCHEMA",
        "STATUS_FILE",
        "redact_settings",
        "render_html",
        "report_context",
        "suite_version",
        "summary_campaigns",
        "write_html",
        "write_reports",
        "write_status_json",
    },
    "runner": {
        "StdoutGuard",
        "VerdictJUnitReporter",
        "VerdictRunner",
        "abort_before_start",
        "apply_health_gate",
        "cannot_test",
        "describe_selection",
        "known_issue_lines",
        "left_behind_text",
        "on_step_done",
        "outcome_of",
        "outcomes_from_features",
        "record_of",
        "scenario_key",
        "verdict_line",
    },
    "scenarios": {
        "check_database_agrees_with_api",
        "check_every_breaker_closed",
        "check_every_fetch_found_leads",
        "check_every_lead_enriched_exactly_once",
        "check_gate_would_abort",
        "check_no_campaign_paused",
        "check_no_campaign_paused_or_failed",
        "check_no_shared_emails",
        "check_pause_noticed_early",
        "check_report_lists_paused_campaigns",
        "check_report_names_service",
        "ensure_every_breaker_closed",
        "fresh_tenant",
        "heal_service_and_resume_campaigns",
        "make_service_fail",
        "operator_pauses_service",
        "operator_resumes_service",
        "report_capacity_figures",
        "resume_service_and_check_every_breaker_closed",
        "run_health_gate",
        "service_has_failed_and_paused_campaigns",
        "start_campaigns",
        "start_running_campaigns",
        "wait_until_breaker_open",
        "wait_until_campaigns_paused",
        "wait_until_enrichment_stopped",
        "wait_until_every_lead_enriched",
    },
    "selection": {
        "CAPACITY_REASON",
        "MONITORING_REASON",
        "Selection",
        "all_scenarios",
        "apply_selection",
        "names_tag",
        "tags_text",
    },
    "settings": {
        "Settings",
        "generate_run_id",
        "load_settings",
        "redact_url",
        "reports_dir_from_behave",
        "setting_names",
        "settings_from_behave",
    },
    "sharding": {
        "OTHER_SHARD_PREFIX",
        "Shard",
        "ShardReport",
        "assign",
        "check_fit",
        "key_order",
        "missing_shards",
        "other_shard_reason",
        "parse_shard",
    },
    "target": {"HOLD_ENRICHMENT_MS", "HOLD_SERVICE", "SETTLE_QUIET_S", "Target"},
    "world": {"CampaignUnderTest", "ScenarioState", "Session", "TenantUser", "World", "world_of"},
}


def public_modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.iter_modules(campaign_acceptance.__path__) if not m.name.startswith("_")
    )


def test_every_public_module_is_in_the_snapshot() -> None:
    assert public_modules() == sorted(SURFACE)


def test_each_module_exports_exactly_its_snapshot() -> None:
    changed = {}
    for name in public_modules():
        exported = set(importlib.import_module(f"campaign_acceptance.{name}").__all__)
        if exported != SURFACE.get(name):
            planned = SURFACE.get(name, set())
            changed[name] = {"added": sorted(exported - planned), "removed": sorted(planned - exported)}
    assert not changed, f"public surface changed (edit SURFACE in this test if it was planned): {changed}"


def test_every_exported_name_exists() -> None:
    missing = [
        f"{name}.{attribute}"
        for name in public_modules()
        for attribute in importlib.import_module(f"campaign_acceptance.{name}").__all__
        if not hasattr(importlib.import_module(f"campaign_acceptance.{name}"), attribute)
    ]
    assert not missing
