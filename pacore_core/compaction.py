"""Compaction C: a trajectory becomes a short message carrying its program and its verdict."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pacore_core.code_extract import normalised_form, strip_reasoning
from pacore_core.record import Cut, RoundRecord, TrajectoryRecord, Verification
from sandbox.models import Language, TestResult, judge_name
from sandbox.runners.trim_text import trim as trim_middle  # the one head+tail trimmer

# Detail levels, from full to bare: the budget lowers the level before dropping messages.
FULL, SHORT, COUNTS = 0, 1, 2
_MAX_FAILURES_SHOWN = 5
_MAX_PROSE_CHARS = 1500


def _failure_lines(t: TestResult, level: int, max_chars: int) -> list[str]:
    head = f"- {t.name}: {judge_name(t.status)}"
    if t.error_type:
        head += f" ({t.error_type})"
    lines = [head]
    if level >= COUNTS:
        return lines
    limit = max_chars if level == FULL else max(max_chars // 4, 60)
    if t.expected is not None or t.actual is not None:
        lines.append(f"  expected: {trim_middle(t.expected or '', limit // 2)!r}")
        lines.append(f"  actual:   {trim_middle(t.actual or '', limit // 2)!r}")
    if t.message:
        lines.append("  " + trim_middle(t.message, limit).replace("\n", "\n  "))
    if level == FULL and t.traceback:
        lines.append("  traceback (trimmed):\n    " + trim_middle(t.traceback, limit).replace("\n", "\n    "))
    return lines


def verification_block(v: Verification | None, *, level: int = FULL, max_chars: int = 600) -> str:
    """What running the code showed. Only public test details are shown to the model."""
    if v is None:
        return "Verification: not run."
    if v.verdict == "no_code":
        return "Verification: no runnable code was found in this response."
    if v.verdict == "tampered":  # said even for hidden tests: it names what was refused, not a test
        why = next((t.message for t in [*v.tests, *v.probes] if t.status == "tampered" and t.message), "")
        limit = max_chars if level == FULL else max(max_chars // 4, 60)
        return ("Verification: TAMPERED. The program reached into the test harness instead of solving "
                "the problem; it was refused and counts as failing every test. It will never be chosen.\n"
                + trim_middle(why, limit))  # fmt: skip
    if v.public is None:
        hidden = "Verification: run against hidden tests only; results are not shown."
        return "\n".join([hidden, *_oracle_lines(v, level, max_chars)])
    if v.verdict == "compile_error" and v.compile_output:
        limit = max_chars if level == FULL else max_chars // 4
        return "Verification: compilation error.\n" + trim_middle(v.compile_output, limit)
    score = v.public
    status = "all passed" if score.passed == score.total and score.total else "FAILED"
    lines = [f"Verification: {score.passed}/{score.total} public tests passed ({status})."]
    public_failures = [t for t in v.tests
                       if t.status != "passed" and not t.name.startswith(("hidden:", "oracle:"))]
    for t in public_failures[: _MAX_FAILURES_SHOWN if level < COUNTS else 1]:
        lines.extend(_failure_lines(t, level, max_chars))
    if len(public_failures) > _MAX_FAILURES_SHOWN and level < COUNTS:
        lines.append(f"- ... and {len(public_failures) - _MAX_FAILURES_SHOWN} more failing tests")
    lines.extend(_oracle_lines(v, level, max_chars))
    return "\n".join(lines)


def _oracle_lines(v: Verification, level: int, max_chars: int) -> list[str]:
    """Where the program disagrees with the brute force: the input and both outputs."""
    if v.oracle is None or not v.oracle.total:
        return []
    score = v.oracle
    if score.passed == score.total:
        return [f"Oracle: matched the brute force on all {score.total} generated inputs."]
    lines = [f"Oracle: matched the brute force on {score.passed}/{score.total} generated inputs "
             "(the brute force is slow but trusted; where they differ, this program is wrong)."]  # fmt: skip
    wrong = [t for t in v.tests if t.name.startswith("oracle:") and t.status != "passed"]
    shown = 1 if level >= COUNTS else 3
    limit = max_chars if level == FULL else max(max_chars // 4, 60)
    for t in wrong[:shown]:
        lines.append(f"- {t.name}: {t.status}" + (f" ({t.error_type})" if t.error_type else ""))
        if level < COUNTS:
            lines.append(f"  input:           {trim_middle(t.input or '', limit // 2)!r}")
            if t.expected is not None:
                lines.append(f"  brute force:     {trim_middle(t.expected, limit // 2)!r}")
                lines.append(f"  this program:    {trim_middle(t.actual or '', limit // 2)!r}")
            elif t.message:
                lines.append("  " + trim_middle(t.message, limit))
    if len(wrong) > shown:
        lines.append(f"- ... and {len(wrong) - shown} more disagreements")
    return lines


def compact(
    t: TrajectoryRecord,
    language: Language,
    *,
    with_verdicts: bool,
    level: int = FULL,
    max_chars: int = 600,
    copies: int = 1,
) -> str:
    """C(trajectory). Paper mode keeps the conclusion; code mode keeps program + verdict."""
    conclusion = strip_reasoning(t.content)
    if not with_verdicts:
        return conclusion
    parts = []
    if copies > 1:
        parts.append(f"({copies} trajectories produced this program.)")
    if t.code is not None:
        parts.append(f"```{language}\n{t.code.rstrip()}\n```")
    else:
        prose = trim_middle(conclusion, _MAX_PROSE_CHARS if level == FULL else 300)
        parts.append(prose or "(empty response)")
        if t.code_problem:
            parts.append(f"Problem with this response: {t.code_problem}.")
    parts.append(verification_block(t.verification, level=level, max_chars=max_chars))
    return "\n\n".join(parts)


@dataclass
class MessageGroup:
    """Trajectories that produced the same program (by normalised syntax tree)."""

    indices: list[int]
    representative: TrajectoryRecord
    score: float
    has_code: bool
    texts: dict[int, str] = field(default_factory=dict)  # detail level -> message


def group_duplicates(trajectories: list[TrajectoryRecord], language: Language) -> list[MessageGroup]:
    groups: dict[str, MessageGroup] = {}
    singles: list[MessageGroup] = []
    for t in trajectories:
        if t.error is not None:
            continue  # a failed request has no conclusion to pass on
        score = _score(t.verification)
        if t.code is None:
            singles.append(MessageGroup([t.index], t, score, has_code=False))
            continue
        key = normalised_form(t.code, language)
        if key in groups:
            groups[key].indices.append(t.index)
        else:
            groups[key] = MessageGroup([t.index], t, score, has_code=True)
    return [*groups.values(), *singles]


def reference_groups(
    previous: RoundRecord, language: Language, *, merge: bool, rng: random.Random
) -> tuple[list[MessageGroup], list[Cut]]:
    """The messages M_{r-1} before the budget, in `rng`'s order (against position bias).

    With `merge`, one group per distinct program, each merge recorded as a cut; without,
    the paper's behaviour: one message per trajectory.
    """
    groups = group_duplicates(previous.trajectories, language)
    cuts: list[Cut] = []
    if merge:
        cuts = [Cut(kind="merged", indices=list(g.indices),
                    detail=f"{len(g.indices)} trajectories produced the same program")
                for g in groups if len(g.indices) > 1]
    else:
        by_index = {t.index: t for t in previous.trajectories}
        groups = [MessageGroup([i], by_index[i], g.score, g.has_code)
                  for g in groups for i in g.indices]
    rng.shuffle(groups)
    return groups, cuts


def _score(v: Verification | None) -> float:
    if v is None or v.public is None or v.public.total == 0:
        return 0.0
    return v.public.passed / v.public.total
