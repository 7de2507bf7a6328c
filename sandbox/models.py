"""Typed boundary of the sandbox: what to run, under which limits, and what came out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, computed_field

from sandbox import languages
from sandbox.project import ProjectSnapshot


def _registered(name: str) -> str:
    """A language of the registry (`sandbox.languages`), by name or alias."""
    return languages.resolve(name)


Language = Annotated[str, AfterValidator(_registered)]
"""A registered language name (python, cpp, ...): see `sandbox.languages`."""
# float: tokens within `float_tolerance` (symmetric); float_abs_rel: DMOJ's and Kattis's rule
# (absolute error OR error relative to the answer); unordered: the same tokens in any order;
# yes_no: tokens equal ignoring case (YES/Yes/yes). sandbox/compare.py implements them.
Comparison = Literal["exact", "whitespace", "float", "float_abs_rel", "unordered", "yes_no"]
# kattis_input: a Kattis input validator, `prog [args] < INPUT`, exit 42 valid, 43 invalid
# (run as a checker of a program that prints nothing: pacore_core/input_validation.py)
Convention = Literal["testlib", "kattis", "kattis_input"]
LONE_MODULE = "solution"  # the module a lone candidate file runs as (tests import it by this name)
MIN_MEMORY_MB = 32  # below this not even the interpreter starts: a usage error, not a verdict

TestStatus = Literal[
    "passed",
    "failed",  # wrong answer / assertion
    "presentation_error",  # right answer, wrong layout (a checker's verdict)
    "error",  # runtime error (exception type + trimmed traceback)
    "timeout",
    "memory_limit",
    "output_limit",
    "idleness_limit",  # stopped waiting on input that never came (interactive problems)
    "compile_error",
    "sandbox_error",  # the infrastructure failed, not the candidate
    "judge_error",  # the problem's checker/interactor failed: never the candidate's fault
    "skipped",  # never counts as a pass
    "tampered",  # reached into the test harness (docs/sandbox.md): never passed, never selected
]
Unverified = Literal[
    "no_code",  # no program could be extracted from the trajectory
    "no_tests",  # the problem has no tests to run it on
    "not_run",  # nothing was verified (e.g. a report with no chosen code)
]
VerdictKind = Literal[TestStatus, Unverified]
"""Every verdict a candidate can have: the sandbox's (a test status: the first that was not a
pass) or why it has none. The one list: extend `TestStatus` or `Unverified` here."""
TAMPERED: TestStatus = "tampered"

JUDGE_NAMES: dict[str, str] = {
    "passed": "accepted",
    "failed": "wrong answer",
    "presentation_error": "presentation error",
    "error": "runtime error",
    "timeout": "time limit",
    "memory_limit": "memory limit",
    "output_limit": "output limit",
    "idleness_limit": "idleness limit",
    "compile_error": "compilation error",
    "sandbox_error": "judge error",
    "judge_error": "judge error",
    "skipped": "skipped",
    "tampered": "tampered (reached into the test harness)",
}
"""The names contest judges use (Codeforces, DMOJ, Kattis) for each status; statuses are the
stable machine names (`verdict` in every JSON), these are what people and prompts read."""


def judge_name(status: str) -> str:
    """A status as a judge says it ("failed" -> "wrong answer"); others read as words."""
    return JUDGE_NAMES.get(status) or status.replace("_", " ")


class Limits(BaseModel):
    """Per-candidate resource limits; the time limit applies to each test.

    `output_kb` caps the answer stream (stdout); for stdin/stdout suites the sandbox raises
    it to a margin over the largest expected output. stderr is never judged: it is drained
    and kept head+tail, and only a flood beyond `stderr_kb` stops the test.
    """

    timeout_s: float = Field(default=10.0, gt=0, le=86400, description="seconds per test")
    memory_mb: int = Field(default=512, ge=MIN_MEMORY_MB, description="memory per test (MB)")
    output_kb: int = Field(default=256, ge=1, description="stdout cap per test (KB)")
    stderr_kb: int = Field(default=8192, ge=1, description="stderr flood limit per test (KB)")
    pids: int = Field(default=64, ge=1)
    cpus: float = Field(default=1.0, gt=0)
    file_size_mb: int = Field(default=16, ge=1)
    open_files: int = Field(default=256, ge=16)


class ProbeCall(BaseModel):
    """One generated input: `args` (a Python literal tuple) for a function, `input` for stdin."""

    name: str
    args: str | None = None
    input: str | None = None


class ProbeSuite(BaseModel):
    """Generated inputs with no expected output (execution agreement, run_probe.py).

    A result's status is "passed" when the call returned (or the program exited 0); its
    `actual` is the canonical output, trimmed, and its `message` a digest of the whole output.
    """

    kind: Literal["probe"] = "probe"
    mode: Literal["function", "io"] = "function"
    entry_point: str | None = None
    module: str = LONE_MODULE  # what the probe imports (project mode: the stub's own module)
    inputs: list[ProbeCall]
    per_call_s: float = 2.0
    # calls that may time out before the rest are not run (and count as timeouts): a program
    # too slow for two inputs is not given the time of all of them
    max_timeouts: int = Field(default=2, ge=1)

    @property
    def node_ids(self) -> list[str]:
        """The input names: what generic code listing a suite's expected results reads."""
        return [c.name for c in self.inputs]


