"""Disagreement evidence as message text: where a program behaves unlike most others.

Why only minority inputs: "agreed on 38 of 40 inputs" says little; "on f([3, 1, 2]) this
program returned [1, 2, 3] while 5 of the 7 other programs returned [3, 2, 1]" is a
concrete case the next round can reason about. Detail shrinks with the compaction level,
like verdicts: full (three cases), short (one case, shorter values), counts (one line).
"""

from __future__ import annotations

from pacore_core.agreement.clustering import Minority, minorities, same_behaviour
from pacore_core.agreement.models import Behaviour, Outcome, ProbeInput

FULL, SHORT, COUNTS = 0, 1, 2
_CASES = {FULL: 3, SHORT: 1, COUNTS: 0}
_VALUE_CHARS = {FULL: 160, SHORT: 60, COUNTS: 0}


def _describe(key: str, behaviours: dict[str, Behaviour], name: str, limit: int) -> str:
    """Text of the outcome with this key on this input (any candidate that had it)."""
    for b in behaviours.values():
        o = b.outcomes.get(name)
        if o is not None and o.key == key:
            return _short(o, limit)
    return key


def _short(o: Outcome, limit: int) -> str:
    text = o.describe()
    return text if len(text) <= limit else text[: limit - 12] + " ...[cut]"


def evidence_block(
    me: str,
    behaviours: dict[str, Behaviour],
    inputs: list[ProbeInput],
    dropped: dict[str, str],
    *,
    entry_point: str | None,
    level: int = FULL,
) -> str:
    """The agreement paragraph of one candidate's message ("" if it has no behaviour)."""
    if me not in behaviours:
        return ""
    kept = [p.name for p in inputs if p.name not in dropped]
    others = len(behaviours) - 1
    if not kept or others < 1:
        return ""
    same = same_behaviour(me, behaviours, kept)
    cases = minorities(me, behaviours, inputs, dropped)
    head = (
        f"Agreement on {len(kept)} generated inputs: this program behaved exactly like "
        f"{same} of the {others} other programs"
    )
    if not cases:
        return head + "; it was never in a minority."
    lines = [head + f"; it was in a minority on {len(cases)} inputs."]
    limit = _VALUE_CHARS[level]
    for m in cases[: _CASES[level]]:
        lines.append(_case_line(m, behaviours, entry_point, limit))
    if len(cases) > _CASES[level] and level < COUNTS:
        lines.append(f"- ... and {len(cases) - _CASES[level]} more inputs")
    return "\n".join(lines)


def _case_line(m: Minority, behaviours: dict[str, Behaviour], entry_point: str | None, limit: int) -> str:
    name = m.input.name
    where = "on input" if m.input.args is not None else "on stdin"
    mine = _describe(m.mine, behaviours, name, limit)
    theirs = _describe(m.majority, behaviours, name, limit)
    shown = m.input.shown(entry_point, limit=max(limit, 60))
    return (
        f"- {where} {shown} this program {mine}; {m.majority_count} of the {m.others} other programs {theirs}"
    )
