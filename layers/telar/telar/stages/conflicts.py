"""Read, decide, write conditionally, and on a lost write read again: the loop of every stage that books capacity."""

import random
import time
from collections.abc import Callable
from typing import TypeVar

from telar.errors import CapacityContention, ConditionFailed
from telar.observability import logger

PLAN_ATTEMPTS = 5  # another order booking the same groups at the same moment makes us plan again

T = TypeVar("T")
S = TypeVar("S")


def retry_on_conflict(attempt: Callable[[], T], settled: Callable[[], S | None], *, what: str) -> T | S:
    """``attempt()`` (fresh reads, a decision, one conditional write) until its write goes through.

    When the write loses (ConditionFailed), ``settled()`` says whether another delivery of the same work stored
    its result first: that result stands and is returned. Otherwise another order changed what we read (its
    bookings): wait a little, with jitter, and attempt again on fresh reads.

    Raises
    ------
    CapacityContention
        after ``PLAN_ATTEMPTS`` lost writes (the state machine retries the stage with backoff).
    """
    for number in range(1, PLAN_ATTEMPTS + 1):
        try:
            return attempt()
        except ConditionFailed:
            if (result := settled()) is not None:
                return result
            logger.info(f"capacity bookings changed while trying to {what}; trying again", attempt=number)
            time.sleep(random.uniform(0.05, 0.2) * number)
    raise CapacityContention(f"capacity bookings kept changing during {PLAN_ATTEMPTS} attempts to {what}")
