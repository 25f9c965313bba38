"""bench/capacity.py: the sizes it accepts and the table it prints (the runs themselves are the bench's)."""

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "capacity.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_capacity", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("sizes", [["10"], ["5", "10"], ["5", "10", "20", "40", "80"]])
def test_campaigns_takes_any_number_of_sizes(bench: ModuleType, sizes: list[str]) -> None:
    assert bench.parse_args(["--campaigns", *sizes]).campaigns == [int(s) for s in sizes]


def test_campaigns_defaults_to_three_sizes_and_refuses_none_or_zero(bench: ModuleType) -> None:
    assert bench.parse_args([]).campaigns == [25, 50, 100]
    for bad in (["--campaigns"], ["--campaigns", "0"], ["--campaigns", "5", "-1"]):
        with pytest.raises(SystemExit):
            bench.parse_args(bad)


def figures(campaigns: int, scale: float) -> dict[str, Any]:
    return {
        "campaigns": campaigns,
        "leads_per_campaign": 20,
        "wall_s": 10.0 * scale,
        "leads_per_second": 4.0 * scale,
        "latency_s": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
        "fetch_phase_s": 1.0 * scale,
        "time_to_enrichment_s": 5.0 * scale,
        "requests_per_cycle": 2.0,
        "peak_rss_mb": 100.0,
    }


def test_the_table_has_a_row_per_size_and_a_growth_row_per_larger_size(bench: ModuleType) -> None:
    one = bench.table([figures(10, 1)]).splitlines()
    assert len(one) == 2 and "growth" not in "\n".join(one)
    four = bench.table([figures(n, n / 5) for n in (5, 10, 20, 40)]).splitlines()
    assert [line.split()[0] for line in four[1:5]] == ["5", "10", "20", "40"]
    growth = [line for line in four if "growth" in line]
    assert [line.split()[2] for line in growth] == ["x2", "x4", "x8"]
    # The wall time grew with N here, so its growth column reads the same ratios.
    assert [line.split()[3] for line in growth] == ["x2.00", "x4.00", "x8.00"]
