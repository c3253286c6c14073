"""The command line's path through the package: read the inputs, score, decide, rank."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scoring.files import read_table
from scoring.inputs import Batch, key_from_table, read_batch, roster_from_tables
from scoring.keytable import KeyTable
from scoring.results import Results, Roster, score_exam
from scoring.scheme import load_scheme


@dataclass(frozen=True, eq=False)
class ExamInputs:
    """A scheme's key, the roster and the batch of sheets, read and checked."""

    key: KeyTable
    roster: Roster
    batch: Batch

    def score(self, key: KeyTable | None = None) -> Results:
        """Official results, with this key or another (a corrected one)."""
        b = self.batch
        return score_exam(key or self.key, self.roster, b.items, b.choices, b.sat)


def load_inputs(scheme: str | Path, key: Path, responses: Path, candidates: Path,
                formations: Path) -> ExamInputs:
    """Read and check every input file (CSV or XLSX).

    Raises
    ------
    SchemeError
        Unknown or malformed scheme.
    InputError
        A bad row in any file, naming the file, row and reason.
    """
    the_scheme = load_scheme(scheme)
    key_table = key_from_table(the_scheme, read_table(key))
    roster = roster_from_tables(the_scheme, read_table(candidates), read_table(formations))
    batch = read_batch(key_table, roster, responses, key_name=key.name,
                       roster_name=candidates.name)
    return ExamInputs(key=key_table, roster=roster, batch=batch)
