from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from cynare.domain.identity import IdentityMap, firm_id_of
from cynare.domain.lifecycle import IllegalTransition, State, Transition, check_transition
from cynare.domain.schedule import is_local_run_time


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (State.RECEIVED, State.READY),
        (State.WAITING, State.READY),
        (State.READY, State.POSTING),
        (State.POSTING, State.POSTED),
        (State.POSTING, State.REJECTED),
        (State.POSTED, State.READY),
    ],
)
def test_allowed_transitions(current: State, new: State) -> None:
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [(State.RECEIVED, State.POSTED), (State.WAITING, State.POSTING), (State.POSTED, State.POSTING)],
)
def test_forbidden_transitions_say_why(current: State, new: State) -> None:
    with pytest.raises(IllegalTransition, match=f"a {current.value} document cannot become {new.value}"):
        check_transition(current, new)


def test_transition_round_trips_as_a_list() -> None:
    transition = Transition(datetime(2026, 11, 26, 1, 30, tzinfo=UTC), State.WAITING, "waiting on clients|C1")
    assert Transition.from_list(transition.as_list()) == transition


def test_nightly_run_follows_uk_summer_time() -> None:
    # 01:30 in London is 01:30 UTC in winter and 00:30 UTC in summer.
    assert is_local_run_time(datetime(2026, 1, 15, 1, 30, tzinfo=UTC), time(1, 30), "Europe/London")
    assert not is_local_run_time(datetime(2026, 1, 15, 0, 30, tzinfo=UTC), time(1, 30), "Europe/London")
    assert is_local_run_time(datetime(2026, 7, 15, 0, 30, tzinfo=UTC), time(1, 30), "Europe/London")
    assert not is_local_run_time(datetime(2026, 7, 15, 1, 30, tzinfo=UTC), time(1, 30), "Europe/London")


def test_run_time_needs_an_aware_timestamp() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_local_run_time(datetime(2026, 1, 15, 1, 30), time(1, 30), "Europe/London")


def test_home_source_ids_are_firm_ids_and_others_are_kept_apart() -> None:
    assert firm_id_of("old", "old", "C1") == "C1"
    assert firm_id_of("old", "new", "C1") == "new:C1"
    identities = IdentityMap("old", "new", {("clients", "N7"): "C1"})
    assert identities.firm_id("clients", "N7") == "C1"
    assert identities.firm_id("clients", "N8") == "new:N8"
    assert identities.firm_id("bills", "N7") == "new:N7"