class _Tests(BaseModel):
    """What every test suite shares: generated inputs to run in the same pass.

    Why here: execution agreement needs each candidate's behaviour on the inputs; riding
    along with its tests costs no extra container round trip (the results come back in
    `Verdict.probes`, never counted as tests).
    """

    probes: ProbeSuite | None = None


class IOTest(BaseModel):
    name: str
    input: str
    expected: str  # the answer file (a checker or interactor may read it any way it likes)
    # command-line arguments after the program (a stress test's generator gets its seed)
    args: list[str] = Field(default_factory=list)
    checker_args: list[str] = Field(default_factory=list)  # Kattis output_validator_args


class JudgeProgram(BaseModel):
    """A problem's own checker or interactor, compiled once per job inside the sandbox.

    testlib: `prog INPUT OUTPUT ANSWER` (interactor: `prog INPUT OUTPUT ANSWER` on the
    candidate's pipes), exit 0 accepted, 1 wrong, 2 presentation error, 3 its own failure;
    stderr is the feedback. kattis: `prog INPUT ANSWER FEEDBACK_DIR [args] < OUTPUT`, exit
    42 accepted, 43 wrong, `judgemessage.txt` the feedback. Anything else is a judge error.
    """

    convention: Convention
    language: Language
    files: dict[str, str]  # file name -> source (its headers beside it)
    main: str  # the file compiled (or run)
    args: list[str] = Field(default_factory=list)  # Kattis validator_flags
    timeout_s: float = Field(default=30.0, gt=0, description="seconds per run")
    memory_mb: int = Field(default=1024, ge=MIN_MEMORY_MB)


class IOSuite(_Tests):
    """stdin/stdout tests, judged by the comparison mode, or by the problem's `checker`, or
    played against its `interactor` (sandbox/runners/judge_programs.py, interact.py)."""

    kind: Literal["io"] = "io"
    tests: list[IOTest]
    comparison: Comparison = "whitespace"
    float_tolerance: float = 1e-6
    # the whole stdout in each result (capped by the answer limit), not a trimmed view:
    # stress testing feeds one program's output to the next
    keep_stdout: bool = False
    float_abs_tolerance: float | None = None  # float_abs_rel: default float_tolerance
    float_rel_tolerance: float | None = None
    case_sensitive: bool = True  # token modes; Kattis's default validator ignores case
    checker: JudgeProgram | None = None
    interactor: JudgeProgram | None = None


class PytestSuite(_Tests):
    """pytest files that `import solution` (or `from solution import ...`)."""

    kind: Literal["pytest"] = "pytest"
    files: dict[str, str]  # file name -> source, e.g. {"test_solution.py": "..."}
    node_ids: list[str] = Field(default_factory=list)  # empty: run every collected test


class CheckSuite(_Tests):
    """HumanEval style: `test_code` defines `check(candidate)`, called with `entry_point`."""

    kind: Literal["check"] = "check"
    test_code: str
    entry_point: str


CallComparison = Literal["eq", "is", "truthy", "falsy", "close", "isclose", "json", "record"]


