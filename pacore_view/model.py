"""What a run page shows, worked out from a run record: cards, what each message fed, the
timeline. Plain data, no HTML: the template escapes whatever it prints from here."""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field

from pacore_core.code_extract import strip_reasoning
from pacore_core.record import Cut, RoundRecord, RunRecord, TrajectoryRecord
from sandbox.models import TestResult

MAX_DIFF_LINES = 200


@dataclass
class TestView:
    result: TestResult
    diff: list[tuple[str, str]]  # (css class, line) of expected vs actual

    @property
    def failed(self) -> bool:
        return self.result.status != "passed"


@dataclass
class CardView:
    """One trajectory: its card in a round's column and its detail panel."""

    id: str  # "r1-t3": the element ids and the page's #anchor
    round: int
    t: TrajectoryRecord
    verdict: str  # passed, failed, error, no_code, request_error, ...
    tests: list[TestView]
    cluster: str | None = None  # agreement cluster letter
    chosen: bool = False
    message_seen: str | None = None  # the message exactly as the next round saw it
    message_shared_with: list[int] = field(default_factory=list)  # merged duplicates
    cuts: list[Cut] = field(default_factory=list)
    fed: list[str] = field(default_factory=list)  # card ids of the next round's trajectories
    fed_note: str = ""  # why it fed nothing, or "final round"
    reasoning_chars: int = 0  # what compaction dropped before the conclusion

    @property
    def score(self) -> str:
        v = self.t.verification
        return f"{v.passed}/{v.total}" if v is not None and v.total else ""

    @property
    def seconds(self) -> float:
        v = self.t.verification
        return self.t.latency_s + (v.duration_s if v is not None else 0.0)


@dataclass
class RoundView:
    r: RoundRecord
    id: str
    cards: list[CardView]
    saw: list[str]  # card ids of the previous round whose messages this round's prompt held
    final: bool


@dataclass
class Bar:
    """One trajectory on the timeline, in seconds since the run started."""

    card: str
    label: str
    start: float
    arrived: float
    verified: float
    verdict: str


@dataclass
class RunView:
    record: RunRecord
    rounds: list[RoundView]
    bars: list[Bar]
    span_s: float
    state: str  # "finished", "running", "interrupted"

    def card(self, card_id: str) -> CardView | None:
        return next((c for r in self.rounds for c in r.cards if c.id == card_id), None)


def card_id(round_index: int, index: int) -> str:
    return f"r{round_index}-t{index}"


def verdict_of(t: TrajectoryRecord) -> str:
    if t.error is not None:
        return "request_error"
    if t.verification is None:
        return "not_run"
    return t.verification.verdict


def text_diff(expected: str | None, actual: str | None) -> list[tuple[str, str]]:
    """Line diff of expected vs actual output, capped; empty when there is nothing to compare."""
    if expected is None or actual is None or expected == actual:
        return []
    lines = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                      "expected", "actual", lineterm="", n=2))
    out = []
    for line in lines[:MAX_DIFF_LINES]:
        kind = "add" if line.startswith("+") else "del" if line.startswith("-") else \
            "hunk" if line.startswith("@@") else "ctx"
        out.append((kind, line))
    if len(lines) > MAX_DIFF_LINES:
        out.append(("hunk", f"... {len(lines) - MAX_DIFF_LINES} more diff lines"))
    return out


def _sources(prev: RoundRecord) -> list[list[int]]:
    """The trajectories behind each message; records written before `message_sources`
    existed are matched by the program (or conclusion) each message carries."""
    if prev.message_sources and len(prev.message_sources) == len(prev.messages):
        return prev.message_sources
    out: list[list[int]] = []
    for m in prev.messages:
        out.append([t.index for t in prev.trajectories if _carries(m, t)])
    return out


def _carries(message: str, t: TrajectoryRecord) -> bool:
    if t.code:
        return t.code.rstrip() in message
    return bool(t.message) and t.message[:200] in message


def _clusters(record: RunRecord) -> dict[str, str]:
    agreement = record.result.agreement
    if agreement is None:
        return {}
    letters: dict[str, str] = {}
    for n, cluster in enumerate(agreement.clusters):
        name = chr(ord("A") + n) if n < 26 else f"C{n}"
        for member in cluster.members:
            letters[member] = name
    return letters


def build(record: RunRecord, state: str = "finished") -> RunView:
    result = record.result
    clusters = _clusters(record)
    sel = result.selected
    rounds: list[RoundView] = []
    for n, r in enumerate(result.rounds):
        cards = []
        for t in sorted(r.trajectories, key=lambda t: t.index):
            v = t.verification
            tests = [TestView(x, text_diff(x.expected, x.actual)) for x in (v.tests if v else [])]
            conclusion = strip_reasoning(t.content)
            reasoning = len(t.reasoning or "") + max(len(t.content.strip()) - len(conclusion), 0)
            cards.append(CardView(
                id=card_id(r.round, t.index), round=r.round, t=t, verdict=verdict_of(t), tests=tests,
                cluster=clusters.get(f"{r.round}:{t.index}"), reasoning_chars=reasoning,
                chosen=sel.source != "none" and sel.round == r.round and sel.index == t.index,
                cuts=[c for c in r.cuts if t.index in c.indices]))
        final = n == len(result.rounds) - 1 and r.k == 1 and len(result.rounds) == len(record.config.widths)
        rounds.append(RoundView(r=r, id=f"round-{r.round}", cards=cards, saw=[], final=final))
    for prev, nxt in itertools.pairwise(rounds):
        _link(prev, nxt)
    if rounds and not rounds[-1].final:
        for c in rounds[-1].cards:
            c.fed_note = c.fed_note or "its round's messages were not used: the run ended here"
    elif rounds:
        for c in rounds[-1].cards:
            c.fed_note = "the final round: its answer is the run's answer, not a reference"
    bars = _timeline(rounds)
    span = max((b.verified for b in bars), default=0.0)
    return RunView(record=record, rounds=rounds, bars=bars, span_s=max(span, result.wall_s), state=state)


def _link(prev: RoundView, nxt: RoundView) -> None:
    """Which message of `prev` each trajectory became, and the trajectories of `nxt` it fed."""
    by_index = {c.t.index: c for c in prev.cards}
    receivers = [c.id for c in nxt.cards]
    for m, sources in zip(prev.r.messages, _sources(prev.r), strict=False):
        for i in sources:
            card = by_index.get(i)
            if card is None:
                continue
            card.message_seen = m
            card.message_shared_with = [j for j in sources if j != i]
            card.fed = receivers
            if card.id not in nxt.saw:
                nxt.saw.append(card.id)
    for c in prev.cards:
        if c.message_seen is not None:
            continue
        if c.t.error is not None:
            c.fed_note = "the request failed: there was no answer to pass on"
        elif any(cut.kind == "dropped" for cut in c.cuts):
            c.fed_note = "its message was dropped to fit the context window"
        else:
            c.fed_note = "its message did not reach the next round"


def _timeline(rounds: list[RoundView]) -> list[Bar]:
    bars = []
    for rv in rounds:
        base = rv.r.started_s
        for c in rv.cards:
            t = c.t
            arrived = t.arrived_s if t.arrived_s is not None else t.latency_s
            v = t.verification
            verified = t.verified_s if t.verified_s is not None else arrived + (v.duration_s if v else 0.0)
            bars.append(Bar(card=c.id, label=f"R{rv.r.round} #{t.index}", start=base,
                            arrived=base + arrived, verified=base + max(verified, arrived),
                            verdict=c.verdict))
    return bars
