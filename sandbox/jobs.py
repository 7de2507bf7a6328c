"""Backend-independent halves of a run: the job sent to the supervisor, and the verdict
built from its answer. Both backends share them, so verdicts mean the same everywhere."""

from __future__ import annotations

from typing import Any

from sandbox import languages
from sandbox.call_suites import data_suite, judge, probe_answer, sandbox_suite
from sandbox.compare import Rule, outputs_match
from sandbox.errors import SandboxError
from sandbox.judge_commands import program_job
from sandbox.models import (
    Candidate,
    IOSuite,
    Limits,
    ProjectSuite,
    PytestSuite,
    TestResult,
    TestStatus,
    TestSuite,
    Verdict,
    overall_status,
)
from sandbox.project import ProjectTooLarge, take_snapshot
from sandbox.runners.node_select import selects
from sandbox.runners.trim_text import trim

OUTPUT_TRIM = 2000
ANSWER_MARGIN = 2  # the answer stream may be this many times the largest expected output
ANSWER_SLACK_KB = 64  # ... plus this much


class SandboxFailure(SandboxError):
    """The infrastructure failed (not the candidate): every test becomes sandbox_error."""


def answer_cap_kb(suite: TestSuite, limits: Limits) -> int:
    """The stdout cap: `output_kb`, raised for stdin/stdout suites to a margin over the
    largest expected output, so a correct long answer is never an output-limit verdict."""
    if not isinstance(suite, IOSuite) or not suite.tests:
        return limits.output_kb
    largest = max(len(t.expected.encode()) for t in suite.tests)
    return max(limits.output_kb, -(-(ANSWER_MARGIN * largest) // 1024) + ANSWER_SLACK_KB)


def build_job(
    candidate: Candidate,
    suite: TestSuite,
    limits: Limits,
    *,
    workdir: str,
    python: str = "python3",
    nproc: int | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON job a supervisor executes."""
    files: dict[str, str] = {}
    suite_data: dict[str, Any] = suite.model_dump(mode="json", exclude={"probes"})
    job: dict[str, Any] = {"language": candidate.language, "workdir": workdir, "python": python}
    build = languages.build_plan(
        candidate.language, candidate.code, python=python, memory_mb=limits.memory_mb
    )
    if isinstance(suite, ProjectSuite):
        try:
            snapshot = suite.snapshot or take_snapshot(suite.root, suite.exclude, suite.include)
        except ProjectTooLarge as exc:
            raise SandboxFailure(exc.render()) from exc
        job["archive_id"] = snapshot.digest  # a container that has it gets only the overlay
        job["archive"] = snapshot.archive
        files.update(suite.overlay)
        suite_data = {"kind": "project", "node_ids": suite.node_ids, "targets": [],
                      "candidates": _modules(suite.overlay)}
    else:
        files[build["source"]] = candidate.code
        job["build"] = build
    if isinstance(suite, IOSuite):  # the problem's own programs, with how to build and run them
        suite_data["checker"] = program_job(suite.checker)
        suite_data["interactor"] = program_job(suite.interactor)
    calls = data_suite(suite)
    if calls is not None:  # data mode: the expected values stay here
        suite_data = sandbox_suite(calls)
    elif isinstance(suite, PytestSuite):
        files.update(suite.files)
        targets = sorted(n for n in suite.files if n.endswith(".py") and n != "conftest.py")
        suite_data = {"kind": "pytest", "node_ids": suite.node_ids, "targets": targets}
    limits_data = limits.model_dump()
    limits_data["output_kb"] = answer_cap_kb(suite, limits)
    limits_data["timeout_s"] = languages.time_limit(limits.timeout_s, candidate.language)
    job.update(files=files, suite=suite_data, limits=limits_data, nproc=nproc)
    job["env"] = env or {}
    probes = getattr(suite, "probes", None)
    if probes is not None and probes.inputs:  # run after the tests, in the same job
        job["probes"] = probes.model_dump(mode="json")
    return job


def _modules(overlay: dict[str, str]) -> list[str]:
    """The modules a project overlay replaces (`src/pkg/mod.py` -> `pkg.mod`): the candidate's."""
    out = []
    for rel in overlay:
        if rel.endswith(".py"):
            parts = rel[:-3].replace("\\", "/").split("/")
            if parts[0] == "src" and len(parts) > 1:
                parts = parts[1:]
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts:
                out.append(".".join(parts))
    return out


def _expected_names(suite: TestSuite) -> list[str]:
    if suite.kind == "io":
        return [t.name for t in suite.tests]
    if suite.kind == "check":
        return [suite.entry_point]
    calls = data_suite(suite)
    return list((calls or suite).node_ids)


def _reported(name: str, seen: set[str]) -> bool:
    """A named test has results: itself, or (pytest) its parametrized instances or members."""
    return name in seen or any(selects(name, other) for other in seen)


def failure_verdict(
    suite: TestSuite, status: TestStatus, message: str, *, backend: str, duration_s: float
) -> Verdict:
    """Every expected test gets `status` (infrastructure failure, watchdog timeout)."""
    names = _expected_names(suite) or ["suite"]
    tests = [TestResult(name=n, status=status, message=message) for n in names]
    return Verdict(
        verdict=status, passed=0, total=len(tests), tests=tests, duration_s=duration_s,
        backend=backend,
    )  # fmt: skip


def _result(raw: dict[str, Any], suite: TestSuite) -> TestResult:
    status = raw.get("status", "error")
    stdout = raw.get("stdout") or ""
    fields: dict[str, Any] = {
        "name": str(raw.get("name", "?")),
        "duration_s": float(raw.get("duration_s") or 0.0),
        "stderr": trim(raw.get("stderr"), OUTPUT_TRIM),
        "expected": raw.get("expected"),
        "actual": raw.get("actual"),
        "error_type": raw.get("error_type"),
        "traceback": trim(raw.get("traceback"), 4000) or None,
        "message": raw.get("message"),
    }
    if status == "ran" and suite.kind == "io":
        test = next((t for t in suite.tests if t.name == fields["name"]), None)
        if test is None:
            status = "sandbox_error"
        elif outputs_match(stdout, test.expected, rule=Rule.of(suite)):
            status = "passed"
        else:
            status = "failed"
            fields["expected"] = trim(test.expected, OUTPUT_TRIM)
            fields["actual"] = trim(stdout, OUTPUT_TRIM)
            fields["message"] = f"wrong answer ({suite.comparison} comparison)"
    elif status == "ran":
        status = "sandbox_error"
    elif suite.kind == "io" and status in ("failed", "presentation_error") and suite.interactor is None:
        # the problem's checker said no: its feedback is the message; the answer file is one
        # valid answer, not the only one
        test = next((t for t in suite.tests if t.name == fields["name"]), None)
        fields["expected"] = trim(test.expected, OUTPUT_TRIM) if test is not None else None
        fields["actual"] = trim(stdout, OUTPUT_TRIM)
    keep = suite.kind == "io" and suite.keep_stdout
    fields["stdout"] = stdout if keep else trim(stdout, OUTPUT_TRIM)
    allowed = TestResult.model_fields["status"].annotation.__args__  # type: ignore[union-attr]
    fields["status"] = status if status in allowed else "sandbox_error"
    return TestResult(**fields)


def interrupted_verdict(
    progress: list[dict[str, Any]],
    suite: TestSuite,
    status: TestStatus,
    message: str,
    *,
    backend: str,
    duration_s: float,
) -> Verdict:
    """The run ended without an answer (host watchdog, lost stream): the per-test results
    streamed before are kept, every other expected test gets `status` and `message`."""
    if not progress:
        return failure_verdict(suite, status, message, backend=backend, duration_s=duration_s)
    seen = {str(r.get("name")) for r in progress}
    if all(_reported(name, seen) for name in _expected_names(suite)):
        # the tests still to come are unknown (pytest without node ids): never a pass
        progress = [*progress, {"name": "suite", "status": status, "message": message}]
    return verdict_from_response(
        {"results": progress}, suite, backend=backend, duration_s=duration_s,
        missing=(status, message),
    )  # fmt: skip


def verdict_from_response(
    response: dict[str, Any],
    suite: TestSuite,
    *,
    backend: str,
    duration_s: float,
    missing: tuple[TestStatus, str] = ("error", "no result reported"),
) -> Verdict:
    if response.get("sandbox_error"):
        return failure_verdict(
            suite, "sandbox_error", str(response["sandbox_error"]), backend=backend,
            duration_s=duration_s,
        )  # fmt: skip
    if response.get("forged_lines"):  # gVisor lets /proc/1/fd/1 be opened: a candidate wrote on it
        return failure_verdict(
            suite, "tampered", f"tampered with the test harness: {response['forged_lines']} line(s) "
            "written on the sandbox supervisor's channel to the host; refused by the sandbox",
            backend=backend, duration_s=duration_s,
        )  # fmt: skip
    compile_output = response.get("compile_output")
    if response.get("compile_error"):
        verdict = failure_verdict(
            suite, "compile_error", "compilation failed", backend=backend, duration_s=duration_s
        )
        verdict.compile_output = trim(compile_output, 8000)
        return verdict
    calls = data_suite(suite)
    if calls is not None:
        tests = judge(calls, response.get("results", []))
    elif suite.kind == "probe":
        tests = [_result(probe_answer(r), suite) for r in response.get("results", [])]
    else:
        tests = [_result(r, suite) for r in response.get("results", [])]
    seen = {t.name for t in tests}
    for name in _expected_names(suite):
        if not _reported(name, seen):
            tests.append(TestResult(name=name, status=missing[0], message=missing[1]))
    probes = getattr(suite, "probes", None)
    return Verdict(
        verdict=overall_status(tests),
        passed=sum(t.status == "passed" for t in tests),
        total=len(tests),
        tests=tests,
        compile_output=trim(compile_output, 8000) or None,
        duration_s=duration_s,
        backend=backend,
        probes=[_result(probe_answer(r), probes) for r in response.get("probe_results") or []]
        if probes
        else [],
    )
