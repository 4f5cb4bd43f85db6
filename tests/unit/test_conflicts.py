"""retry_on_conflict: the read-decide-write loop of the stages that book capacity."""

from collections.abc import Callable

import pytest

from telar.errors import CapacityContention, ConditionFailed
from telar.stages import conflicts


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(conflicts.time, "sleep", slept.append)
    return slept


def _losing(times: int, result: str = "stored") -> tuple[list[str], Callable[[], str]]:
    """A write that loses ``times`` times, then stores ``result``; and the list of its attempts."""
    calls: list[str] = []

    def attempt() -> str:
        calls.append("attempt")
        if len(calls) <= times:
            raise ConditionFailed("another order booked first")
        return result

    return calls, attempt


def test_a_write_that_loses_is_attempted_again_on_fresh_reads(no_sleep: list[float]) -> None:
    # Given a write that loses twice to other orders, then goes through
    calls, attempt = _losing(2)
    # When it is retried on conflict, Then its result comes back after three attempts and two waits
    assert conflicts.retry_on_conflict(attempt, lambda: None, what="plan ord-1") == "stored"
    assert len(calls) == 3 and len(no_sleep) == 2


def test_a_result_another_delivery_stored_first_stands(no_sleep: list[float]) -> None:
    # Given a write that loses because another delivery of the same work stored its result first
    calls, attempt = _losing(1)
    # When it is retried on conflict, Then that result is returned at once, without a second attempt
    assert conflicts.retry_on_conflict(attempt, lambda: "theirs", what="plan ord-1") == "theirs"
    assert len(calls) == 1 and no_sleep == []


def test_losing_every_attempt_is_capacity_contention_for_the_state_machine_to_retry() -> None:
    calls, attempt = _losing(99)
    with pytest.raises(CapacityContention, match="during 5 attempts to book ord-1-rework1"):
        conflicts.retry_on_conflict(attempt, lambda: None, what="book ord-1-rework1")
    assert len(calls) == conflicts.PLAN_ATTEMPTS
