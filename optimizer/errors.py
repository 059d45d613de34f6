"""Problems found in inputs, collected and reported together."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the inputs: where it is, what it holds and what was expected.

    ``row`` is the line of the file as a spreadsheet shows it (the header is row 1, the first
    data row is row 2); it is None for a problem that concerns a whole file or column.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        value = "" if self.value in (None, "") else f" (got {self.value!r})"
        return f"{where}: expected {self.expected}{value}"


class InputError(Exception):
    """Bad input: every problem found, not just the first. The CLI exits with status 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the inputs")

    def __str__(self) -> str:
        lines = [f"{len(self.problems)} problem(s) in the inputs:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class SettingsError(ValueError):
    """Settings that cannot work together (an engine's rank count and bundle size, say),
    found before any work. The CLI exits with status 2, as for any usage error."""
