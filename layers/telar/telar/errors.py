"""Domain errors with meaning; adapters and handlers map them to HTTP or to Step Functions errors."""


class TelarError(Exception):
    """Base class of every error the domain raises on purpose."""


class NotAuthenticated(TelarError):
    """No API key, or one that belongs to no buyer."""


class OrderNotFound(TelarError):
    """The order does not exist, or belongs to another buyer (the two look the same on purpose)."""


class OrderRejected(TelarError):
    """The order is well-formed JSON but breaks a business rule; ``problems`` name each field."""

    def __init__(self, problems: list[dict[str, str]]):
        super().__init__("; ".join(f"{p['field']}: {p['message']}" for p in problems))
        self.problems = problems


class CapacityExceeded(TelarError):
    """No group has the skill a product needs."""


class CapacityContention(TelarError):
    """Other orders kept booking the same makers while this one was planned (or released): try again later.

    Raised under this name on purpose: the state machine retries it with backoff and jitter, so losing a race
    for capacity is waiting, not failure. Only a real lack of capacity (CapacityExceeded) reaches a person.
    """


class AssignmentNotFound(TelarError):
    """A QC sheet names an assignment Telar does not know."""


class SheetInvalid(TelarError):
    """An uploaded spreadsheet cannot be accepted; ``problems`` say where and why."""

    def __init__(self, problems: list["SheetProblem"]):
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(str(p) for p in problems[:5]))
        self.problems = problems


class SheetProblem:
    """One problem in an uploaded sheet, located to the cell so a person can fix it."""

    __slots__ = ("cell", "expected", "sheet", "value")

    def __init__(self, sheet: str, cell: str, value: object, expected: str):
        self.sheet, self.cell, self.value, self.expected = sheet, cell, value, expected

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{where}: found {self.value!r}, expected {self.expected}"

    def as_dict(self) -> dict[str, str]:
        return {"sheet": self.sheet, "cell": self.cell, "value": repr(self.value), "expected": self.expected}
