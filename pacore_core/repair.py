"""Repair rather than rewrite: round 1 starts from the user's own program.

Why a seeded trajectory: it is verified like any candidate, so the message the synthesis
round reads carries its failing tests (or the oracle's counterexample) next to its code, and
the model repairs it. `pacore solve --start FILE` and the editor's "Fix with PaCoRe" share it.
"""

from __future__ import annotations

from pacore_core.backends.base import Trajectory
from pacore_core.record import TrajectoryPool

START_NOTE = "The user's own program (it may be wrong; repair it rather than rewrite it):"


def seeded_pool(problem_id: str, language: str, code: str,
                pool: TrajectoryPool | None = None) -> TrajectoryPool:  # fmt: skip
    """`pool` (or an empty one) with the user's program first among `problem_id`'s round-1
    trajectories: the model is asked for one fewer."""
    content = f"{START_NOTE}\n```{language}\n{code.rstrip()}\n```"
    seeded = TrajectoryPool(problems=dict(pool.problems) if pool else {})
    seeded.problems[problem_id] = [Trajectory(index=0, content=content, request_id="start"),
                                   *seeded.problems.get(problem_id, [])]  # fmt: skip
    return seeded
