"""One run's agreement state: the problem's inputs, every candidate's behaviour, and the
views the engine needs (evidence for a round's messages, the choice at the end, the record).

Why a session object: the engine stays one loop; it calls `prepare` once, hands
`probe_suite()` to each verification (the inputs run in the same pass as the tests),
`observe`s the result, and asks for `evidence` when it compacts a round and `choose` when
it selects.
"""

from __future__ import annotations

from pacore_core.agreement.clustering import cluster, dropped_inputs
from pacore_core.agreement.evidence import FULL, evidence_block
from pacore_core.agreement.execution import behaviour, probe_suite
from pacore_core.agreement.inputs import AgreementSettings, InputGenerator
from pacore_core.agreement.models import AgreementRecord, Behaviour, InputSet
from pacore_core.agreement.ranking import Contender, RankingDecision, assurance, choose
from pacore_core.problem import Problem
from sandbox.models import ProbeSuite, TestResult, VerdictKind


def candidate_key(round_index: int, index: int) -> str:
    return f"{round_index}:{index}"


class AgreementSession:
    def __init__(
        self,
        problem: Problem,
        generator: InputGenerator,
        *,
        seed: int,
        temperature: float = 0.7,
    ) -> None:
        self.problem = problem
        self.generator = generator
        self.settings: AgreementSettings = generator.settings
        self.seed = seed
        self.temperature = temperature
        self.input_set = InputSet()
        self.behaviours: dict[str, Behaviour] = {}
        self.record = AgreementRecord()

    async def prepare(self) -> AgreementRecord:
        """Generate (or replay) the inputs once; later rounds reuse them."""
        self.input_set = await self.generator.inputs(
            self.problem, seed=self.seed, temperature=self.temperature
        )
        self.record.inputs = list(self.input_set.inputs)
        self.record.notes = list(self.input_set.notes)
        self.record.completion_tokens = self.input_set.completion_tokens
        self.record.prompt_tokens = self.input_set.prompt_tokens
        if not self.input_set.inputs:
            self.record.notes.append("no generated inputs: candidates are chosen by tests alone")
        return self.record

    def probe_suite(self) -> ProbeSuite | None:
        """The generated inputs as probes to attach to a candidate's run (None: none)."""
        if not self.input_set.inputs:
            return None
        return probe_suite(
            self.problem, self.input_set.inputs, self.settings.per_call_s, self.settings.max_timeouts
        )

    def observe(self, key: str, results: list[TestResult], *,
                verdict: VerdictKind) -> Behaviour | None:
        """Remember the behaviour the candidate `key` showed on the probes of its run."""
        if not self.input_set.inputs:
            return None
        seen = behaviour(results, self.input_set.inputs, verdict=verdict)
        if seen is not None:
            self.behaviours[key] = seen
            self.record.probe_s += seen.duration_s
        return seen

    def evidence(self, key: str, peers: list[str], *, level: int = FULL) -> str:
        """The agreement paragraph of `key`'s message, compared with the other `peers`."""
        view = {k: self.behaviours[k] for k in peers if k in self.behaviours}
        if key not in view:
            return ""
        dropped = dropped_inputs(self.input_set.inputs, view)
        return evidence_block(
            key, view, self.input_set.inputs, dropped, entry_point=self.problem.call_name, level=level
        )

    def choose(self, contenders: list[Contender], *, final_key: str | None) -> RankingDecision | None:
        """Rank by tests, then by cluster weight; fills the record's clusters and decision."""
        dropped = dropped_inputs(self.input_set.inputs, self.behaviours)
        kept = [p.name for p in self.input_set.inputs if p.name not in dropped]
        clusters = cluster(self.behaviours, kept) if kept else []
        self.record.dropped = dropped
        self.record.notes = [n for n in self.record.notes if not n.startswith("dropped ")]
        for name, why in dropped.items():
            self.record.notes.append(f"dropped input {name}: {why}")
        self.record.clusters = [c.record() for c in clusters]
        self.record.candidates = len(self.behaviours)
        choice = choose(contenders, clusters, final_key=final_key, inputs=len(kept))
        if choice is not None:
            self.record.decided_by = choice.decided_by
            self.record.chosen_cluster = choice.cluster
            self.record.agreed = self.behaviours.get(choice.key) if choice.cluster is not None else None
        return choice

    def assurance(self, *, has_tests: bool, samples_only: bool, passed_all: bool) -> str:
        i = self.record.chosen_cluster
        size = len(self.record.clusters[i].members) if i is not None else None
        return assurance(
            has_tests=has_tests, samples_only=samples_only, passed_all=passed_all,
            cluster_size=size or None, candidates=self.record.candidates, inputs=self.record.used_inputs,
        )  # fmt: skip

    def agreement_solved(self) -> bool:
        """Without tests: solved when the chosen cluster is the strict plurality and not alone."""
        i = self.record.chosen_cluster
        if i is None or not self.record.clusters:
            return False
        sizes = [len(c.members) for c in self.record.clusters]
        mine = sizes[i]
        return mine >= 2 and all(s < mine for j, s in enumerate(sizes) if j != i)
