"""The master's cut rows, kept while they bind.

Each round adds a cut per scenario group and block (1,000 rows a round on 100 EU
scenarios), and most of them never bind again: the trust region moves on. A cut row that
is basic (slack) in STALE consecutive LP solves of the master is deleted before the next
round's cuts go in. The master keeps only valid cuts, so it still relaxes the study and its
unrestricted optimum is still a lower bound (the loop keeps the best it has seen); HiGHS
keeps the remaining rows' basis through the deletion (a deleted basic row leaves a basis of
the rest), so the next solve starts warm.
"""
from __future__ import annotations

import highspy
import numpy as np


STALE = 8          # consecutive LP solves a cut is slack in before it goes


class CutRows:
    """The cut rows of a master held in `highs`, which follow its `first` rows, each with the
    number of consecutive LP solves it has been slack in."""

    def __init__(self, highs: highspy.Highs, first: int):
        self.highs, self.first = highs, first
        self.slack = np.zeros(0, dtype=np.int64)
        self.dropped = 0

    def added(self, count: int) -> None:
        self.slack = np.concatenate([self.slack, np.zeros(count, dtype=np.int64)])

    def seen(self) -> None:
        """After an LP solve: a basic cut row is slack once more, any other binds."""
        basis = self.highs.getBasis()
        if not basis.valid:
            return
        basic = np.array([s == highspy.HighsBasisStatus.kBasic
                          for s in basis.row_status[self.first:]], dtype=bool)
        self.slack = np.where(basic, self.slack + 1, 0)

    def prune(self) -> None:
        """Delete the cut rows slack in the last STALE LP solves."""
        stale = np.flatnonzero(self.slack >= STALE)
        if len(stale):
            self.highs.deleteRows(len(stale), (stale + self.first).astype(np.int32))
            self.slack = np.delete(self.slack, stale)
            self.dropped += len(stale)

    @property
    def kept(self) -> int:
        return len(self.slack)
