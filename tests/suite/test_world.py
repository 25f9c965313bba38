"""The typed world on behave's context: typed access fails with one clear line, the password stays out of
reprs, and a scenario's state lists its campaigns' ids."""

from __future__ import annotations

import pytest

from campaign_acceptance.outcome import RunRecord
from campaign_acceptance.world import CampaignUnderTest, ScenarioState, TenantUser, World, world_of


class Context:
    pass


def test_world_of_returns_the_world_a_hook_put_on_the_context() -> None:
    context = Context()
    with pytest.raises(RuntimeError, match="did not run before_all"):
        world_of(context)
    context.world = "not a world"  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match=r"context\.world is missing"):
        world_of(context)
    world = World(record=RunRecord())
    context.world = world  # type: ignore[attr-defined]
    assert world_of(context) is world


def test_a_step_after_a_failed_set_up_says_so() -> None:
    with pytest.raises(RuntimeError, match="the run was not set up"):
        _ = World(record=RunRecord()).session


def test_the_tenant_password_is_never_in_a_repr() -> None:
    user = TenantUser("run@example.org", "7", "Aa1!very-secret")
    assert "very-secret" not in repr(user) and "run@example.org" in repr(user)
    assert "very-secret" not in repr(World(record=RunRecord()))


def test_a_scenario_lists_its_campaign_ids_in_creation_order() -> None:
    state = ScenarioState(name="s")
    assert state.campaign_ids == [] and state.cleanups == [] and state.gate is None
    state.campaigns += [CampaignUnderTest("b", "B", 10), CampaignUnderTest("a", "A", 10)]
    assert state.campaign_ids == ["b", "a"]
