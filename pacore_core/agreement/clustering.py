"""Behaviour signatures and clusters: candidates that did the same thing on every kept input.

Inputs on which no candidate produced a value (all raised, crashed or timed out) say nothing
about which program is right (usually the input breaks a precondition, or is too big) and
are dropped with a note instead of being counted as disagreement. A cluster's weight is
CodeT's: its size times the inputs on which its behaviour is a returned value, so a crowd
of programs that all crash is not mistaken for consensus.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pacore_core.agreement.models import Behaviour, ClusterRecord, ProbeInput


@dataclass(frozen=True)
class Cluster:
    members: tuple[str, ...]
    signature: tuple[str, ...]
    values: int

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def score(self) -> float:
        return float(self.size * max(self.values, 1))

    def record(self) -> ClusterRecord:
        return ClusterRecord(members=list(self.members), score=self.score, values=self.values)


def dropped_inputs(inputs: list[ProbeInput], behaviours: dict[str, Behaviour]) -> dict[str, str]:
    """Input name -> why it tells nothing: no candidate produced a value on it."""
    out: dict[str, str] = {}
    for p in inputs:
        outcomes = [b.outcomes[p.name] for b in behaviours.values() if p.name in b.outcomes]
        if not outcomes:
            out[p.name] = "no candidate ran it"
        elif all(o.kind == "timeout" for o in outcomes):
            out[p.name] = "timed out in every candidate"
        elif all(o.kind != "value" for o in outcomes):
            kinds = sorted({o.text or o.kind for o in outcomes})
            out[p.name] = f"failed in every candidate ({', '.join(kinds[:3])})"
    return out


def signature(behaviour: Behaviour, kept: list[str]) -> tuple[str, ...]:
    return tuple(behaviour.outcomes[n].key if n in behaviour.outcomes else "missing" for n in kept)


def cluster(behaviours: dict[str, Behaviour], kept: list[str]) -> list[Cluster]:
    """Clusters, heaviest first (ties: larger, then the one whose first member came first)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for key, b in behaviours.items():
        groups.setdefault(signature(b, kept), []).append(key)
    order = {key: i for i, key in enumerate(behaviours)}
    out = [
        Cluster(tuple(members), sig, sum(1 for s in sig if s.startswith("value:")))
        for sig, members in groups.items()
    ]
    out.sort(key=lambda c: (-c.score, -c.size, order[c.members[0]]))
    return out


@dataclass(frozen=True)
class Minority:
    """An input on which one candidate did something most of the others did not."""

    input: ProbeInput
    mine: str  # outcome key of this candidate
    majority: str  # outcome key most others share
    majority_count: int
    others: int


def minorities(
    me: str, behaviours: dict[str, Behaviour], inputs: list[ProbeInput], dropped: dict[str, str]
) -> list[Minority]:
    """Kept inputs where `me` differs from what strictly more of the others did (and at least
    two of them); the most lopsided first, then the shortest input (easiest to reason about)."""
    mine = behaviours.get(me)
    if mine is None:
        return []
    others = {k: b for k, b in behaviours.items() if k != me}
    out: list[Minority] = []
    for p in inputs:
        if p.name in dropped or p.name not in mine.outcomes:
            continue
        keys = Counter(b.outcomes[p.name].key for b in others.values() if p.name in b.outcomes)
        if not keys:
            continue
        top, count = keys.most_common(1)[0]
        my_key = mine.outcomes[p.name].key
        if top != my_key and count >= 2 and count > keys.get(my_key, 0):  # one other is no crowd
            out.append(Minority(p, my_key, top, count, sum(keys.values())))
    out.sort(key=lambda m: (-(m.majority_count / max(m.others, 1)), len(m.input.args or m.input.stdin or "")))
    return out


def same_behaviour(me: str, behaviours: dict[str, Behaviour], kept: list[str]) -> int:
    """How many other candidates have exactly this candidate's signature."""
    if me not in behaviours:
        return 0
    sig = signature(behaviours[me], kept)
    return sum(1 for k, b in behaviours.items() if k != me and signature(b, kept) == sig)