class CallTest(BaseModel):
    """One call with an expected value, judged outside the candidate's process.

    `args`/`kwargs`/`expected` are plain data in the sandbox's JSON form
    (`sandbox.runners.answers.encode`); only `args` and `kwargs` enter the sandbox.
    `compare`: `eq` (==), `is` (identity with True/False/None), `truthy`/`falsy`, `close`
    (abs(actual - expected) < tolerance, `<=` with `inclusive`), `isclose` (math.isclose with
    `rel_tol`/`tolerance`), `json` (actual through a JSON round trip, then ==); `record`: no
    expected value, the answer itself is the result (`actual` holds its plain-data JSON): what a
    function stub's brute force returns, to become an oracle test's expected value.
    """

    name: str
    args: str = "[]"
    kwargs: str | None = None
    expected: str = "null"
    compare: CallComparison = "eq"
    tolerance: float = 0.0
    rel_tol: float = 0.0
    inclusive: bool = False
    # applied to the result inside the sandbox before it becomes data, as `tuple(f(x)) == ...`
    transform: Literal["tuple", "list", "set", "frozenset", "sorted"] | None = None
    source: str | None = None  # the assertion as written, for messages


class CallSuite(_Tests):
    """Calls with expected values (data mode): the candidate's process only runs the calls and
    returns each result as plain data; the host compares. With `group`, the calls are one test
    of that name (a HumanEval `check`): passed only if every call passed, in order.
    `owner`: call `owner().entry_point` when the module defines `owner` (LiveCodeBench's
    `class Solution`), else the module's function; `typing_names`: the module may use
    `List`/`Optional`/... without importing them."""

    kind: Literal["calls"] = "calls"
    entry_point: str
    module: str = LONE_MODULE
    calls: list[CallTest]
    group: str | None = None
    owner: str | None = None
    typing_names: bool = False

    @property
    def node_ids(self) -> list[str]:
        return [self.group] if self.group else [c.name for c in self.calls]


class ProjectSuite(_Tests):
    """A copy of the user's project with `overlay` files written over it, then pytest node ids."""

    kind: Literal["project"] = "project"
    root: Path
    overlay: dict[str, str] = Field(default_factory=dict)  # relative path -> new content
    node_ids: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(
        default_factory=lambda: [".git", ".venv", "venv", "node_modules", "__pycache__"]
    )
    # secret-looking paths (`.env*`, keys, credential folders) are copied only when listed here
    include: list[str] = Field(default_factory=list)
    # packed once per solve and shared by its candidates; never serialised (records, Ray)
    snapshot: ProjectSnapshot | None = Field(default=None, exclude=True, repr=False)


TestSuite = Annotated[
    IOSuite | PytestSuite | CheckSuite | ProjectSuite | ProbeSuite | CallSuite, Field(discriminator="kind")
]


class Candidate(BaseModel):
    language: Language = "python"
    code: str


class TestResult(BaseModel):
    name: str
    status: TestStatus
    duration_s: float = 0.0
    stdout: str = ""
    stderr: str = ""
    input: str | None = None  # set by the host where showing it helps (an oracle's input)
    expected: str | None = None
    actual: str | None = None
    error_type: str | None = None
    traceback: str | None = None
    message: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def judge(self) -> str:
        """The status as a judge names it ("wrong answer")."""
        return judge_name(self.status)


class Verdict(BaseModel):
    """Overall verdict: "passed" only when every test ran and passed (and there was one)."""

    verdict: TestStatus
    passed: int
    total: int
    tests: list[TestResult] = Field(default_factory=list)
    compile_output: str | None = None
    duration_s: float = 0.0
    backend: str = ""
    probes: list[TestResult] = Field(default_factory=list)  # the suite's `probes`, one per input

    @computed_field  # type: ignore[prop-decorator]
    @property
    def judge(self) -> str:
        """The verdict as a judge names it: "accepted" only when `verdict` is "passed"."""
        return judge_name(self.verdict)

    @property
    def ok(self) -> bool:
        return self.verdict == "passed"

    @property
    def score(self) -> float:
        return self.passed / self.total if self.total else 0.0


def overall_status(results: list[TestResult]) -> TestStatus:
    """The suite's verdict: passed only if all passed; `tampered` if any test was (it says
    more about the program than any failure); else the first non-pass status."""
    if not results:
        return "sandbox_error"
    if any(r.status == TAMPERED for r in results):
        return TAMPERED
    for r in results:
        if r.status != "passed":
            return r.status
    return "passed"
