"""Errors shown to the analyst: every problem names file, row, column, what was expected and what was found."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


_CELL = re.compile(r"[A-Z]{1,3}[1-9][0-9]*")


class BosettingError(Exception):
    """Base class for errors whose message (in Norwegian) is meant for the analyst."""


@dataclass(frozen=True)
class Problem:
    """One problem in one input: where it is, what was expected, what was found.

    ``row`` is the row number as the analyst sees it in a spreadsheet (the header is row 1),
    ``column`` is a column header, a cell reference (``"C7"``) or a parameter name.
    """

    file: str | None
    expected: str
    found: str = ""
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [Path(self.file).name if self.file else "(ukjent fil)"]
        if self.row is not None:
            where.append(f"rad {self.row}")
        if self.column is not None and self.file and self.file.endswith((".yaml", ".yml")):
            where.append(f"parameter «{self.column}»")
        elif self.column is not None and _CELL.fullmatch(self.column):
            where.append(f"celle {self.column}")
        elif self.column is not None:
            where.append(f"kolonne «{self.column}»")
        text = ", ".join(where) + f": forventet {self.expected}"
        if self.found != "":
            text += f", fant «{self.found}»"
        return text


class InputError(BosettingError):
    """One or more problems in the inputs; the message lists all of them."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        lines = [f"Feil i inndata ({len(self.problems)}):"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    def __reduce__(self):
        # Rebuild from the problems, not the message, when sent between processes (the national run).
        return (type(self), (self.problems,))


class ParameterError(InputError):
    """A problem in a parameter file; ``column`` holds the parameter's name."""


class AllocationError(BosettingError):
    """The rules cannot be met (e.g. caps below the total); the message states the shortfall."""
