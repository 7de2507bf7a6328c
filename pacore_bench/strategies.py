"""Test-time strategies compared by `pacore bench`, all on the same problems and model.

* `single`: one sample, taken as is.
* `best-of-N`: N samples; the one passing the most public tests (lowest index on ties).
* `self-consistency-N`: N samples clustered by their behaviour on the public inputs (each
  test's output, or its pass/failure kind); the largest cluster wins (ties: more public tests
  passed, then lowest index). Without public tests, identical programs (same normalised
  syntax tree) form the clusters.
* `pacore-low|medium|high` and `pacore:K1,K2,...`: the PaCoRe engine with those widths.
* `...+agreement` after a PaCoRe strategy (`pacore-low+agreement`, `pacore:8,2+agreement`):
  the same with execution agreement (generated inputs; selection by tests, then by the
  weight of the candidate's behaviour cluster). Writing the inputs counts as TTC tokens.

Strategies see only public tests: the harness hands them the problem without its hidden
suite, so neither selection nor synthesis messages can depend on hidden tests.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, Field

from pacore_core.agreement.inputs import agreement_settings
from pacore_core.backends.base import Backend, count_model_calls
from pacore_core.code_extract import normalised_form
from pacore_core.config import PRESETS, RunConfig, cli_flag
from pacore_core.engine import Engine
from pacore_core.errors import run_failure
from pacore_core.problem import Problem
from pacore_core.record import (
    RoundRecord,
    RunResult,
    SelectedCandidate,
    SuiteScore,
    TrajectoryRecord,
    Verification,
)
from pacore_core.selection import eligible, tampered
from sandbox.base import Sandbox

StrategyKind = Literal["single", "best_of", "self_consistency", "pacore"]


class StrategySpec(BaseModel):
    name: str
    kind: StrategyKind
    n: int = 1
    rounds: list[int] = Field(default_factory=list)
    agreement: bool = False


_BEST = re.compile(r"best-of-(\d+)")
_SC = re.compile(r"self-consistency-(\d+)")


AGREEMENT_SUFFIX = "+agreement"


def parse_strategy(token: str) -> StrategySpec:
    t = token.strip().lower()
    if t.endswith(AGREEMENT_SUFFIX):
        base = parse_strategy(t.removesuffix(AGREEMENT_SUFFIX))
        if base.kind != "pacore":
            raise ValueError(f"strategy {token!r}: {AGREEMENT_SUFFIX} applies to PaCoRe strategies "
                             "(pacore-low|medium|high, pacore:K1,K2)")
        return base.model_copy(update={"name": base.name + AGREEMENT_SUFFIX, "agreement": True})
    if t == "single":
        return StrategySpec(name="single", kind="single")
    if m := _BEST.fullmatch(t):
        return StrategySpec(name=t, kind="best_of", n=_positive(m.group(1), t))
    if m := _SC.fullmatch(t):
        return StrategySpec(name=t, kind="self_consistency", n=_positive(m.group(1), t))
    if t.startswith("pacore-") and t[7:] in PRESETS:
        return StrategySpec(name=t, kind="pacore", rounds=list(PRESETS[t[7:]]))
    if t.startswith("pacore:"):
        widths = [_positive(w, t) for w in t[7:].split(",") if w.strip()]
        if not widths:
            raise ValueError(f"strategy {token!r}: give widths such as pacore:8,2")
        return StrategySpec(name="pacore:" + ",".join(map(str, widths)), kind="pacore",
                            rounds=widths)
    raise ValueError(
        f"unknown strategy {token!r}; use single, best-of-N, self-consistency-N, "
        "pacore-low|medium|high or pacore:K1,K2"
    )


def _positive(text: str, token: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise ValueError(f"strategy {token!r}: {text!r} is not a number") from None
    if n < 1:
        raise ValueError(f"strategy {token!r}: sizes must be at least 1")
    return n


def parse_strategies(text: str) -> list[StrategySpec]:
    """Comma-separated; bare numbers continue the preceding `pacore:` width list."""
    tokens: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if (part.removesuffix(AGREEMENT_SUFFIX).isdigit() and tokens
                and tokens[-1].lower().startswith("pacore:")
                and not tokens[-1].lower().endswith(AGREEMENT_SUFFIX)):
            tokens[-1] += "," + part
        else:
            tokens.append(part)
    specs = [parse_strategy(t) for t in tokens]
    if not specs:
        raise ValueError("no strategies given")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"strategy listed twice in {text!r}")
    return specs


class RunCost(BaseModel):
    """What one strategy run spent; benchmark rows carry the same figures."""

    trajectories: int = 0
    ttc_tokens: int = 0
    prompt_tokens: int = 0
    model_calls: int = 0
    wall_s: float = 0.0
    sandbox_s: float = 0.0
    tampered: int = 0  # candidates judged `tampered` (caught reaching into the harness)

    def cost(self) -> RunCost:
        return RunCost(**self.model_dump(include=set(RunCost.model_fields)))


class StrategyOutcome(RunCost):
    """What a strategy chose and what it cost."""

    code: str | None = None
    public: SuiteScore | None = None
    reason: str = ""
    error: str | None = None
    result: RunResult | None = Field(default=None, exclude=True, repr=False)  # for the row's run page


async def run_strategy(
    spec: StrategySpec,
    problem: Problem,
    *,
    backend: Backend,
    sandbox: Sandbox,
    config: RunConfig,
) -> StrategyOutcome:
    """Run one strategy once on `problem` (which must hold public tests only)."""
    if problem.hidden_tests is not None:
        raise ValueError("strategies must not see hidden tests; strip them first")
    start = time.perf_counter()
    cfg = config.model_copy(update={"select_on": "public"})
    try:
        if spec.kind == "pacore":
            # a strategy says whether it uses agreement: the configured `auto` never decides
            cfg = cfg.model_copy(update={"rounds": list(spec.rounds),
                                         "agreement": "on" if spec.agreement else "off"})
            result = await Engine(backend, sandbox, cfg, agreement=agreement_settings(cfg),
                                  name_setting=cli_flag).solve(problem)
            out = StrategyOutcome(
                code=result.code, public=result.verification.public,
                reason=result.selected.reason,
                trajectories=sum(len(r.trajectories) for r in result.rounds),
                ttc_tokens=result.ttc_tokens, prompt_tokens=result.prompt_tokens,
                model_calls=result.model_calls, sandbox_s=result.sandbox_s, error=result.error,
                tampered=sum(tampered(t.verification) for r in result.rounds for t in r.trajectories),
                result=result,
            )
        else:
            k = spec.n if spec.kind != "single" else 1
            rec = await Engine(backend, sandbox, cfg, name_setting=cli_flag).run_round(problem, [], k, 1)
            out = _from_round(rec)
            chosen, reason = _choose(spec, rec, problem)
            if chosen is not None:
                out.code = chosen.code
                v = chosen.verification
                out.public = v.public if v is not None else None
            out.reason = reason
            out.result = _round_result(rec, chosen, reason, problem)
    except Exception as e:
        cause = run_failure(e)
        if cause is None:
            raise
        out = StrategyOutcome(error=cause.render(cli_flag))  # `pacore bench` shows it
    out.wall_s = time.perf_counter() - start
    return out



def _round_result(rec: RoundRecord, chosen: TrajectoryRecord | None, reason: str,
                  problem: Problem) -> RunResult:
    """A one-round strategy as a run result, so its row has a run page like PaCoRe's."""
    v = chosen.verification if chosen is not None else None
    result = RunResult(
        status="solved" if v is not None and v.ok else "unsolved", language=problem.language,
        code=chosen.code if chosen is not None else None, verification=v or Verification(),
        selected=SelectedCandidate(source="candidate", round=rec.round, index=chosen.index, reason=reason)
        if chosen is not None else SelectedCandidate(source="none", reason=reason),
        selection_tests="public" if problem.public_tests is not None else "none", rounds=[rec],
        wall_s=rec.wall_s)
    result.tally_costs()
    return result


