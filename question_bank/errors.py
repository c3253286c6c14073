"""Errors of the question bank; each says what was wrong, where, and what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the format allows.

    ``row`` is the 1-based row (CSV/XLSX, counting the header as row 1) or the 1-based
    position of the item in a JSON list / QTI package; ``column`` is the spreadsheet column
    letter or the field name.
    """

    file: str
    reason: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class BankError(Exception):
    """A bank operation was refused; nothing was written."""


class ImportRejected(BankError):
    """An import was refused as a whole; ``problems`` lists every bad row at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        head = f"import refused, nothing written: {len(problems)} problem(s)"
        super().__init__("\n".join([head, *(f"  {p}" for p in problems)]))


class BlueprintError(BankError):
    """A blueprint is malformed or the bank cannot fill it (names the cell and shortfall)."""


class WorkflowError(BankError):
    """A review step is not allowed (wrong state, or maker–checker violated)."""


class SealError(Exception):
    """A sealed package failed a check; the message names the part that failed."""
