"""The shape comparator must fail loudly: tests of its failure modes and messages (no sandbox needed)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from contract_shapes import (
    ShapeMismatch,
    assert_same_shape,
    first_difference,
    load_sample,
    path_template,
    sample_index,
    timestamp_style,
)

HERE = Path(__file__).resolve().parent


@pytest.fixture
def queue_status() -> Any:
    return load_sample("extra_queue_status_after_manual_pause")


def test_identical_sample_passes(queue_status: Any) -> None:
    assert_same_shape(copy.deepcopy(queue_status), queue_status)


def test_every_sample_matches_itself() -> None:
    for name in sample_index():
        sample = load_sample(name)
        assert first_difference(copy.deepcopy(sample), sample) is None, name


def test_missing_key_fails_with_its_path(queue_status: Any) -> None:
    live = copy.deepcopy(queue_status)
    del live["data"]["circuit_breakers"]["openai"]["failure_count"]
    with pytest.raises(ShapeMismatch) as info:
        assert_same_shape(live, queue_status)
    assert info.value.path == "data.circuit_breakers.openai"
    assert "missing key 'failure_count'" in str(info.value)


def test_extra_key_fails_with_its_path(queue_status: Any) -> None:
    live = copy.deepcopy(queue_status)
    live["data"]["job_counts"]["RETRYING"] = 0
    with pytest.raises(ShapeMismatch) as info:
        assert_same_shape(live, queue_status)
    assert info.value.path == "data.job_counts"
    assert "unexpected key 'RETRYING'" in str(info.value)


def test_wrong_type_fails_with_its_path(queue_status: Any) -> None:
    live = copy.deepcopy(queue_status)
    live["data"]["circuit_breakers"]["apollo"]["failure_count"] = "0"
    with pytest.raises(ShapeMismatch) as info:
        assert_same_shape(live, queue_status)
    assert str(info.value).startswith("data.circuit_breakers.apollo.failure_count: sample has int, got str")


def test_bool_is_not_an_int(queue_status: Any) -> None:
    live = copy.deepcopy(queue_status)
    live["data"]["job_counts"]["PAUSED"] = False
    with pytest.raises(ShapeMismatch, match=r"data\.job_counts\.PAUSED: sample has int, got bool"):
        assert_same_shape(live, queue_status)


def test_null_where_sample_has_object_fails_unless_nullable(queue_status: Any) -> None:
    live = copy.deepcopy(queue_status)
    live["data"]["circuit_breakers"]["perplexity"]["pause_info"] = None
    # pause_info is nullable per contract, so the default comparison accepts it ...
    assert_same_shape(live, queue_status)
    # ... and a test that pins the paused state makes it strict:
    with pytest.raises(ShapeMismatch) as info:
        assert_same_shape(live, queue_status, nullable=set())
    assert str(info.value) == "data.circuit_breakers.perplexity.pause_info: sample has dict, got None"


def test_null_in_a_required_field_fails() -> None:
    sample = load_sample("create_campaign")
    live = copy.deepcopy(sample)
    live["data"]["totalRecords"] = None
    with pytest.raises(ShapeMismatch, match=r"^data\.totalRecords: sample has int, got None"):
        assert_same_shape(live, sample)


def test_value_where_sample_has_null_is_type_checked() -> None:
    sample = load_sample("get_campaign")
    live = copy.deepcopy(sample)
    live["data"]["completed_at"] = "2026-11-28T19:02:54.773313Z"
    assert_same_shape(live, sample)
    live["data"]["completed_at"] = 12
    with pytest.raises(ShapeMismatch, match=r"^data\.completed_at: sample has None"):
        assert_same_shape(live, sample)


def test_list_elements_are_compared() -> None:
    sample = load_sample("get_campaign_jobs")
    live = copy.deepcopy(sample)
    live["data"]["jobs"][0]["id"] = "1"
    with pytest.raises(ShapeMismatch, match=r"^data\.jobs\[0\]\.id: sample has int, got str"):
        assert_same_shape(live, sample)
    live["data"]["jobs"] = []
    assert_same_shape(live, sample)  # an empty list has nothing to compare


def test_list_where_sample_has_object_fails() -> None:
    sample = load_sample("extra_list_organizations")
    live = copy.deepcopy(sample)
    live["meta"] = [live["meta"]]
    with pytest.raises(ShapeMismatch, match=r"^meta: sample has dict, got list"):
        assert_same_shape(live, sample)


def test_fixed_strings_and_enums_are_exact() -> None:
    sample = load_sample("extra_circuit_breakers")
    live = copy.deepcopy(sample)
    live["data"]["timestamp"] = "2026-11-28T19:03:04.435792"
    with pytest.raises(ShapeMismatch, match=r"^data\.timestamp: sample has the fixed value 'unknown'"):
        assert_same_shape(live, sample)
    live = copy.deepcopy(sample)
    live["status"] = "ok"
    with pytest.raises(ShapeMismatch, match=r"^status: sample has the fixed value 'success'"):
        assert_same_shape(live, sample)
    live = copy.deepcopy(sample)
    live["data"]["circuit_breakers"]["openai"]["circuit_state"] = "OPEN"
    with pytest.raises(ShapeMismatch, match=r"^data\.circuit_breakers\.openai\.circuit_state: 'OPEN' is not"):
        assert_same_shape(live, sample)
    live["data"]["circuit_breakers"]["openai"]["circuit_state"] = "half_open"
    assert_same_shape(live, sample)


def test_campaign_enums() -> None:
    sample = load_sample("get_campaign")
    live = copy.deepcopy(sample)
    live["data"]["status"] = "running"
    with pytest.raises(ShapeMismatch, match=r"^data\.status: 'running' is not one of"):
        assert_same_shape(live, sample)
    live["data"]["status"] = "COMPLETED"
    live["data"]["valid_transitions"] = ["Running"]
    with pytest.raises(ShapeMismatch, match=r"^data\.valid_transitions: 'Running' is not one of"):
        assert_same_shape(live, sample)
    live["data"]["valid_transitions"] = []
    assert_same_shape(live, sample)


def test_timestamp_style_is_checked() -> None:
    sample = load_sample("get_campaign")
    live = copy.deepcopy(sample)
    live["data"]["created_at"] = "2026-11-28T19:02:54.773313+00:00"
    with pytest.raises(ShapeMismatch, match=r"^data\.created_at: sample has a timestamp in Z style"):
        assert_same_shape(live, sample)
    assert timestamp_style("2026-11-28T19:03:04.435792") == "naive"
    assert timestamp_style("2026-11-28T19:03:04+00:00") == "+00:00"
    assert timestamp_style("2026-11-28T19:03:04Z") == "Z"
    assert timestamp_style("Sample Org") is None


def test_maps_compare_values_not_keys() -> None:
    sample = load_sample("extra_campaign_status_after_manual_pause")
    live = copy.deepcopy(sample)
    live["data"]["paused_by_service"] = {"openai": live["data"]["paused_by_service"]["perplexity"]}
    assert_same_shape(live, sample)
    live["data"]["paused_by_service"]["openai"][0]["id"] = 5
    expected = r"^data\.paused_by_service\.openai\[0\]\.id: sample has str, got int"
    with pytest.raises(ShapeMismatch, match=expected):
        assert_same_shape(live, sample)


def test_opaque_lead_fields_only_need_an_object() -> None:
    sample = load_sample("extra_get_campaign_leads")
    live = copy.deepcopy(sample)
    live["data"]["leads"][0]["enrichment_results"] = {"anything": [1, 2]}
    live["data"]["leads"][0]["raw_data"] = None
    assert_same_shape(live, sample)
    live["data"]["leads"][0]["raw_data"] = "a string"
    expected = r"^data\.leads\[0\]\.raw_data: sample has an object or null, got str"
    with pytest.raises(ShapeMismatch, match=expected):
        assert_same_shape(live, sample)


def test_root_type_mismatch_names_the_root() -> None:
    with pytest.raises(ShapeMismatch, match=r"^<root>: sample has list, got dict"):
        assert_same_shape({"a": 1}, [1])


def test_label_is_in_the_message() -> None:
    with pytest.raises(ShapeMismatch, match=r"compared with sample extra_health"):
        assert_same_shape({}, load_sample("extra_health"), label="extra_health")


def test_path_template() -> None:
    assert path_template("/api/v1/jobs/17/status") == "/api/v1/jobs/{id}/status"
    assert (
        path_template("/api/v1/campaigns/3c014158-571b-466d-89e3-92e031f6bd4e/start/validate")
        == "/api/v1/campaigns/{id}/start/validate"
    )
    assert path_template("/api/v1/campaigns/?page=1") == "/api/v1/campaigns/"


def test_every_sample_is_used_by_a_contract_test() -> None:
    """Every recorded sample that maps to a route must be checked by some test of this directory."""
    sources = "\n".join(
        p.read_text("utf-8") for p in sorted(HERE.glob("test_contract_*.py")) if p.name != Path(__file__).name
    )
    used = set(re.findall(r"""["']([a-z0-9_]+)["']""", sources))
    unused = sorted(name for name in sample_index() if name not in used)
    assert not unused, f"samples not checked by any contract test: {unused}"