def _from_round(rec: RoundRecord) -> StrategyOutcome:
    trajs = rec.trajectories
    return StrategyOutcome(
        trajectories=len(trajs),
        ttc_tokens=sum(t.completion_tokens for t in trajs),
        prompt_tokens=sum(t.prompt_tokens for t in trajs),
        model_calls=count_model_calls(trajs),
        sandbox_s=sum(t.verification.duration_s for t in trajs if t.verification),
        tampered=sum(tampered(t.verification) for t in trajs),
    )


def _public_score(t: TrajectoryRecord) -> tuple[int, int]:
    v = t.verification
    if v is None or v.public is None:
        return 0, 0
    return v.public.passed, v.public.total


def _choose(
    spec: StrategySpec, rec: RoundRecord, problem: Problem
) -> tuple[TrajectoryRecord | None, str]:
    with_code = sorted((t for t in rec.trajectories if eligible(t)), key=lambda t: t.index)
    if not with_code:
        caught = sum(tampered(t.verification) for t in rec.trajectories)
        why = f" ({caught} tampered with the tests)" if caught else ""
        return None, "no sample produced a program" + why
    if spec.kind == "single":
        return with_code[0], "the only sample"
    if spec.kind == "best_of":
        best = max(with_code, key=lambda t: (_ratio(t), -t.index))
        p, n = _public_score(best)
        return best, f"sample {best.index} passed {p}/{n} public tests"
    clusters = cluster_by_behaviour(with_code, problem)
    largest = max(clusters, key=lambda c: (len(c), _ratio(c[0]), -c[0].index))
    p, n = _public_score(largest[0])
    return largest[0], (f"largest of {len(clusters)} behaviour clusters ({len(largest)} of "
                        f"{len(with_code)} programs; public {p}/{n})")


def _ratio(t: TrajectoryRecord) -> float:
    p, n = _public_score(t)
    return p / n if n else 0.0


def behaviour_signature(t: TrajectoryRecord, problem: Problem) -> tuple[str, ...]:
    """What the program did on each public input: the output when it matched the expected
    one, else the actual output, or the failure kind when there was none."""
    v = t.verification
    if v is None or not v.tests:
        return ("code", normalised_form(t.code or "", problem.language))
    sig: list[str] = []
    for test in sorted(v.tests, key=lambda r: r.name):
        if test.status == "passed":
            sig.append(f"{test.name}=expected")
        else:
            detail = test.actual if test.actual is not None else (test.error_type or "")
            sig.append(f"{test.name}:{test.status}:{detail}")
    if v.compile_output and not v.tests:
        sig.append("compile_error")
    return tuple(sig)


def cluster_by_behaviour(
    candidates: list[TrajectoryRecord], problem: Problem
) -> list[list[TrajectoryRecord]]:
    groups: dict[tuple[str, ...], list[TrajectoryRecord]] = defaultdict(list)
    for t in candidates:
        groups[behaviour_signature(t, problem)].append(t)
    return list(groups.values())
