"""Problems found in inputs, collected and reported together."""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from numbers import Number


def suggest(word: object, known) -> str:
    """` (did you mean 'x'?)` for the closest of `known` to a misspelt `word`, or ''."""
    word, known = str(word), sorted(str(k) for k in known)
    close = [k for k in known if len(word) >= 4 and k.startswith(word)][:1] or \
        difflib.get_close_matches(word, known, n=1, cutoff=0.6)   # a cut-off name, or a typo
    return f" (did you mean {close[0]!r}?)" if close else ""


def shown(value: object) -> str:
    """A value as the planner wrote it: 1.2, not np.float64(1.2); text in quotes."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()                     # numpy scalar -> Python scalar
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    if isinstance(value, Number):
        return str(value)
    return repr(str(value))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the inputs: where it is, what it holds and what was expected.

    ``row`` is the line of the file as a spreadsheet shows it (the header is row 1, the first
    data row is row 2); it is None for a problem that concerns a whole file or column. In a
    YAML file ``row`` is its line and ``column`` the dotted key.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        yaml = self.file.endswith((".yaml", ".yml"))
        where = self.file
        if self.row is not None:
            where += f", {'line' if yaml else 'row'} {self.row}"
        if self.column:
            where += f", {'key' if yaml else 'column'} {self.column}"
        empty = self.value is None or isinstance(self.value, str) and self.value == ""
        value = "" if empty else f" (got {shown(self.value)})"
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
