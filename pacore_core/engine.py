"""The async round engine: sample K_r trajectories, verify each as it lands, compact, repeat.

Which program answers is decided in `pacore_core.selection`; the engine only offers each
verified candidate to the run's `Leader` (progress, early stop) and applies the choice.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from contextlib import aclosing

import jinja2

from pacore_core.agreement.inputs import AgreementSettings, InputGenerator, agreement_settings
from pacore_core.agreement.selecting import plain_assurance, select_with_agreement, wanted
from pacore_core.agreement.session import AgreementSession, candidate_key
from pacore_core.backends.base import Backend, BackendError, SampleRequest, Trajectory
from pacore_core.budget import ContextBudgetError, FittedInput, fit_to_window
from pacore_core.code_extract import extract_code, strip_reasoning, validate
from pacore_core.compaction import MessageGroup, compact, reference_groups
from pacore_core.config import RunConfig
from pacore_core.errors import PacoreError, SettingNamer, leaf_errors
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
from pacore_core.oracle import apply_oracle
from pacore_core.problem import Problem
from pacore_core.prompting import build_prompt, load_template
from pacore_core.record import (
    Cut,
    OracleRecord,
    RoundFailedError,
    RoundRecord,
    RunResult,
    TrajectoryPool,
    TrajectoryRecord,
    Verification,
    round_failure,
)
from pacore_core.selection import Leader, SelectionResult, passed_own_tests, select
from pacore_core.verification import verify_code
from sandbox.base import Sandbox
from sandbox.models import ProbeSuite


def synthesis_template(config: RunConfig) -> jinja2.Template:
    """The run's synthesis template; front ends call it before any token is spent, so a
    template that does not load fails first (ConfigError naming the setting)."""
    return load_template(config.template, with_verdicts=config.include_verdicts,
                         template_dir=config.template_dir)  # fmt: skip


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
        agreement: AgreementSettings | None = None,
        name_setting: SettingNamer | None = None,  # a front end's names in fixes: `--base-url`
    ) -> None:
        self.backend = backend
        self.sandbox = sandbox
        self.config = config
        self.pool = pool
        self._on_event = on_event
        self._name_setting = name_setting
        self._live: RunResult | None = None  # the run in progress, for `snapshot`
        self._round: RoundRecord | None = None
        self._t0: float | None = None
        self._template = synthesis_template(config)
        # execution agreement: settings given here or `agreement = on` force it; `auto` decides per problem
        self._agreement_forced = agreement is not None or config.agreement == "on"
        agreement = agreement if agreement is not None else agreement_settings(config)
        self._inputs = InputGenerator(agreement, backend) if agreement is not None else None
        self._agreement_template = self._template
        if self._inputs is not None and config.template is None and config.include_verdicts:
            self._agreement_template = load_template(template_dir=config.template_dir, agreement=True)

    # -- public API -----------------------------------------------------------------------

    async def solve(self, problem: Problem, oracle: OracleRecord | None = None) -> RunResult:
        """Run every round; never raises for model or budget failures (status "error").
        `oracle`: the brute force behind `problem.oracle_tests` (who wrote it is in the
        assurance)."""
        cfg = self.config
        start = time.perf_counter()
        widths = cfg.widths
        result = RunResult(
            status="unsolved", language=problem.language, replayed=self.backend.name == "replay",
            oracle=oracle,
        )
        self._live, self._round, self._t0 = result, None, start
        leader = Leader(cfg.select_on)
        previous: RoundRecord | None = None
        agreement = self._agreement_session(problem)
        try:
            window = cfg.context_window or await self.backend.context_window()
            result.context_window = window
            await self._emit(RunStarted(problem_id=problem.id, widths=widths, context_window=window))
            if agreement is not None:
                result.agreement = await agreement.prepare()
            for r, k in enumerate(widths, start=1):
                fitted = await self._round_input(problem, previous, r, window, agreement)
                if previous is not None:
                    previous.messages, previous.message_sources = fitted.messages, fitted.sources
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
                    leader=leader,
                    rounds=len(widths),
                    agreement=agreement,
                )
                result.rounds.append(rec)
                previous = rec
                if cfg.early_stop and leader.solved:
                    result.early_stopped = r < len(widths)
                    break
        except* (BackendError, ContextBudgetError) as group:
            failures = [e for e in leaf_errors(group) if isinstance(e, PacoreError)]
            result.rounds.extend(  # what a failed round spent counts; an empty one is noise
                e.record for e in failures if isinstance(e, RoundFailedError) and e.record.trajectories
            )
            message = "; ".join(e.render(self._name_setting) for e in failures)
            if leader.solved:  # a verified answer outlives a later model failure
                result.warnings.append(f"a later round failed, the answer is a verified candidate: {message}")
            else:
                result.status = "error"
                result.error = message
        self._apply_selection(result, problem, agreement)
        apply_oracle(result)
        result.tally_costs()
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
        rounds: int | None = None,
        leader: Leader | None = None,
        agreement: AgreementSession | None = None,
    ) -> RoundRecord:
        """Sample k trajectories for P(x, references) and verify each as soon as it lands.

        `leader` carries the best candidate across the rounds of one run (progress events
        report it); a round run on its own gets a fresh one.
        """
        cfg = self.config
        template = self._agreement_template if agreement is not None else self._template
        prompt = prompt if prompt is not None else build_prompt(problem.statement, references, template)
        if input_tokens is None:
            input_tokens = await self.backend.count_tokens(prompt)
        leader = leader if leader is not None else Leader(cfg.select_on)
        rec = RoundRecord(round=round_index, k=k, prompt=prompt, input_tokens=input_tokens)
        self._round = rec
        await self._emit(
            RoundStarted(round=round_index, rounds=rounds or round_index, k=k, input_tokens=input_tokens)
        )
        pooled = self.pool.take(problem.id, k) if (self.pool and round_index == 1) else []
        rec.seeded_from_pool = bool(pooled)
        start = time.perf_counter()
        rec.started_s = start - self._t0 if self._t0 is not None else 0.0
        done = 0
        verified = 0
        failure: BackendError | None = None

        async def judge(traj: Trajectory, arrived_s: float) -> None:
            nonlocal verified
            tr = await self._judge(problem, traj, agreement, round_index)
            tr.arrived_s, tr.verified_s = arrived_s, time.perf_counter() - start
            rec.trajectories.append(tr)
            verified += 1
            v = tr.verification
            ranked = leader.offer(tr, round_index)
            passed, total = ranked.passed, ranked.total
            await self._emit(
                CandidateVerified(
                    round=round_index,
                    index=tr.index,
                    verdict=v.verdict if v else "not_run",
                    passed=passed,
                    total=total,
                    verified=verified,
                    best_passed=leader.passed,
                    best_total=leader.total,
                )
            )
            if cfg.early_stop and ranked.passes_all:
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
            tg.create_task(judge(traj, time.perf_counter() - start))

        async def sample_all(tg: asyncio.TaskGroup) -> None:
            for i, t in enumerate(pooled):
                await arrived(t.model_copy(update={"index": i, "request_id": "pool"}), tg)
            remaining = k - len(pooled)
            if remaining <= 0:
                return
            request = self._sample_request(prompt, remaining, round_index, max_tokens)
            nonlocal failure
            try:
                async with aclosing(self.backend.sample(request, on_event=self._emit)) as stream:
                    async for traj in stream:
                        await arrived(traj.model_copy(update={"index": traj.index + len(pooled)}), tg)
            except BackendError as e:  # candidates already sampled are still verified
                failure = e
            rec.generation_s = time.perf_counter() - start

        async with asyncio.TaskGroup() as tg:
            sampler = tg.create_task(sample_all(tg))
        rec.trajectories.sort(key=lambda t: t.index)
        rec.wall_s = time.perf_counter() - start
        if not rec.generation_s:
            rec.generation_s = rec.wall_s
        where = getattr(self.backend, "base_url", None) or self.backend.name
        if (error := round_failure(rec, failure, where=where)) is not None:
            raise error
        return rec

    def _sample_request(self, prompt: str, n: int, round_index: int, max_tokens: int | None
                        ) -> SampleRequest:
        """The backend request for `n` trajectories of a round (seeded per round)."""
        cfg = self.config
        return SampleRequest(
            messages=[{"role": "user", "content": prompt}],
            n=n,
            round_index=round_index,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            max_tokens=max_tokens or cfg.max_tokens,
            seed=None if cfg.seed is None else cfg.seed + 1000 * round_index,
        )

    def snapshot(self) -> RunResult | None:
        """The run so far, its round in progress included: a page drawn while it runs or after
        Ctrl-C. Shares the records with the engine: read it before the engine runs on."""
        if self._live is None or self._t0 is None:
            return None
        rounds = list(self._live.rounds)
        if self._round is not None and all(r is not self._round for r in rounds):
            rounds.append(self._round)
        out = self._live.model_copy(update={"rounds": rounds})
        out.tally_costs()
        out.wall_s = out.wall_s or time.perf_counter() - self._t0
        return out

    async def verify(self, problem: Problem, code: str, probes: ProbeSuite | None = None) -> Verification:
        return await verify_code(self.sandbox, problem, code, self.config.limits, probes)

    # -- steps ------------------------------------------------------------------------------

    def _agreement_session(self, problem: Problem) -> AgreementSession | None:
        if self._inputs is None or not (self._agreement_forced or wanted(problem, self.config.select_on)):
            return None
        return AgreementSession(problem, self._inputs, seed=self.config.seed or 0)

    async def _judge(
        self,
        problem: Problem,
        traj: Trajectory,
        agreement: AgreementSession | None = None,
        round_index: int = 0,
    ) -> TrajectoryRecord:
        """Extract, validate and verify one trajectory (and run it on the generated inputs,
        concurrently, when agreement is on); build its compacted message."""
        tr = TrajectoryRecord(**traj.model_dump())
        if traj.error is None:
            code = extract_code(strip_reasoning(traj.content), problem.language)
            if code is None:
                tr.code_problem = f"no ```{problem.language} code block in the answer"
            else:
                tr.code_problem = validate(code, problem.language, problem.top_level_entry_point)
                if tr.code_problem is None:
                    tr.code = code
            if tr.code is not None:
                probes = agreement.probe_suite() if agreement is not None else None
                tr.verification = await self.verify(problem, tr.code, probes)
                if agreement is not None:
                    agreement.observe(candidate_key(round_index, tr.index), tr.verification.probes,
                                      verdict=tr.verification.verdict)  # fmt: skip
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
        self,
        problem: Problem,
        previous: RoundRecord | None,
        round_index: int,
        window: int | None,
        agreement: AgreementSession | None = None,
    ) -> FittedInput:
        """M_{r-1}: merge duplicates, shuffle with the seeded RNG, fit the context window."""
        cfg = self.config
        template = self._agreement_template if agreement is not None else self._template
        groups: list[MessageGroup] = []
        merge_cuts: list[Cut] = []
        if previous is not None:
            groups, merge_cuts = reference_groups(
                previous, problem.language, merge=cfg.include_verdicts,
                rng=random.Random(f"{cfg.seed}:{round_index}"),  # noqa: S311  (a reproducible shuffle, no secret)
            )

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
                if agreement is not None and previous is not None and g.has_code:
                    peers = [candidate_key(previous.round, t.index) for t in previous.trajectories]
                    me = candidate_key(previous.round, g.representative.index)
                    evidence = agreement.evidence(me, peers, level=level)
                    if evidence:
                        g.texts[level] += "\n\n" + evidence
            return g.texts[level]

        fitted = await fit_to_window(
            groups,
            render_message=render,
            build_prompt=lambda ms: build_prompt(problem.statement, ms, template),
            count=self.backend.count_tokens,
            window=window,
            reserve=cfg.max_tokens,
        )
        fitted.cuts[:0] = merge_cuts
        return fitted

    def _apply_selection(
        self, result: RunResult, problem: Problem, agreement: AgreementSession | None = None
    ) -> None:
        """Record the choice of `pacore_core.selection.select` (or, with agreement on, of
        `select_with_agreement`: tests first, then cluster weight) and the run's status."""
        if agreement is not None and self.config.selection == "verified":
            picked = select_with_agreement(
                result.rounds,
                problem,
                agreement,
                planned_rounds=len(self.config.widths),
                select_on=self.config.select_on,
            )
            result.agreement = agreement.record
            result.assurance = picked.assurance
            self._apply_choice(result, picked.choice, solved_without_tests=picked.solved_by_agreement)
            return
        choice = select(
            result.rounds,
            problem,
            planned_rounds=len(self.config.widths),
            policy=self.config.selection,
            select_on=self.config.select_on,
            early_stopped=result.early_stopped,
        )
        self._apply_choice(result, choice)
        if choice.chosen is not None and choice.chosen.code is not None:  # the same words, no evidence
            own = passed_own_tests(result.verification)  # the oracle's verdict is said apart
            result.assurance = plain_assurance(problem, self.config.select_on, own)

    @staticmethod
    def _apply_choice(result: RunResult, choice: SelectionResult, *,
                      solved_without_tests: bool = False) -> None:
        result.selection_tests = choice.tests
        result.selected = choice.selected
        if choice.chosen is None or choice.chosen.code is None:
            return
        result.code = choice.chosen.code
        result.verification = choice.chosen.verification or Verification()
        if result.status != "error":
            ok = result.verification.ok or solved_without_tests
            result.status = "solved" if ok else "unsolved"

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
