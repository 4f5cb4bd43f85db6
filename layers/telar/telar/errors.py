"""Domain errors with meaning; adapters and handlers map them to HTTP or to Step Functions errors."""

from collections.abc import Callable
from datetime import date
from typing import ClassVar

from telar.messages import CELL_NOTE, PROBLEM_AT, Text, english

ON_OUR_SIDE = "Production stopped on a problem on our side. Our team has been told and will contact you."
CANNOT_PLAN = (
    "We cannot plan this order with the makers and time available. Our team will contact you about quantities or dates."
)


class TelarError(Exception):
    """Base class of every error the domain raises on purpose.

    Its message is the internal detail (logs, the order's ``attention_detail``, the staff's view);
    ``buyer_message`` is what the buyer reads when this error ends her order (never the detail).
    """

    buyer_message: ClassVar[str] = ON_OUR_SIDE


def buyer_message(error_name: str) -> str | None:
    """The buyer words of the TelarError class named ``error_name`` (as Step Functions reports a Lambda's
    error: the class name), or None if no class has that name."""
    classes: list[type[TelarError]] = [TelarError]
    while classes:
        cls = classes.pop()
        if cls.__name__ == error_name:
            return cls.buyer_message
        classes += cls.__subclasses__()
    return None


class NotAuthenticated(TelarError):
    """No API key, or one that belongs to no buyer."""


class NotFound(TelarError, LookupError):
    """A record looked up by its id does not exist.

    Every lookup by id raises a subclass (``ReferenceData.group``, ``.product``, a stage reading its order or
    assignment); a ``find_...`` method returns None instead where absence is an answer, not a fault (an
    order line naming an unknown SKU). Also a LookupError, what callers caught before the family existed.
    """


class OrderNotFound(NotFound):
    """The order does not exist, or belongs to another buyer (the two look the same on purpose)."""


class AssignmentNotFound(NotFound):
    """An assignment a stage was given, or a QC sheet names, does not exist."""


class GroupNotFound(NotFound):
    """A production group is not in the reference data."""


class ProductNotFound(NotFound):
    """A SKU is not in the catalog (for instance removed by a confirmed import while an order waited to be planned)."""

    buyer_message = CANNOT_PLAN


class WageRuleNotFound(NotFound):
    """No minimum-wage rule is in force for a group's country and region on a day."""


class PieceRateNotFound(NotFound):
    """A product has no piece rate for a group (neither the group's own nor one in its currency)."""


class OrderRejected(TelarError):
    """The order is well-formed JSON but breaks a business rule; ``problems`` name each field."""

    def __init__(self, problems: list[dict[str, str]], earliest_ship_date: date | None = None):
        super().__init__("; ".join(f"{p['field']}: {p['message']}" for p in problems))
        self.problems = problems
        self.earliest_ship_date = earliest_ship_date  # set when the requested date is too early


class OrderConflict(TelarError):
    """The order cannot do what was asked in the state it is in (cancel after production has begun): a 409."""


class CapacityExceeded(TelarError):
    """No group has an active maker with the skill a product needs, or the work does not fit in the horizon."""

    buyer_message = CANNOT_PLAN


class CapacityContention(TelarError):
    """Other orders kept booking the same makers while this one was planned (or released): try again later.

    Raised under this name on purpose: the state machine retries it with backoff and jitter, so losing a race
    for capacity is waiting, not failure. Only a real lack of capacity (CapacityExceeded) reaches a person.
    """


class ActionInProgress(TelarError):
    """A once-only action (an e-mail) is claimed by an attempt that may still be doing it: try again later.

    Raised under this name on purpose: the state machine retries it with backoff and SQS delivers the message
    again, and by then the action is done (nothing left to do) or its holder died and its lease ran out (this
    attempt does it). Returning as if it were done would lose the e-mail of a holder that timed out.
    """


class ConditionFailed(TelarError):
    """A conditional write found the record changed since it was read (another delivery or order got there first).

    Raised by the store; the stage reads again and decides on fresh state.
    """


class ReferenceChanged(ConditionFailed):
    """A write made on the reference version an environment read last found another version in force: an import
    switched since. Nothing was written; read the reference data again."""


class QcNotYetAwaited(TelarError):
    """A QC sheet arrived before the pipeline started waiting for it: retry later (SQS redelivers)."""


class SheetInvalid(TelarError):
    """An uploaded spreadsheet cannot be accepted; ``problems`` say where and why."""

    def __init__(self, problems: list["SheetProblem"]):
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(str(p) for p in problems[:5]))
        self.problems = problems


class SheetProblem:
    """One problem in an uploaded sheet, located to the cell so a person can fix it.

    ``expected`` (and ``value`` or ``sheet`` when code describes them) are ``telar.messages.Text``: English as
    ``str``, said in the reader's language by :meth:`said`.
    """

    __slots__ = ("cell", "expected", "sheet", "value")

    def __init__(self, sheet: str, cell: str, value: object, expected: str):
        self.sheet, self.cell, self.value, self.expected = sheet, cell, value, expected

    def said(self, _: Callable[..., str] = english) -> str:
        """The problem in the words of the translator ``_`` (``telar.rendering.translator``); English by default."""
        return _(PROBLEM_AT(where=self._where(_), value=self._found(_), expected=self.expected))

    def note(self, _: Callable[..., str] = english) -> str:
        """What the marked cell's comment says (the cell itself is where the comment is)."""
        return _(CELL_NOTE(value=self._found(_), expected=self.expected))

    def _where(self, _: Callable[..., str]) -> str:
        sheet = _(self.sheet) if isinstance(self.sheet, Text) else self.sheet
        return f"{sheet}!{self.cell}" if self.cell else sheet

    def _found(self, _: Callable[..., str]) -> str:
        return repr(_(self.value) if isinstance(self.value, Text) else self.value)

    def __str__(self) -> str:
        return self.said()

    def as_dict(self) -> dict[str, str]:
        return {"sheet": self.sheet, "cell": self.cell, "value": repr(self.value), "expected": self.expected}
