"""The async round engine: sample K_r trajectories, verify each as it lands, compact, repeat."""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from contextlib import aclosing
from dataclasses import dataclass

from pacore_core.backends.base import Backend, BackendError, SampleRequest, Trajectory
from pacore_core.budget import ContextBudgetError, FittedInput, fit_to_window
from pacore_core.code_extract import extract_code, strip_reasoning, validate
from pacore_core.compaction import MessageGroup, compact, group_duplicates
from pacore_core.config import RunConfig
from pacore_core.events import (
    CandidateVerified,
    Event,
    EventSink,
    RoundCompacted,
    RoundStarted,
    RunFinished,
    RunStarted,
    TrajectoryFinished,
)
from pacore_core.problem import Problem
from pacore_core.prompting import build_prompt, load_template
from pacore_core.record import (
    Cut,
    RoundRecord,
    RunResult,
    SelectedCandidate,
    TrajectoryPool,
    TrajectoryRecord,
    Verification,
)
from pacore_core.verification import verify_code
from sandbox.base import Sandbox


@dataclass
class _Best:
    """The best candidate seen so far, by the tests selection may use."""

    record: TrajectoryRecord | None = None
    round: int = 0
    passed: int = 0
    total: int = 0


class Engine:
    """One PaCoRe run per `solve`; backend and sandbox are injected so tests pick real ones."""

    def __init__(
        self,
        backend: Backend,
        sandbox: Sandbox,
        config: RunConfig,
        *,
        on_event: EventSink | None = None,
        pool: TrajectoryPool | None = None,
    ) -> None:
        self.backend = backend
        self.sandbox = sandbox
        self.config = config
        self.pool = pool
        self._on_event = on_event
        self._template = load_template(config.template, with_verdicts=config.include_verdicts)

    # -- public API -----------------------------------------------------------------------

    async def solve(self, problem: Problem) -> RunResult:
        """Run every round; never raises for model or budget failures (status "error")."""
        cfg = self.config
        start = time.perf_counter()
        widths = cfg.widths
        result = RunResult(
            status="unsolved", language=problem.language, replayed=self.backend.name == "replay"
        )
        best = _Best()
        previous: RoundRecord | None = None
        try:
            window = cfg.context_window or await self.backend.context_window()
            result.context_window = window
            await self._emit(RunStarted(problem_id=problem.id, widths=widths, context_window=window))
            for r, k in enumerate(widths, start=1):
                fitted = await self._round_input(problem, previous, r, window)
                if previous is not None:
                    previous.messages = fitted.messages
                    previous.cuts.extend(fitted.cuts)
                    await self._emit_compacted(previous)
                rec = await self.run_round(
                    problem,
                    fitted.messages,
                    k,
                    r,
                    prompt=fitted.prompt,
                    input_tokens=fitted.input_tokens,
                    max_tokens=fitted.max_tokens,
                    best=best,
                    rounds=len(widths),
                )
                result.rounds.append(rec)
                previous = rec
                if (
                    cfg.early_stop
                    and best.record is not None
                    and best.total
                    and (
                        best.passed == best.total
                        and best.record.verification is not None
                        and best.record.verification.ok
                    )
                ):
                    result.early_stopped = r < len(widths)
                    break
        except* (BackendError, ContextBudgetError) as group:
            result.status = "error"
            result.error = "; ".join(str(e) for e in _leaves(group))
        self._select(result, best, problem)
        self._account(result)
        result.wall_s = time.perf_counter() - start
        await self._emit(
            RunFinished(
                status=result.status,
                passed=result.verification.passed,
                total=result.verification.total,
                ttc_tokens=result.ttc_tokens,
                selected_from=result.selected.source,
            )
        )
        return result

    async def run_round(
        self,
        problem: Problem,
        references: list[str],
        k: int,
        round_index: int,
        *,
        prompt: str | None = None,
        input_tokens: int | None = None,
        max_tokens: int | None = None,
        best: _Best | None = None,
        rounds: int | None = None,
    ) -> RoundRecord:
        """Sample k trajectories for P(x, references) and verify each as soon as it lands."""
        cfg = self.config
        prompt = prompt if prompt is not None else build_prompt(problem.statement, references, self._template)
        if input_tokens is None:
            input_tokens = await self.backend.count_tokens(prompt)
        best = best if best is not None else _Best()
        rec = RoundRecord(round=round_index, k=k, prompt=prompt, input_tokens=input_tokens)
        await self._emit(
            RoundStarted(round=round_index, rounds=rounds or round_index, k=k, input_tokens=input_tokens)
        )
        pooled = self.pool.take(problem.id, k) if (self.pool and round_index == 1) else []
        rec.seeded_from_pool = bool(pooled)
        start = time.perf_counter()
        done = 0
        verified = 0

        async def judge(traj: Trajectory) -> None:
            nonlocal verified
            tr = await self._judge(problem, traj)
            rec.trajectories.append(tr)
            verified += 1
            v = tr.verification
            passed, total = self._selection_score(v)
            if tr.code is not None and (
                best.record is None or passed > best.passed or (passed == best.passed and total > best.total)
            ):
                best.record, best.round, best.passed, best.total = tr, round_index, passed, total
            await self._emit(
                CandidateVerified(
                    round=round_index,
                    index=tr.index,
                    verdict=v.verdict if v else "not_run",
                    passed=passed,
                    total=total,
                    verified=verified,
                    best_passed=best.passed,
                    best_total=best.total,
                )
            )
            if cfg.early_stop and total and passed == total and v is not None and v.ok:
                sampler.cancel()

        async def arrived(traj: Trajectory, tg: asyncio.TaskGroup) -> None:
            nonlocal done
            done += 1
            await self._emit(
                TrajectoryFinished(
                    round=round_index,
                    index=traj.index,
                    done=done,
                    k=k,
                    completion_tokens=traj.completion_tokens,
                    error=traj.error,
                )
            )
            tg.create_task(judge(traj))

        async def sample_all(tg: asyncio.TaskGroup) -> None:
            for i, t in enumerate(pooled):
                await arrived(t.model_copy(update={"index": i, "request_id": "pool"}), tg)
            remaining = k - len(pooled)
            if remaining <= 0:
                return
            request = SampleRequest(
                messages=[{"role": "user", "content": prompt}],
                n=remaining,
                round_index=round_index,
                temperature=cfg.temperature,
                top_p=cfg.top_p,
                max_tokens=max_tokens or cfg.max_tokens,
                seed=None if cfg.seed is None else cfg.seed + 1000 * round_index,
            )
            async with aclosing(self.backend.sample(request)) as stream:
                async for traj in stream:
                    await arrived(traj.model_copy(update={"index": traj.index + len(pooled)}), tg)
            rec.generation_s = time.perf_counter() - start

        async with asyncio.TaskGroup() as tg:
            sampler = tg.create_task(sample_all(tg))
        rec.trajectories.sort(key=lambda t: t.index)
        rec.wall_s = time.perf_counter() - start
        if not rec.generation_s:
            rec.generation_s = rec.wall_s
        if rec.trajectories and all(t.error for t in rec.trajectories):
            first = rec.trajectories[0].error
            where = getattr(self.backend, "base_url", None) or self.backend.name
            raise BackendError(
                f"round {round_index}: all {len(rec.trajectories)} trajectories failed on {where}: {first}"
            )
        return rec

    async def verify(self, problem: Problem, code: str) -> Verification:
        return await verify_code(self.sandbox, problem, code, self.config.limits)

    # -- steps ------------------------------------------------------------------------------

    async def _judge(self, problem: Problem, traj: Trajectory) -> TrajectoryRecord:
        """Extract, validate and verify one trajectory; build its compacted message."""
        tr = TrajectoryRecord(**traj.model_dump())
        if traj.error is None:
            code = extract_code(strip_reasoning(traj.content), problem.language)
            if code is None:
                tr.code_problem = f"no ```{problem.language} code block in the answer"
            else:
                tr.code_problem = validate(code, problem.language, problem.entry_point)
                if tr.code_problem is None:
                    tr.code = code
            if tr.code is not None:
                tr.verification = await self.verify(problem, tr.code)
            else:
                tr.verification = Verification(verdict="no_code")
        tr.message = compact(
            tr,
            problem.language,
            with_verdicts=self.config.include_verdicts,
            max_chars=self.config.max_error_chars,
        )
        return tr

    async def _round_input(
        self, problem: Problem, previous: RoundRecord | None, round_index: int, window: int | None
    ) -> FittedInput:
        """M_{r-1}: merge duplicates, shuffle with the seeded RNG, fit the context window."""
        cfg = self.config
        groups: list[MessageGroup] = []
        merge_cuts: list[Cut] = []
        if previous is not None:
            groups = group_duplicates(previous.trajectories, problem.language)
            if cfg.include_verdicts:
                for g in groups:
                    if len(g.indices) > 1:
                        merge_cuts.append(
                            Cut(
                                kind="merged",
                                indices=list(g.indices),
                                detail=f"{len(g.indices)} trajectories produced the same program",
                            )
                        )
            else:  # the paper's behaviour: one message per trajectory, no merging
                groups = [
                    MessageGroup([i], g.representative, g.score, g.has_code)
                    for g in groups
                    for i in g.indices
                ]
                by_index = {t.index: t for t in previous.trajectories}
                for g in groups:
                    g.representative = by_index[g.indices[0]]
            rng = random.Random(f"{cfg.seed}:{round_index}")
            rng.shuffle(groups)

        def render(g: MessageGroup, level: int) -> str:
            if level not in g.texts:
                g.texts[level] = compact(
                    g.representative,
                    problem.language,
                    with_verdicts=cfg.include_verdicts,
                    level=level,
                    max_chars=cfg.max_error_chars,
                    copies=len(g.indices),
                )
            return g.texts[level]

        fitted = await fit_to_window(
            groups,
            render_message=render,
            build_prompt=lambda ms: build_prompt(problem.statement, ms, self._template),
            count=self.backend.count_tokens,
            window=window,
            reserve=cfg.max_tokens,
        )
        fitted.cuts[:0] = merge_cuts
        return fitted

    def _selection_score(self, v: Verification | None) -> tuple[int, int]:
        if v is None:
            return 0, 0
        if self.config.select_on == "public":
            return (v.public.passed, v.public.total) if v.public else (0, 0)
        return v.passed, v.total

    def _select(self, result: RunResult, best: _Best, problem: Problem) -> None:
        """Verified selection: the final program if it passes, else the best candidate."""
        final = (
            result.rounds[-1].trajectories[0]
            if (
                result.rounds
                and result.rounds[-1].k == 1
                and result.rounds[-1].trajectories
                and len(result.rounds) == len(self.config.widths)
            )
            else None
        )
        if problem.has_tests:
            public_only = self.config.select_on == "public" or problem.hidden_tests is None
            result.selection_tests = "public" if public_only else "public+hidden"
        chosen: TrajectoryRecord | None = None
        if final is not None and (final.code is not None or best.record is None):
            chosen = final
            result.selected = SelectedCandidate(
                source="final", round=len(result.rounds), index=0, reason="the final synthesized program"
            )
        if self.config.selection == "verified" and best.record is not None:
            fp, ft = self._selection_score(final.verification if final else None)
            final_passes = final is not None and final.code is not None and ft > 0 and fp == ft
            if not final_passes and (final is None or final.code is None or best.passed > fp):
                chosen = best.record
                why = (
                    "the final round produced no program"
                    if final is None or final.code is None
                    else f"the final program passed {fp}/{ft} tests"
                )
                if result.early_stopped:
                    why = "early stop: a candidate passed every test"
                result.selected = SelectedCandidate(
                    source="candidate",
                    round=best.round,
                    index=best.record.index,
                    reason=f"{why}; best verified candidate passed {best.passed}/{best.total}",
                )
        if chosen is None or chosen.code is None:
            result.selected = SelectedCandidate(source="none", reason="no candidate produced a program")
            return
        result.code = chosen.code
        result.verification = chosen.verification or Verification()
        if result.status != "error":
            result.status = "solved" if (chosen.code and result.verification.ok) else "unsolved"

    @staticmethod
    def _account(result: RunResult) -> None:
        trajs = [t for r in result.rounds for t in r.trajectories]
        result.ttc_tokens = sum(t.completion_tokens for t in trajs)
        result.prompt_tokens = sum(t.prompt_tokens for t in trajs)
        result.cached_tokens = sum(t.cached_tokens for t in trajs)
        result.model_calls = len(
            {
                (r.round, t.request_id or f"#{t.index}")
                for r in result.rounds
                for t in r.trajectories
                if t.request_id != "pool"
            }
        )
        result.max_input_tokens = max((r.input_tokens for r in result.rounds), default=0)
        result.sandbox_s = sum(t.verification.duration_s for t in trajs if t.verification)

    async def _emit_compacted(self, rec: RoundRecord) -> None:
        await self._emit(
            RoundCompacted(
                round=rec.round,
                messages=len(rec.messages),
                merged=sum(len(c.indices) - 1 for c in rec.cuts if c.kind == "merged"),
                dropped=sum(len(c.indices) for c in rec.cuts if c.kind == "dropped"),
                trimmed=sum(1 for c in rec.cuts if c.kind == "trimmed"),
            )
        )

    async def _emit(self, event: Event) -> None:
        if self._on_event is None:
            return
        out = self._on_event(event)
        if inspect.isawaitable(out):
            await out


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    """The real errors inside (possibly nested) task-group exception groups."""
    out: list[BaseException] = []
    for e in group.exceptions:
        out.extend(_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])
    return out


async def solve(
    problem: Problem,
    *,
    backend: Backend,
    sandbox: Sandbox,
    config: RunConfig,
    on_event: EventSink | None = None,
    pool: TrajectoryPool | None = None,
) -> RunResult:
    return await Engine(backend, sandbox, config, on_event=on_event, pool=pool).solve(problem)
