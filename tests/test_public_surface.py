"""The suite's public surface: each public module of campaign_acceptance and campaign_common declares
`__all__`, and it is the one recorded here. A change to a module's `__all__` fails this test until the
snapshot is edited with it, so the surface never changes by accident (steps, tests and tools import them)."""

import importlib
import pkgutil
from types import ModuleType

import pytest

import campaign_acceptance
import campaign_common

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
    "client": {"Answer", "FaultControl", "PlatformClient", "parse_breaker", "unwrap"},
    "contract_check": {
        "ContractCheck",
        "DOCUMENT_PATHS",
        "check_answers",
        "check_document",
        "exercise_tenant",
        "read_document",
    },
    "console": {"SuiteFormatter", "not_selected_text"},
    "database": {"CampaignRow", "DatabaseProbe", "JobRow", "LeadResultRow", "LeadRow", "engine_url"},
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
        "EveryLeadEnriched",
        "EveryLeadEnrichedOnce",
        "NoDisagreement",
        "NoSharedEmails",
        "ProgressComplete",
        "campaign_with_status",
        "every_lead_enriched",
        "every_lead_enriched_once",
        "has_campaign_status",
        "no_disagreement",
        "no_shared_emails",
        "progress_complete",
    },
    "merge": {"MergeError", "ShardInput", "load", "main", "merge_junit", "merge_summary"},
    "metrics": {"JOB", "TEXTFILE_NAME", "build_registry", "export"},
    "model": {
        "BreakerReport",
        "BreakerState",
        "CAMPAIGN_STATUSES",
        "CLOSED",
        "CampaignSnapshot",
        "ENRICHED_LEAD_FIELDS",
        "Observation",
        "Progress",
        "RATE_LIMIT_TEXT",
        "SERVICES",
        "missing_results",
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
        "scenario_seconds",
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
        "MetricsTarget",
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
        "judge_run",
        "known_issues_text",
        "left_behind_text",
        "one_line",
        "services_in",
        "verdict_line",
        "stuck_resume",
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
    "progress": {"ConsoleProgress", "PHASE_WORDS", "render_counts", "render_line", "say"},
    "report": {
        "NOT_SELECTED",
        "RunSummary",
        "SCHEMA",
        "STATUS_FILE",
        "render_html",
        "report_context",
        "suite_version",
        "summary_campaigns",
        "write_html",
        "write_reports",
        "write_status_json",
    },
    "routes": {"BREAKER_STATES", "ENUMS", "JOB_STATUSES", "JOB_TYPES", "ROUTES", "Field", "Route"},
    "runner": {
        "BannerFilter",
        "StdoutGuard",
        "VerdictJUnitReporter",
        "VerdictRunner",
        "abort_before_start",
        "apply_health_gate",
        "cannot_test",
        "failed_lines",
        "known_issue_lines",
        "on_step_done",
        "outcome_of",
        "outcomes_from_features",
        "record_of",
        "scenario_key",
        "summary_line",
    },
    "scenarios": {
        "check_database_agrees_with_api",
        "check_no_drift",
        "compare_document",
        "compare_tenant_answers",
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
        "CONTRACT_TAG",
        "MONITORING_REASON",
        "Selection",
        "all_scenarios",
        "apply_selection",
        "contract_first",
        "describe_selection",
        "is_not_selected",
        "names_tag",
        "tags_text",
    },
    "settings": {
        "Settings",
        "generate_run_id",
        "load_settings",
        "reports_dir_from_behave",
        "setting_names",
        "settings_from_behave",
    },
    "sharding": {
        "DURATIONS_FILE",
        "OTHER_SHARD_PREFIX",
        "Shard",
        "ShardReport",
        "assign",
        "assign_by_duration",
        "check_fit",
        "durations_from_statuses",
        "expected_loads",
        "key_order",
        "load_durations",
        "main",
        "missing_shards",
        "other_shard_reason",
        "parse_shard",
    },
    "target": {"HOLD_ENRICHMENT_MS", "HOLD_SERVICE", "SETTLE_QUIET_S", "Target"},
    "world": {"CampaignUnderTest", "ScenarioState", "Session", "TenantUser", "World", "world_of"},
}
# What the suite and the sandbox share: one way each to hide secrets, wait, and spell the API prefix.
COMMON_SURFACE: dict[str, set[str]] = {
    "api_path": {"API_PREFIX", "api_path", "api_url", "strip_api_prefix"},
    "redaction": {"HIDDEN", "redact", "redact_mapping", "redact_url"},
    "waiting": {"BACKOFF_FACTOR", "Backoff", "Clock", "Deadline", "RealClock", "wait_until"},
}
each_package = pytest.mark.parametrize(
    ("package", "surface"),
    [
        pytest.param(campaign_acceptance, SURFACE, id="campaign_acceptance"),
        pytest.param(campaign_common, COMMON_SURFACE, id="campaign_common"),
    ],
)


def public_modules(package: ModuleType) -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


@each_package
def test_every_public_module_is_in_the_snapshot(package: ModuleType, surface: dict[str, set[str]]) -> None:
    assert public_modules(package) == sorted(surface)


@each_package
def test_each_module_exports_exactly_its_snapshot(package: ModuleType, surface: dict[str, set[str]]) -> None:
    changed = {}
    for name in public_modules(package):
        exported = set(importlib.import_module(f"{package.__name__}.{name}").__all__)
        if exported != surface.get(name):
            planned = surface.get(name, set())
            changed[name] = {"added": sorted(exported - planned), "removed": sorted(planned - exported)}
    assert not changed, f"public surface changed (edit the snapshot here if it was planned): {changed}"


@each_package
def test_every_exported_name_exists(package: ModuleType, surface: dict[str, set[str]]) -> None:
    missing = []
    for name in public_modules(package):
        module = importlib.import_module(f"{package.__name__}.{name}")
        missing += [f"{name}.{attribute}" for attribute in module.__all__ if not hasattr(module, attribute)]
    assert not missing
